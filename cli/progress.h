// Progress of a run on the terminal: on a TTY one live line with a bar (round k/N, accuracy, loss,
// samples/s, bytes, live workers, ETA); otherwise one plain line per evaluated round; nothing if quiet.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "ist/reference.h"

namespace ist::cli {

class Progress {
 public:
  Progress(std::int64_t total_rounds, std::int64_t samples_per_round, bool quiet);
  void update(const RoundRecord& record);
  // Ends the live line (if any) and prints `message` on its own line.
  void finish(const std::string& message);

 private:
  std::int64_t total_rounds_;
  std::int64_t samples_per_round_;
  bool quiet_;
  bool tty_;
  double bytes_ = 0.0;
  double last_accuracy_ = -1.0;
};

// "1.5 MB", "830 KB", "2.1 GB".
std::string human_bytes(double bytes);

}  // namespace ist::cli
