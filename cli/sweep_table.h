// The table that ends a sweep: one row per setting of the swept keys, its runs' final test accuracy as
// mean and spread over the seeds, and their wall time. Read from the point directories' summary.json
// files; a point without one (not run yet, failed, interrupted) counts as missing. Any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "cli/sweep_plan.h"

namespace ist::cli {

struct SweepRow {
  std::vector<std::pair<std::string, std::string>> values;  // the swept keys' values (seed excepted)
  std::string setting;                                      // "learning_rate=0.01,workers=2"
  int runs = 0;                                             // points of this setting (one per seed)
  int finished = 0;                                         // of them, with a final test accuracy
  std::optional<double> mean_accuracy;
  std::optional<double> std_accuracy;  // sample standard deviation; 0 with one finished run
  std::optional<double> min_accuracy;
  std::optional<double> max_accuracy;
  std::optional<double> mean_wall_seconds;
};

// Rows in the plan's order. Errors: corrupt_data from a summary.json that is not JSON.
Result<std::vector<SweepRow>> summarize_sweep(const SweepPlan& plan, const std::string& sweep_dir);

// A markdown table (a header line, then one line per row): setting, runs, accuracy mean ± std,
// min..max, wall time.
std::string sweep_table_markdown(const std::vector<SweepRow>& rows);
// The same as JSON: {"rows": [{"setting", "values", "runs", "finished", "accuracy": {mean, std, min, max},
// "wall_seconds_mean"}...]}, null where unknown.
nlohmann::json sweep_table_json(const std::vector<SweepRow>& rows);

}  // namespace ist::cli
