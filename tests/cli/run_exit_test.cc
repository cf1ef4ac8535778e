// An embedded `ist run` ends when its work is written: the time from summary.json's last write to the
// process's exit (its workers stopped, its sockets closed) stays far below the runtime's 3000 ms leave
// grace, which libzmq used to wait out on sockets holding messages for workers that had already exited.
// Real `ist` processes and Fashion-MNIST files; the exit is polled with a deadline.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/ist_process.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::file_text;
using ist_process::spawn_ist;

// The bound asserted: ten times the 100 ms aimed at, so a loaded 2-core machine passes, and a third of the
// stall this guards against.
constexpr double kExitBoundSeconds = 1.0;

double realtime_seconds(const timespec& t) { return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec); }

double now_realtime_seconds() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return realtime_seconds(t);
}

// Waits (polling every millisecond, at most `timeout`) for `pid` to exit; the wall-clock time it was seen
// gone, or a negative number if it ran over (then it is killed) or did not exit with 0.
double exit_time(pid_t pid, std::chrono::seconds timeout) {
  const int code = ist_process::wait_exit(pid, timeout, std::chrono::milliseconds(1));
  const double seen = now_realtime_seconds();
  return code == 0 ? seen : -1.0;
}

TEST(RunExit, AnEmbeddedRunExitsPromptlyAfterWritingItsSummaryEveryTime) {
  const fs::path dir = fs::temp_directory_path() / ("ist_run_exit_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string config = (dir / "tiny.toml").string();
  std::ofstream(config) << "name = \"tiny\"\nseed = 3\n[model]\nwidths = [784, 16, 16, 10]\n"
                           "[algorithm]\nlocal_steps = 2\nbatch_size = 32\nrounds = 2\neval_every = 2\n"
                           "[cluster]\nworkers = 2\n";
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string run = (dir / ("run" + std::to_string(attempt))).string();
    const std::string log = (dir / ("out" + std::to_string(attempt) + ".log")).string();
    const pid_t pid = spawn_ist({"run", config, "--out", run, "--quiet"}, log);
    const double exited = exit_time(pid, std::chrono::seconds(60));
    ASSERT_GT(exited, 0.0) << file_text(log);
    struct stat summary {};
    ASSERT_EQ(stat((run + "/summary.json").c_str(), &summary), 0) << file_text(log);
    const double after_summary = exited - realtime_seconds(summary.st_mtim);
    std::printf("run %d: exited %.0f ms after writing summary.json\n", attempt, after_summary * 1000.0);
    EXPECT_LT(after_summary, kExitBoundSeconds) << "run " << attempt << "\n" << file_text(run + "/log.txt");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ist::cli
