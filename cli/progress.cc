#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>

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

std::int64_t RunPlan::total_after(const RoundRecord& r) const {
  if (rounds > 0 || r.live_workers <= 0 || samples_per_worker_round <= 0) return std::max(rounds, r.round);
  const double per_round =
      static_cast<double>(r.live_workers * samples_per_worker_round) / static_cast<double>(train_size);
  const double left = std::max(0.0, epochs - r.epochs);
  return r.round + static_cast<std::int64_t>(std::ceil(left / per_round - 1e-9));
}

RunPlan run_plan(const TrainingConfig& config, std::int64_t train_size) {
  return RunPlan{config.rounds > 0 ? config.rounds : 0, config.epochs, std::max<std::int64_t>(train_size, 1),
                 static_cast<std::int64_t>(config.local_steps) * config.batch_size};
}

std::string fit_line(const std::vector<std::string>& fields, int width) {
  std::string line;
  for (const std::string& f : fields) {
    const std::size_t needed = line.empty() ? f.size() : line.size() + 2 + f.size();
    if (!line.empty() && needed > static_cast<std::size_t>(width)) break;
    line += (line.empty() ? "" : "  ") + f;
  }
  return line.substr(0, static_cast<std::size_t>(std::max(width, 1)));
}

int terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

Progress::Progress(RunPlan plan, bool quiet, EarlierSessions earlier)
    : plan_(plan),
      quiet_(quiet),
      tty_(isatty(STDOUT_FILENO) != 0),
      earlier_(earlier),
      bytes_(earlier.bytes) {}

void Progress::update(const RoundRecord& r) {
  bytes_ += (r.bytes_sent_per_worker + r.bytes_received_per_worker) * r.live_workers;
  samples_ += static_cast<double>(r.samples);
  if (r.test_accuracy) last_accuracy_ = *r.test_accuracy;
  if (quiet_) return;
  for (const RoundEvent& e : r.events) {
    std::printf("%sround %lld: %s\n", tty_ ? "\r\033[K" : "", static_cast<long long>(r.round),
                describe(e).c_str());
  }
  const std::int64_t total = plan_.total_after(r);
  const auto session_rounds = static_cast<double>(std::max<std::int64_t>(r.round - earlier_.rounds, 1));
  const double session_seconds = std::max(r.wall_seconds, 1e-9);
  const double eta = session_seconds / session_rounds * static_cast<double>(total - r.round);
  const double samples_per_second = samples_ / session_seconds;
  char accuracy[16] = "-";
  if (last_accuracy_ >= 0) std::snprintf(accuracy, sizeof(accuracy), "%.4f", last_accuracy_);
  char text[96];
  const auto field = [&](const char* format, auto... values) {
    std::snprintf(text, sizeof(text), format, values...);
    return std::string(text);
  };
  if (tty_) {
    const int width = std::min(terminal_width() - 1, 200);  // the last column would wrap on some terminals
    const int bar_width = 20;
    const int filled = static_cast<int>(bar_width * static_cast<double>(r.round) /
                                        static_cast<double>(std::max<std::int64_t>(total, 1)));
    std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, bar_width)), '#');
    bar.resize(bar_width, '.');
    const std::string line =
        fit_line({field("round %lld/%lld", static_cast<long long>(r.round), static_cast<long long>(total)),
                  field("acc %s", accuracy), field("ETA %.0fs", eta),
                  r.train_loss ? field("loss %.4f", *r.train_loss) : std::string("loss -"),
                  field("%.0f samples/s", samples_per_second), human_bytes(bytes_),
                  field("workers %d", r.live_workers), "[" + bar + "]"},
                 width);
    std::printf("\r\033[K%s", line.c_str());
    std::fflush(stdout);
  } else if (r.test_accuracy) {
    std::printf(
        "round %lld/%lld  epoch %.2f  test accuracy %.4f  loss %s  %.0f samples/s  %s  workers %d  %.1fs\n",
        static_cast<long long>(r.round), static_cast<long long>(total), r.epochs, *r.test_accuracy,
        r.train_loss ? field("%.4f", *r.train_loss).c_str() : "-", samples_per_second, human_bytes(bytes_).c_str(),
        r.live_workers,
        earlier_.wall_seconds + r.wall_seconds);
    std::fflush(stdout);
  }
}

void Progress::finish(const std::string& message) {
  if (tty_ && !quiet_) std::printf("\n");
  std::printf("%s\n", message.c_str());
  std::fflush(stdout);
}

}  // namespace ist::cli
