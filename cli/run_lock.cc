#include "cli/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace ist::cli {

namespace {

// The PID the holder wrote into the lock file ("" if it has not yet).
std::string holder_of(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  std::string pid(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

Result<RunLock> RunLock::acquire(const std::string& directory) {
  const std::string path = directory + "/run.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error(path + ": cannot open: " + std::strerror(errno));
  int r = 0;
  do {
    r = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    const int saved = errno;
    const std::string holder = saved == EWOULDBLOCK ? holder_of(fd) : "";
    ::close(fd);
    if (saved != EWOULDBLOCK) return Status::io_error(path + ": cannot lock: " + std::strerror(saved));
    return Status::invalid_argument("run directory " + directory + " is in use by another ist process" +
                                    (holder.empty() ? "" : " (pid " + holder + ")") +
                                    "; wait for it to end, or stop it first");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int saved = errno;
    ::close(fd);
    return Status::io_error(path + ": cannot write: " + std::strerror(saved));
  }
  return RunLock(fd);
}

bool RunLock::is_held(const std::string& directory) {
  const std::string path = directory + "/run.lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int r = 0;
  do {
    r = ::flock(fd, LOCK_SH | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  const bool held = r != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops the shared lock if this probe took it
  return held;
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor of the open file releases the flock
}

}  // namespace ist::cli
