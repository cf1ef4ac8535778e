// Minimal logging to stderr for the runtime: errors always, info when IST_RT_LOG=info.
// Thread-safe: each call writes one whole line.
#pragma once

#include <sstream>
#include <string>

namespace ist::rt {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2 };

// True when messages at `level` are printed (decided once from the IST_RT_LOG environment variable:
// "error", "warn" (default) or "info").
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& line);

template <typename... Parts>
void log(LogLevel level, const Parts&... parts) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << parts);
  log_line(level, out.str());
}

}  // namespace ist::rt
