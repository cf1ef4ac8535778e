// A run directory: what a user keeps from one experiment.
//   config.toml        the resolved config (every key)
//   metrics.jsonl      one JSON record per round
//   summary.json       final test accuracy, time, bytes, and "status": "finished" or "interrupted"
//   model.safetensors  the final model (also of an interrupted run: the model at its last round)
//   checkpoint.safetensors  what --resume continues from
//   status.json        the run's state, for tools: {"status": "running"} while a driver writes here, then
//                      "finished", "interrupted" (resumable) or "failed" with "error": the one-line reason.
//                      A directory without one was written by an older ist (finished iff summary.json).
//   log.txt            the run's log lines (and the runtime's warnings)
//   run.lock           held by the driver writing here (run_lock.h)
// Created as runs/NAME-YYYYmmdd-HHMMSS (-2, -3, ... when that exists already) or the --out path. A
// RunDirectory holds the directory's lock for its lifetime: one writer per directory. Not thread-safe:
// one run, one thread.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

#include "base/status.h"
#include "cli/run_lock.h"
#include "ist/mlp.h"
#include "ist/reference.h"

namespace ist::cli {

class RunDirectory {
 public:
  // Creates `out` if given, else runs/NAME-TIMESTAMP (made unique) under the current directory, locks it
  // and marks it running. Refuses an existing non-empty directory (invalid_argument naming it) so no
  // earlier results are overwritten, unless it holds a failed run: that one is emptied and reused.
  static Result<RunDirectory> create(const std::string& out, const std::string& name);
  // The checks create() makes before it makes anything: ok when `out` is empty, missing, an empty
  // directory or a failed run's; invalid_argument naming it otherwise (an interrupted run: how to resume).
  static Status check_can_create(const std::string& out);

  // An existing run directory, to continue it (ist run --resume): locks it first (invalid_argument naming
  // the holder's pid while another driver writes there), then keeps the metrics of the first
  // `rounds_kept` rounds (those the checkpoint covers) and drops later ones, which the run will redo.
  static Result<RunDirectory> reopen(const std::string& path, std::int64_t rounds_kept);

  // True when the run in `path` finished: its summary.json is written (the last thing a run writes,
  // after model.safetensors) and does not say "interrupted". Changes nothing.
  static bool is_finished(const std::string& path);
  // status.json's "status" ("running", "finished", "interrupted", "failed"); empty when there is none.
  static std::string status_of(const std::string& path);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  Status write_config(const std::string& toml_text);
  // Appends the round's line whole (append_line.h), so a killed run keeps every finished round and a
  // failed write leaves no half line. Errors: io_error naming metrics.jsonl.
  Status append_metrics(const RoundRecord& record);
  // summary.json, atomically; rounds, epochs and bytes are the whole run's (metrics.jsonl's), so a resumed
  // run's summary counts the rounds before the resume too.
  // wall_seconds: this session's, start-up included; the summary adds the earlier sessions' (a resumed
  // run's). status "interrupted" when result.interrupted, else "finished"; status.json follows.
  Status write_summary(const std::string& name, const std::string& algorithm, const RunResult& result,
                       double wall_seconds);
  // Marks the run failed in status.json, with the one-line error (best effort: the run is failing anyway).
  void mark_failed(const std::string& error);
  // Wall seconds of the run before this session (the last kept metrics line of a resumed run; else 0).
  double wall_seconds_before() const { return wall_before_; }
  double bytes_total() const { return bytes_total_; }
  std::int64_t rounds() const { return rounds_; }
  // Writes model.safetensors (atomically) with the given metadata.
  Status save_model(const Mlp& model, std::map<std::string, std::string> metadata);
  // Appends a timestamped line to log.txt.
  void log(const std::string& line);

 private:
  RunDirectory(std::string path, RunLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  Status write_status(const std::string& status, const std::string& error = "");
  std::string path_;
  RunLock lock_;
  // Of the whole run so far, as metrics.jsonl holds it (kept lines of a resumed run included).
  double bytes_total_ = 0.0;
  std::int64_t rounds_ = 0;
  double epochs_ = 0.0;
  double wall_before_ = 0.0;
};

// One metrics record as a JSON line (no newline). bytes_total is cumulative over the run.
std::string metrics_json_line(const RoundRecord& record, double cumulative_bytes_total);

// ok if `name` can prefix a directory inside runs/: not empty, no '/', no NUL, not starting with '.'.
// Otherwise invalid_argument naming it. RunDirectory::create checks it first, before making anything,
// so a config cannot make a run write outside runs/.
Status check_run_name(const std::string& name);

}  // namespace ist::cli
