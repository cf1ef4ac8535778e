// A run directory's summary.json as the readers of finished runs (`ist report`, `ist sweep`) see it:
// every key optional, so a summary from an older or newer version still reads. Any thread; reads only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace ist::cli {

struct RunSummary {
  std::optional<std::string> name;
  std::optional<std::string> algorithm;
  std::optional<double> final_test_accuracy;
  std::optional<double> wall_seconds;
  std::optional<std::int64_t> rounds;
  std::optional<double> bytes_total;
};

// Reads `path` (a summary.json). A missing file is an empty summary (the run has not finished); keys
// missing or of another type count as missing. Errors: corrupt_data naming the file when it is not
// JSON, io_error when it cannot be read.
Result<RunSummary> load_run_summary(const std::string& path);

// The whole file as text. Errors: io_error naming the path.
Result<std::string> read_text_file(const std::string& path);

}  // namespace ist::cli
