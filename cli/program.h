// The running `ist` program as the commands see it: how a command reports a failure (a one-line reason
// on stderr and an exit code) and where the program's own binary is (to launch node processes).
// Thread-safe; no state.
#pragma once

#include <string>

namespace ist::cli {

// Prints "ist: <message>" to stderr and returns `code`, so a command can `return fail(...)`.
int fail(const std::string& message, int code = 1);

// The path of the running binary (from /proc/self/exe); "ist" (found on PATH) if that cannot be read.
std::string self_binary();

}  // namespace ist::cli
