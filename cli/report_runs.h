// The runs `ist report` shows, read from their directories: every metrics line (what the plots need),
// summary.json, config.toml and the samples one worker trains per round. Reads only. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cli/run_summary.h"

namespace ist::cli {

// One line of metrics.jsonl; only what the report shows. Missing keys stay empty.
struct RoundMetrics {
  std::int64_t round = 0;
  double wall_seconds = 0.0;
  std::optional<double> epochs;
  std::optional<double> train_loss;
  std::optional<double> test_accuracy;     // null when the round was not evaluated
  std::optional<double> learning_rate;
  std::optional<double> bytes_total;       // cumulative over the run
  std::optional<double> bytes_per_worker;  // sent + received by one worker this round
  std::optional<double> live_workers;
  std::optional<double> samples;         // training examples this round (older metrics lack it)
  std::vector<std::string> events;       // as text
  std::vector<std::string> event_kinds;  // parallel to events when the metrics carry kinds (else empty)
};

struct Run {
  std::string dir;
  std::string label;  // unique among the report's runs (make_labels_unique)
  RunSummary summary;
  std::vector<RoundMetrics> rounds;
  std::optional<std::string> config_toml;
  // local_steps x batch_size from config.toml: samples of a round whose metrics do not say (older runs)
  std::optional<double> samples_per_worker_round;
};

// The last part of a directory's path: "runs/a/" -> "a".
std::string directory_name(const std::string& dir);

// Errors: not_found (no directory, no metrics.jsonl), corrupt_data naming "FILE:LINE: key ..." for a
// malformed metrics line or a summary that is not JSON, io_error.
Result<Run> load_run(const std::string& dir);

// Why a run directory holds no run to show (marked failed in status.json, or it failed before its first
// round), or nullopt.
std::optional<std::string> failed_run(const std::string& dir);

// Two runs with one label (the same experiment twice) get their directory's name added, then " #2", ...
void make_labels_unique(std::vector<Run>& runs);

// A sweep directory (sweep_plan.h) and the run directories it stands for.
struct SweepGroup {
  std::string dir;
};
// Replaces every sweep directory by its points' run directories (in the sweep's order; points not
// started yet are left out) and lists the sweeps in `sweeps`. Errors: corrupt_data from a sweep.json.
Result<std::vector<std::string>> expand_sweeps(const std::vector<std::string>& dirs, std::vector<SweepGroup>* sweeps);

// The run's event kind names that the plots mark, as a letter: "L" lost, "J" joined, "S" late or slow,
// "I" interrupted, "R" resumed; "" for the rest (checkpoints, data re-cuts, ...).
std::string event_mark_letter(const std::string& kind);
// True for events that the table counts (not checkpoints).
bool counts_as_event(const std::string& kind, const std::string& text);

}  // namespace ist::cli
