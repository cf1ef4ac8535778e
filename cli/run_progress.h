// How far a run is, read from its directory alone (metrics.jsonl and config.toml), so `ist status` can
// show a run that another process is writing: round, epochs, latest test accuracy, live workers and their
// training examples, the share done and an ETA. Reads only; a half-written last line is ignored. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ist::cli {

struct RunProgress {
  std::int64_t round = 0;  // rounds recorded so far
  double epochs = 0.0;
  double wall_seconds = 0.0;  // of the last recorded round
  int live_workers = 0;
  std::vector<std::int64_t> examples_per_worker;  // of the last recorded round: each worker's training examples
  std::optional<double> test_accuracy;   // the latest evaluated
  std::optional<std::int64_t> planned_rounds;  // algorithm.rounds, when the run counts rounds
  std::optional<double> planned_epochs;        // algorithm.epochs otherwise
  std::optional<double> done;                  // share of the planned rounds or epochs, in [0, 1]
  std::optional<double> eta_seconds;           // at the pace so far
};

// Errors: none for a missing or empty metrics.jsonl (round 0); corrupt_data naming config.toml when it
// does not parse.
Result<RunProgress> read_run_progress(const std::string& dir);

}  // namespace ist::cli
