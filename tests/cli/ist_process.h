// Running the `ist` binary (IST_BINARY) from a test, bounded in time, and a TCP port held busy: the
// helpers every process-level cli test shares.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace ist::cli::ist_process {

struct Outcome {
  int exit_code = -1;  // -1 if it did not exit normally (killed)
  std::string output;  // stdout and stderr together
};

// Runs IST_BINARY with args, extra environment ("KEY=value") and working directory `cwd` (empty: this
// one), bounded by `timeout`: kills it if it runs over.
inline Outcome run_ist(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                       std::chrono::seconds timeout = std::chrono::seconds(120), const std::string& cwd = "") {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv{const_cast<char*>(IST_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(IST_BINARY, argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  Outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      outcome.output += "\n[killed: ran over " + std::to_string(timeout.count()) + " s]";
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    outcome.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

// The whole contents of `file` (empty if it cannot be read).
inline std::string file_text(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Starts IST_BINARY with args in the background, its output (stdout and stderr) to the file `log`;
// returns its pid. The caller waits for it (waitpid).
inline pid_t spawn_ist(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(IST_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(IST_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits (bounded, looking every `poll_every`) for `pid` to exit; its exit code, or -1 if it was killed by a
// signal or ran over (then it is killed).
inline int wait_exit(pid_t pid, std::chrono::seconds timeout,
                     std::chrono::milliseconds poll_every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    pollfd none{};
    poll(&none, 0, static_cast<int>(poll_every.count()));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Node processes (`ist node ...`) whose command line mentions `needle` (e.g. a port or a head endpoint).
inline int node_processes_mentioning(const std::string& needle) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(" node ") != std::string::npos && cmdline.find(needle) != std::string::npos) ++count;
  }
  return count;
}

// A loopback port the OS chose (bound to port 0, read back, released): for a process that binds it next.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A loopback TCP port the OS chose, held listening for the object's life: anything else that binds it fails.
class BusyPort {
 public:
  BusyPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 1) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~BusyPort() { close(fd_); }
  BusyPort(const BusyPort&) = delete;
  BusyPort& operator=(const BusyPort&) = delete;

  int port() const { return port_; }  // 0 if the socket could not be set up

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace ist::cli::ist_process
