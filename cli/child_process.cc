#include "cli/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace ist::cli {

namespace {

// The running children, for the signal handler (async-signal-safe: fixed slots, lock-free atomics).
constexpr std::size_t kMaxChildren = 64;
std::array<std::atomic<pid_t>, kMaxChildren> g_children{};
volatile sig_atomic_t g_interrupted = 0;
struct sigaction g_old_int {}, g_old_term {};

void on_signal(int signal) {
  g_interrupted = 1;
  if (signal != SIGTERM) return;
  for (const std::atomic<pid_t>& child : g_children) {
    const pid_t pid = child.load();
    if (pid > 0) kill(pid, SIGTERM);
  }
}

void set_slot(pid_t from, pid_t to) {
  for (std::atomic<pid_t>& child : g_children) {
    pid_t expected = from;
    if (child.compare_exchange_strong(expected, to)) return;
  }
}

}  // namespace

ChildGroup::ChildGroup() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  g_interrupted = 0;
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
}

ChildGroup::~ChildGroup() {
  while (!running_.empty()) wait_any();
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool ChildGroup::interrupted() const { return g_interrupted != 0; }

Result<pid_t> ChildGroup::start(const std::string& binary, const std::vector<std::string>& args) {
  if (running_.size() >= kMaxChildren) {
    return Status::too_large("cannot start " + binary + ": " + std::to_string(kMaxChildren) +
                                      " children run already");
  }
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &g_old_int, nullptr);
    sigaction(SIGTERM, &g_old_term, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) {
    const int error = errno;
    return Status::io_error("cannot start " + binary + ": " + std::strerror(error));
  }
  set_slot(0, pid);
  running_.push_back(pid);
  return pid;
}

std::pair<pid_t, ChildExit> ChildGroup::wait_any() {
  int status = 0;
  pid_t pid;
  for (;;) {
    pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;  // no child left (ECHILD): the bookkeeping is cleared below
    if (std::find(running_.begin(), running_.end(), pid) != running_.end()) break;
  }
  ChildExit exit;
  exit.interrupted = interrupted();
  if (pid < 0) {
    pid = running_.front();
    exit.code = 128 + SIGKILL;  // reaped elsewhere: how it ended is unknown
  } else {
    exit.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  set_slot(pid, 0);
  running_.erase(std::find(running_.begin(), running_.end(), pid));
  return {pid, exit};
}

Result<ChildExit> run_child(const std::string& binary, const std::vector<std::string>& args) {
  ChildGroup group;
  IST_RETURN_IF_ERROR(group.start(binary, args).status());
  return group.wait_any().second;
}

}  // namespace ist::cli
