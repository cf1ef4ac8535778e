// Progress of a run on the terminal: on a TTY one live line that fits the terminal's width (round k/N,
// accuracy and ETA first; loss, samples/s, bytes, live workers and a bar as the width allows; 80 columns
// when the width is unknown); otherwise one plain line per evaluated round; nothing if quiet. A resumed
// run's line continues the run: bytes from the checkpoint's, samples/s and ETA from this session's rounds.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ist/reference.h"

namespace ist::cli {

// How long the run is: a fixed number of rounds, or epochs over a training set (then the total follows
// the live workers: fewer workers take more rounds).
struct RunPlan {
  std::int64_t rounds = 0;  // > 0: exactly this many
  double epochs = 0.0;      // else: until this many epochs
  std::int64_t train_size = 0;
  std::int64_t samples_per_worker_round = 0;  // local_steps * batch_size
  // Rounds the run will take, seen after `record` (its epochs and live workers).
  std::int64_t total_after(const RoundRecord& record) const;
};
RunPlan run_plan(const TrainingConfig& config, std::int64_t train_size);

// Where a resumed run stands when this session starts.
struct EarlierSessions {
  std::int64_t rounds = 0;
  double bytes = 0.0;
  double wall_seconds = 0.0;  // before this session's training started (earlier sessions, start-up)
};

class Progress {
 public:
  Progress(RunPlan plan, bool quiet, EarlierSessions earlier = {});
  // `record` as the run loop made it: wall_seconds since this session's training started.
  void update(const RoundRecord& record);
  // Ends the live line (if any) and prints `message` on its own line.
  void finish(const std::string& message);

 private:
  RunPlan plan_;
  bool quiet_;
  bool tty_;
  EarlierSessions earlier_;
  double bytes_ = 0.0;
  double samples_ = 0.0;  // this session's
  double last_accuracy_ = -1.0;
};

// "1.5 MB", "830 KB", "2.1 GB".
std::string human_bytes(double bytes);

// The live line for `width` columns: fields are added in order while they fit (the first always).
std::string fit_line(const std::vector<std::string>& fields, int width);

// Columns of the terminal on stdout; 80 when unknown.
int terminal_width();

}  // namespace ist::cli
