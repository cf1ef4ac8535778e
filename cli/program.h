// The running `ist` program as the commands see it: how a command reports a failure (a one-line reason
// on stderr and an exit code) and where the program's own binary is (to launch node processes).
// Thread-safe; no state.
#pragma once

#include <string>

namespace ist::cli {

// Exit codes of `ist` (README, Command line). kExitFailure: the command ran and failed (a config error,
// a node that did not come up). kExitUsage: the command line itself is wrong (an unknown flag, a value
// out of range); nothing was started or written.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
// kExitInterrupted: a run stopped on SIGINT/SIGTERM (Ctrl-C). After the first signal it saved a checkpoint,
// the model and summary.json (status "interrupted") and can be resumed; after a second it stopped at once.
// 130 = 128 + SIGINT, as shells report a process ended by Ctrl-C.
inline constexpr int kExitInterrupted = 130;

// Prints "ist: <message>" to stderr and returns `code`, so a command can `return fail(...)`.
int fail(const std::string& message, int code = kExitFailure);

// The path of the running binary (from /proc/self/exe); "ist" (found on PATH) if that cannot be read.
std::string self_binary();

}  // namespace ist::cli
