// Node processes that outlive the command that started them (`ist start`): starting one as a daemon with
// its identity recorded, ending one that failed to come up, and reading why it exited. Their output goes
// to node-<pid>.log beside the cluster state file. Call from the command's main thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/cluster_state.h"

namespace ist::cli {

// Starts `ist node NODE_ARGS...` in its own session, stdin from /dev/null, stdout and stderr to its log;
// not killed with this command (unlike an embedded cluster's workers). Returns it as `role` with its
// identity (pid, start time, boot id), so `ist stop` can later prove it is the same process.
// The process is a child of this one until this one exits. io_error if it cannot be started.
Result<StartedProcess> spawn_node(const std::string& role, const std::vector<std::string>& node_args);

// Ends a node this command started (a child of this process) and reaps it: SIGTERM, then SIGKILL after
// 5 s. Signals only the recorded process, so a node already exited and reaped is harmless to pass.
void end_node(const ProcessIdentity& node);

// The last non-empty line of node `pid`'s log (empty if none): why it exited.
std::string last_log_line(pid_t pid);

}  // namespace ist::cli
