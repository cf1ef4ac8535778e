#include "runtime/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ist::rt {

namespace {
LogLevel level_from_env() {
  const char* v = std::getenv("IST_RT_LOG");
  if (v == nullptr) return LogLevel::kWarn;
  if (std::strcmp(v, "info") == 0) return LogLevel::kInfo;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  return LogLevel::kWarn;
}
std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
std::function<void(const std::string&)>& sink() {
  static std::function<void(const std::string&)> s;
  return s;
}
}  // namespace

void set_log_sink(std::function<void(const std::string& line)> new_sink) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(new_sink);
}

bool log_enabled(LogLevel level) {
  static const LogLevel threshold = level_from_env();
  return static_cast<int>(level) <= static_cast<int>(threshold);
}

void log_line(LogLevel level, const std::string& line) {
  static const char* const kNames[] = {"error", "warn", "info"};
  char prefix[64];
  std::snprintf(prefix, sizeof(prefix), "[rt %s pid %d] ", kNames[static_cast<int>(level)], static_cast<int>(getpid()));
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) {
    sink()(prefix + line);
    return;
  }
  // One fprintf per line: stdio locks the stream, so lines from threads do not interleave.
  std::fprintf(stderr, "%s%s\n", prefix, line.c_str());
}

}  // namespace ist::rt
