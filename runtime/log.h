// Minimal logging for the runtime: errors always, info when IST_RT_LOG=info. Lines go to stderr, or to a
// sink the program sets (e.g. `ist run` sends them to its run's log.txt). Thread-safe: each call writes one
// whole line.
#pragma once

#include <functional>
#include <sstream>
#include <string>

namespace ist::rt {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2 };

// True when messages at `level` are printed (decided once from the IST_RT_LOG environment variable:
// "error", "warn" (default) or "info").
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& line);

// Where log lines go from now on: `sink` gets each formatted line ("[rt warn pid N] ..."), without its
// newline; an empty sink restores stderr. The sink may be called from any thread, one call at a time.
void set_log_sink(std::function<void(const std::string& line)> sink);

template <typename... Parts>
void log(LogLevel level, const Parts&... parts) {
  if (!log_enabled(level)) return;
  std::ostringstream out;
  (out << ... << parts);
  log_line(level, out.str());
}

}  // namespace ist::rt
