#include "runtime/latency_probe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace ist::rt::probe {

namespace {

struct Mark {
  std::uint64_t request_id;
  std::int64_t ns;
  Stage stage;
};

constexpr std::size_t kMaxMarks = std::size_t{1} << 22;
Mark* marks = nullptr;  // set once, by the first mark (a thread-safe static initialisation)
std::atomic<std::size_t> used{0};

void write_marks() {
  const char* dir = std::getenv("IST_PROBE_DIR");
  if (dir == nullptr || marks == nullptr) return;
  const std::string path = std::string(dir) + "/probes." + std::to_string(getpid());
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return;
  const std::size_t n = std::min(used.load(), kMaxMarks);
  for (std::size_t i = 0; i < n; ++i) {
    std::fprintf(f, "%llu %d %lld\n", static_cast<unsigned long long>(marks[i].request_id), marks[i].stage,
                 static_cast<long long>(marks[i].ns));
  }
  std::fclose(f);
}

}  // namespace

void mark(std::uint64_t request_id, Stage stage) {
  static Mark* const buffer = [] {
    marks = new Mark[kMaxMarks];
    std::atexit(write_marks);
    return marks;
  }();
  const std::size_t i = used.fetch_add(1, std::memory_order_relaxed);
  if (i >= kMaxMarks) return;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  buffer[i] = Mark{request_id, ns, stage};
}

}  // namespace ist::rt::probe
