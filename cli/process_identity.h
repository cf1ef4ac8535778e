// Knowing a process for sure. A pid alone is reused once its process is gone, so `ist stop` could hit an
// unrelated process; (boot id, pid, start time) names one process for the life of the machine. This
// file reads that identity and signals a process only after proving it is the one recorded.
// Linux only (/proc and pidfds). Thread-safe: no shared state.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace ist::cli {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // field 22 of /proc/PID/stat: clock ticks from boot to the process's start
  // /proc/sys/kernel/random/boot_id, empty if unreadable: start times count from this boot.
  std::string boot_id;
};

// The start time (field 22) in one /proc/PID/stat line. The command name (field 2) may hold spaces and
// ')', so fields are counted after its last ')'. corrupt_data if the line has no such field.
Result<std::uint64_t> start_time_from_stat(const std::string& stat_line);

// The identity of process `pid` now. not_found if there is no such process.
Result<ProcessIdentity> identify_process(pid_t pid);

// True if a /proc/PID/stat line says the process is a zombie (state Z): it has exited, not yet reaped.
bool is_zombie_stat(const std::string& stat_line);

// A process proven to be the one recorded, held by a pidfd: a signal through it reaches that process or
// nothing, never a later holder of the same pid. Move-only; closes the pidfd on destruction.
class ProvenProcess {
 public:
  // Opens a pidfd on recorded.pid, then checks the identity of the process behind it. Checking after
  // opening leaves no window: had the pid changed hands before the pidfd was opened, the start time
  // read after would differ. Errors: not_found (no process with that pid, or a zombie: ours has exited);
  // invalid_argument (the pid belongs to another process now: other start time or other boot, or the
  // record has no start time), its message saying which.
  static Result<ProvenProcess> open(const ProcessIdentity& recorded);

  ProvenProcess(ProvenProcess&& other) noexcept;
  ProvenProcess& operator=(ProvenProcess&& other) noexcept;
  ProvenProcess(const ProvenProcess&) = delete;
  ProvenProcess& operator=(const ProvenProcess&) = delete;
  ~ProvenProcess();

  pid_t pid() const { return pid_; }
  // Sends `signal` through the pidfd. An exited process (even one not yet reaped) is not an error.
  Status send(int signal) const;
  // True once the process has exited (its pidfd turns readable); false if `deadline` passes first.
  bool wait_for_exit(std::chrono::steady_clock::time_point deadline) const;

 private:
  ProvenProcess(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  pid_t pid_ = 0;
  int pidfd_ = -1;
};

}  // namespace ist::cli
