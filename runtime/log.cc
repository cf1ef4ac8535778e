#include "runtime/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ist::rt {

namespace {
LogLevel level_from_env() {
  const char* v = std::getenv("IST_RT_LOG");
  if (v == nullptr) return LogLevel::kWarn;
  if (std::strcmp(v, "info") == 0) return LogLevel::kInfo;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  return LogLevel::kWarn;
}
}  // namespace

bool log_enabled(LogLevel level) {
  static const LogLevel threshold = level_from_env();
  return static_cast<int>(level) <= static_cast<int>(threshold);
}

void log_line(LogLevel level, const std::string& line) {
  static const char* const kNames[] = {"error", "warn", "info"};
  // One fprintf per line: stdio locks the stream, so lines from threads do not interleave.
  std::fprintf(stderr, "[rt %s pid %d] %s\n", kNames[static_cast<int>(level)], static_cast<int>(getpid()),
               line.c_str());
}

}  // namespace ist::rt
