// A run directory: what a user keeps from one experiment.
//   config.toml        the resolved config (every key)
//   metrics.jsonl      one JSON record per round
//   summary.json       final test accuracy, time, bytes
//   model.safetensors  the final model
//   log.txt            the run's log lines
// Created as runs/NAME-YYYYmmdd-HHMMSS (or the --out path). Not thread-safe: one run, one thread.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/reference.h"

namespace ist::cli {

class RunDirectory {
 public:
  // Creates `out` if given, else runs/NAME-TIMESTAMP under the current directory. Refuses an existing
  // non-empty directory (invalid_argument naming it) so no earlier results are overwritten.
  static Result<RunDirectory> create(const std::string& out, const std::string& name);

  // An existing run directory, to continue it (ist run --resume): keeps the metrics of the first
  // `rounds_kept` rounds (those the checkpoint covers) and drops later ones, which the run will redo.
  static Result<RunDirectory> reopen(const std::string& path, std::int64_t rounds_kept);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  Status write_config(const std::string& toml_text);
  // Appends one line and flushes, so a killed run keeps every finished round.
  Status append_metrics(const RoundRecord& record);
  Status write_summary(const std::string& name, const std::string& algorithm, const RunResult& result,
                       double wall_seconds);
  // Writes model.safetensors (atomically) with the given metadata.
  Status save_model(const Mlp& model, std::map<std::string, std::string> metadata);
  // Appends a timestamped line to log.txt.
  void log(const std::string& line);

 private:
  explicit RunDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
  double bytes_total_ = 0.0;
};

// One metrics record as a JSON line (no newline). bytes_total is cumulative over the run.
std::string metrics_json_line(const RoundRecord& record, double cumulative_bytes_total);

// ok if `name` can prefix a directory inside runs/: not empty, no '/', no NUL, not starting with '.'.
// Otherwise invalid_argument naming it. RunDirectory::create checks it first, before making anything,
// so a config cannot make a run write outside runs/.
Status check_run_name(const std::string& name);

}  // namespace ist::cli
