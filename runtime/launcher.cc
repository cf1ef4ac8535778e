#include "runtime/launcher.h"

#include <signal.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "runtime/log.h"

namespace ist::rt {

LocalCluster::LocalCluster(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {}

LocalCluster::~LocalCluster() { stop(); }

Result<pid_t> LocalCluster::start_worker(const std::vector<std::string>& extra_args) {
  // Everything the child needs is built before fork: after fork only async-signal-safe calls.
  std::vector<std::string> all{binary_};
  all.insert(all.end(), args_.begin(), args_.end());
  all.insert(all.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const int output = output_.empty() ? -1 : ::open(output_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (!output_.empty() && output < 0) {
    return Status::io_error("cannot open " + output_ + " for the workers' output: " + std::strerror(errno));
  }

  const pid_t pid = fork();
  if (pid != 0 && output >= 0) ::close(output);
  if (pid < 0) return Status::io_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (output >= 0) {  // dup2 clears close-on-exec on the copies
      dup2(output, STDOUT_FILENO);
      dup2(output, STDERR_FILENO);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    // A process group of its own: Ctrl-C on the terminal reaches the parent (which stops its run in good
    // order and then stops its workers), not the workers mid-round.
    setpgid(0, 0);
    // Children start with the signal mask of the forking thread; a node must see SIGTERM.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pids_.push_back(pid);
  reaped_.push_back(false);
  term_sent_.push_back(false);
  return pid;
}

Status LocalCluster::start_and_wait(int n, Node& head, Deadline deadline) {
  std::size_t alive = 0;
  for (const Member& m : head.members()) alive += m.state == MemberState::kAlive ? 1 : 0;
  for (int i = 0; i < n; ++i) {
    auto pid = start_worker();
    if (!pid.ok()) return pid.status();
  }
  return head.wait_for_members(alive + static_cast<std::size_t>(n), deadline)
      .with_context("waiting for " + std::to_string(n) + " workers to join");
}

Status LocalCluster::signal_worker(std::size_t i, int signal) {
  if (i >= pids_.size() || reaped_[i]) return Status::not_found("no running worker " + std::to_string(i));
  if (::kill(pids_[i], signal) != 0) return Status::io_error(std::string("kill: ") + std::strerror(errno));
  return Status();
}

bool LocalCluster::running(pid_t pid) {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] != pid || reaped_[i]) continue;
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      reaped_[i] = true;
      return false;
    }
    return true;
  }
  return false;
}

void LocalCluster::request_stop() {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (reaped_[i] || term_sent_[i]) continue;
    ::kill(pids_[i], SIGTERM);
    term_sent_[i] = true;
  }
}

void LocalCluster::stop(std::chrono::milliseconds grace) {
  request_stop();  // once per worker: a second SIGTERM could end one in the middle of its leave
  // Reaping is polled (waitpid has no timeout); this is process supervision, not test synchronization.
  const auto deadline = deadline_in(grace);
  for (;;) {
    bool any = false;
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      if (reaped_[i]) continue;
      const pid_t r = waitpid(pids_[i], nullptr, WNOHANG);
      if (r == pids_[i] || (r < 0 && errno == ECHILD)) {
        reaped_[i] = true;
      } else {
        any = true;
      }
    }
    if (!any) return;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (reaped_[i]) continue;
    log(LogLevel::kWarn, "worker pid ", pids_[i], " ignored SIGTERM; killing it");
    ::kill(pids_[i], SIGKILL);
    waitpid(pids_[i], nullptr, 0);
    reaped_[i] = true;
  }
}

}  // namespace ist::rt
