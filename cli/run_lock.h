// One writer per run directory: a driver (ist run, ist simulate, ist run --resume) holds the directory's
// lock while it writes there, so a second driver on the same directory fails at once instead of
// interleaving its rounds into metrics.jsonl. The lock is flock(2) on DIR/run.lock, which the kernel
// drops when its holder ends however it ends (kill -9 too), so a crashed run never leaves a stale lock.
// The file holds the holder's PID, to name it in the error.
#pragma once

#include <string>

#include "base/status.h"

namespace ist::cli {

class RunLock {
 public:
  // Takes the lock of `directory` (which must exist) without waiting. Errors: invalid_argument when
  // another open lock holds it ("run directory D is in use by another ist process (pid N)"), io_error.
  static Result<RunLock> acquire(const std::string& directory);

  // True while some process holds the lock of `directory` (a driver is writing there). A probe: it takes
  // and drops a shared lock when nobody holds it, so a driver starting at that very instant may be told the
  // directory is in use. False when there is no lock file.
  static bool is_held(const std::string& directory);

  RunLock() = default;  // holds nothing
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();  // releases the lock (the file stays)

  bool held() const { return fd_ >= 0; }

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ist::cli
