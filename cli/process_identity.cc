#include "cli/process_identity.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

namespace ist::cli {

namespace {

// Through syscall(): glibc 2.36's <sys/pidfd.h> declares these without C linkage, so C++ cannot link them.
int pidfd_open(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}
int pidfd_send_signal(int pidfd, int signal) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string this_boot_id() {
  std::string id = read_text("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace

bool is_zombie_stat(const std::string& stat_line) {
  const auto close_paren = stat_line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < stat_line.size() &&
         stat_line[close_paren + 2] == 'Z';
}

Result<std::uint64_t> start_time_from_stat(const std::string& stat_line) {
  const auto close_paren = stat_line.rfind(')');
  if (close_paren == std::string::npos) return Status::corrupt_data("no command name in stat line");
  // After "(comm)" come fields 3 (state), 4, ...: field 22 is the 20th of them.
  std::istringstream fields(stat_line.substr(close_paren + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return Status::corrupt_data("stat line ends before field 22 (start time)");
  }
  if (field.empty() ||
      !std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::corrupt_data("field 22 (start time) is not a number: '" + field + "'");
  }
  return static_cast<std::uint64_t>(std::stoull(field));
}

Result<ProcessIdentity> identify_process(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return Status::not_found("no process with pid " + std::to_string(pid));
  IST_ASSIGN_OR_RETURN(std::uint64_t start_time, start_time_from_stat(stat));
  return ProcessIdentity{pid, start_time, this_boot_id()};
}

Result<ProvenProcess> ProvenProcess::open(const ProcessIdentity& recorded) {
  const std::string pid_text = "pid " + std::to_string(recorded.pid);
  if (recorded.pid <= 0) return Status::invalid_argument(pid_text + " names no process");
  // A boot id may be unreadable (a /proc without sys/): then both are empty and the start time decides.
  if (recorded.start_time == 0) {
    return Status::invalid_argument(pid_text + " was recorded without its start time");
  }
  const int fd = pidfd_open(recorded.pid);
  if (fd < 0) {
    if (errno == ESRCH) return Status::not_found("no process with " + pid_text);
    return Status::io_error("pidfd_open(" + std::to_string(recorded.pid) + "): " + std::strerror(errno));
  }
  ProvenProcess process(recorded.pid, fd);  // closes fd on every return below
  auto now = identify_process(recorded.pid);
  if (!now.ok()) return now.status();
  if (now->boot_id != recorded.boot_id) {
    return Status::invalid_argument(pid_text + " was recorded in another boot (" + recorded.boot_id + ")");
  }
  if (now->start_time != recorded.start_time) {
    return Status::invalid_argument(pid_text + " now belongs to a process started at tick " +
                                    std::to_string(now->start_time) + ", ours started at tick " +
                                    std::to_string(recorded.start_time));
  }
  // A daemon's parent is init, which may be slow to reap it (or, in a container, never): a zombie has
  // exited all the same.
  if (is_zombie_stat(read_text("/proc/" + std::to_string(recorded.pid) + "/stat"))) {
    return Status::not_found(pid_text + " has exited (a zombie not yet reaped)");
  }
  return process;
}

ProvenProcess::ProvenProcess(ProvenProcess&& other) noexcept
    : pid_(other.pid_), pidfd_(std::exchange(other.pidfd_, -1)) {}

ProvenProcess& ProvenProcess::operator=(ProvenProcess&& other) noexcept {
  if (this != &other) {
    if (pidfd_ >= 0) close(pidfd_);
    pid_ = other.pid_;
    pidfd_ = std::exchange(other.pidfd_, -1);
  }
  return *this;
}

ProvenProcess::~ProvenProcess() {
  if (pidfd_ >= 0) close(pidfd_);
}

Status ProvenProcess::send(int signal) const {
  if (pidfd_send_signal(pidfd_, signal) == 0 || errno == ESRCH) return Status::ok_status();
  return Status::io_error("cannot signal pid " + std::to_string(pid_) + ": " + std::strerror(errno));
}

bool ProvenProcess::wait_for_exit(std::chrono::steady_clock::time_point deadline) const {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

}  // namespace ist::cli
