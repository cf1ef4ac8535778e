#include "cli/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace ist::cli {

namespace {

std::atomic<pid_t> g_child{0};
volatile sig_atomic_t g_interrupted = 0;

void on_signal(int signal) {
  g_interrupted = 1;
  const pid_t child = g_child.load();
  if (signal == SIGTERM && child > 0) kill(child, SIGTERM);
}

}  // namespace

Result<ChildExit> run_child(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  struct sigaction action {}, old_int{}, old_term{};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  g_interrupted = 0;
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  const pid_t pid = fork();
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) {
    const int error = errno;
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    return Status::io_error("cannot start " + binary + ": " + std::strerror(error));
  }
  g_child.store(pid);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child.store(0);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  ChildExit exit;
  exit.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  exit.interrupted = g_interrupted != 0;
  return exit;
}

}  // namespace ist::cli
