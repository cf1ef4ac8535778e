// Running another `ist` command as a child process in the foreground, as `ist sweep` runs each point
// with `ist run`: the child shares this terminal (stdin, stdout, stderr and the process group, so a
// Ctrl-C at the terminal reaches it directly). Called from the main thread only (installs signal handlers).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace ist::cli {

struct ChildExit {
  int code = 0;             // the exit code; 128 + N when signal N ended the child
  bool interrupted = false;  // this process received SIGINT or SIGTERM while the child ran
};

// Starts `binary args...` and waits for it. While it runs, a SIGINT or SIGTERM sent to this process does
// not end it: it is recorded in `interrupted` and a SIGTERM is passed on to the child (a terminal's
// SIGINT reaches the child itself). Errors: io_error when the child cannot be started.
Result<ChildExit> run_child(const std::string& binary, const std::vector<std::string>& args);

}  // namespace ist::cli
