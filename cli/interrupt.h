// Ctrl-C for a run. The first SIGINT or SIGTERM asks the run to stop (requested() turns true; the run
// finishes its round, checkpoints and saves: see ist/run_loop.h); a second one ends the process at once
// with kExitInterrupted. Embedded worker processes die with it (PR_SET_PDEATHSIG, runtime/launcher.h).
// The signals are blocked in every thread and taken by a watcher thread (sigtimedwait), so no ZeroMQ
// call is ever interrupted by them.
#pragma once

#include <atomic>
#include <thread>

namespace ist::cli {

class InterruptWatcher {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts later: construct it
  // before any other thread exists. Starts the watcher thread.
  InterruptWatcher();
  // Stops the watcher and unblocks the signals again.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  // True once the first signal arrived. Thread-safe.
  bool requested() const { return requested_.load(); }
  // The first signal's name ("SIGINT", "SIGTERM"); empty before one arrived.
  const char* signal_name() const { return signal_name_.load(); }

 private:
  std::atomic<bool> requested_{false};
  std::atomic<const char*> signal_name_{""};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace ist::cli
