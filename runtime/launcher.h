// LocalCluster: starts worker node processes on this host (fork + exec of a given binary), waits until
// they joined the head, and stops them: SIGTERM, then SIGKILL after a grace period. No orphans: each
// child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG). Each child is in a process group of
// its own, so a terminal's Ctrl-C reaches only the parent. (A lost head alone does not
// end a worker: it serves on and rejoins the head when one answers at its address; see node.h.)
// Not thread-safe: one owner thread drives a LocalCluster.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/node.h"

namespace ist::rt {

class LocalCluster {
 public:
  // `binary` is any program whose main() calls run_node_main (e.g. `ist`, or the test node program);
  // `args` are given to every worker (typically {"--head", head.endpoint()}).
  LocalCluster(std::string binary, std::vector<std::string> args);
  ~LocalCluster();  // stop(default grace)
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // From now on, started workers write their stdout and stderr to the end of file `path` (created if
  // missing) instead of this process's. Empty: this process's (the default).
  void set_output(std::string path) { output_ = std::move(path); }
  // Starts one more worker process, with `extra_args` appended. Returns its pid. Errors: kIoError.
  Result<pid_t> start_worker(const std::vector<std::string>& extra_args = {});
  // Starts n workers, then waits until `head` sees every one of them alive (plus those already alive).
  Status start_and_wait(int n, Node& head, Deadline deadline);
  // Sends `signal` to worker i (0-based, in start order), e.g. SIGKILL to simulate a crash.
  Status signal_worker(std::size_t i, int signal);
  // SIGTERM to every live worker without waiting: they leave while the caller finishes its own work
  // (e.g. writes its results); stop() then reaps them.
  void request_stop();
  // SIGTERM to every live worker, SIGKILL to those still running after `grace`; reaps them all.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

  const std::vector<pid_t>& pids() const { return pids_; }
  // True if process `pid` was started here and has not been reaped yet.
  bool running(pid_t pid);

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string output_;
  std::vector<pid_t> pids_;
  std::vector<bool> reaped_;
  std::vector<bool> term_sent_;  // SIGTERM sent (request_stop or stop)
};

}  // namespace ist::rt
