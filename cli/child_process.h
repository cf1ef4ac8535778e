// Running other `ist` commands as child processes in the foreground, as `ist sweep` runs each point with
// `ist run`: children share this terminal (stdin, stdout, stderr and the process group, so a Ctrl-C at the
// terminal reaches them directly). Called from the main thread only (installs signal handlers).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace ist::cli {

struct ChildExit {
  int code = 0;             // the exit code; 128 + N when signal N ended the child
  bool interrupted = false;  // this process received SIGINT or SIGTERM while the child ran
};

// Children started and waited for together. While the group lives, a SIGINT or SIGTERM sent to this
// process does not end it: it is recorded (interrupted()) and a SIGTERM is passed on to every running
// child (a terminal's SIGINT reaches the children themselves). One group at a time.
class ChildGroup {
 public:
  ChildGroup();   // installs the signal handlers
  ~ChildGroup();  // puts the earlier handlers back; waits for children still running
  ChildGroup(const ChildGroup&) = delete;
  ChildGroup& operator=(const ChildGroup&) = delete;

  // Starts `binary args...`. Errors: io_error when it cannot be started, too_large when 64
  // children run already.
  Result<pid_t> start(const std::string& binary, const std::vector<std::string>& args);
  // Waits until one running child ends; returns it and how it ended. REQUIRES: running() > 0.
  std::pair<pid_t, ChildExit> wait_any();
  std::size_t running() const { return running_.size(); }
  bool interrupted() const;

 private:
  std::vector<pid_t> running_;
};

// Starts `binary args...` and waits for it (a ChildGroup of one). Errors: io_error when the child cannot
// be started.
Result<ChildExit> run_child(const std::string& binary, const std::vector<std::string>& args);

}  // namespace ist::cli
