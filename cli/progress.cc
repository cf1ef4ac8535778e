#include "cli/progress.h"

#include <unistd.h>

#include <cmath>

namespace ist::cli {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof(text), u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

Progress::Progress(std::int64_t total_rounds, std::int64_t samples_per_round, bool quiet)
    : total_rounds_(total_rounds), samples_per_round_(samples_per_round), quiet_(quiet), tty_(isatty(STDOUT_FILENO) != 0) {}

void Progress::update(const RoundRecord& r) {
  bytes_ += (r.bytes_sent_per_worker + r.bytes_received_per_worker) * r.live_workers;
  if (r.test_accuracy) last_accuracy_ = *r.test_accuracy;
  if (quiet_) return;
  for (const RoundEvent& e : r.events) {
    std::printf("%sround %lld: %s\n", tty_ ? "\r\033[K" : "", static_cast<long long>(r.round), describe(e).c_str());
  }
  const double per_round = r.wall_seconds / static_cast<double>(r.round);
  const double eta = per_round * static_cast<double>(total_rounds_ - r.round);
  const double samples_per_second = static_cast<double>(samples_per_round_) * static_cast<double>(r.round) / std::max(r.wall_seconds, 1e-9);
  char accuracy[16] = "  -  ";
  if (last_accuracy_ >= 0) std::snprintf(accuracy, sizeof(accuracy), "%.4f", last_accuracy_);
  if (tty_) {
    const int width = 24;
    const int filled = static_cast<int>(width * static_cast<double>(r.round) / static_cast<double>(total_rounds_));
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::printf("\r\033[K[%s] round %lld/%lld  acc %s  loss %.4f  %.0f samples/s  %s  workers %d  ETA %.0fs",
                bar.c_str(), static_cast<long long>(r.round), static_cast<long long>(total_rounds_), accuracy,
                r.train_loss, samples_per_second, human_bytes(bytes_).c_str(), r.live_workers, eta);
    std::fflush(stdout);
  } else if (r.test_accuracy) {
    std::printf("round %lld/%lld  epoch %.2f  test accuracy %.4f  loss %.4f  %.0f samples/s  %s  workers %d  %.1fs\n",
                static_cast<long long>(r.round), static_cast<long long>(total_rounds_), r.epochs, *r.test_accuracy,
                r.train_loss, samples_per_second, human_bytes(bytes_).c_str(), r.live_workers, r.wall_seconds);
    std::fflush(stdout);
  }
}

void Progress::finish(const std::string& message) {
  if (tty_ && !quiet_) std::printf("\n");
  std::printf("%s\n", message.c_str());
  std::fflush(stdout);
}

}  // namespace ist::cli
