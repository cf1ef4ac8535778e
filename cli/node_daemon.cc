#include "cli/node_daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/process_identity.h"
#include "cli/program.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;

// Where node process `pid` started by `ist start` writes its output: beside the cluster state file.
std::string node_log_path(pid_t pid) {
  return std::filesystem::path(cluster_state_path()).parent_path().string() + "/node-" + std::to_string(pid) +
         ".log";
}

// Starts `ist node ARGS...` as a daemon: its own session, stdio to its node_log_path, not killed with
// this command (unlike an embedded cluster's workers). Returns its pid.
Result<pid_t> spawn_daemon(const std::vector<std::string>& node_args) {
  std::vector<std::string> argv_strings = {self_binary(), "node"};
  const std::string log_dir = std::filesystem::path(cluster_state_path()).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  argv_strings.insert(argv_strings.end(), node_args.begin(), node_args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::io_error("fork failed");
  if (pid == 0) {
    // Only async-signal-safe work from here on (this process may have had other threads): no allocation.
    setsid();
    char log[4096];
    std::snprintf(log, sizeof(log), "%s/node-%d.log", log_dir.c_str(), static_cast<int>(getpid()));
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    close_range(3, ~0U, 0);  // nothing of the starting command (pipes, sockets) stays open in the daemon
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

Result<StartedProcess> spawn_node(const std::string& role, const std::vector<std::string>& node_args) {
  IST_ASSIGN_OR_RETURN(pid_t pid, spawn_daemon(node_args));
  // The child is ours and not yet reaped, so its /proc entry exists even if it has already failed.
  IST_ASSIGN_OR_RETURN(ProcessIdentity identity, identify_process(pid));
  return StartedProcess{role, std::move(identity)};
}

void end_node(const ProcessIdentity& node) {
  if (auto process = ProvenProcess::open(node); process.ok()) {
    (void)process->send(SIGTERM);
    if (!process->wait_for_exit(std::chrono::steady_clock::now() + 5s)) (void)process->send(SIGKILL);
  }
  waitpid(node.pid, nullptr, 0);  // returns at once if it was reaped already
}

std::string last_log_line(pid_t pid) {
  std::ifstream in(node_log_path(pid));
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

}  // namespace ist::cli
