// `ist start`, `ist stop`, `ist status`, `ist node`: a cluster that outlives one command.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <tuple>

#include "actors/driver.h"
#include "actors/subnet_trainer.h"
#include "actors/trainer_placement.h"
#include "cli/cluster_state.h"
#include "cli/commands.h"
#include "ist/tensor.h"
#include "runtime/member_query.h"
#include "runtime/node.h"
#include "runtime/node_main.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;

// Starts `ist node ARGS...` as a daemon: its own session, stdio to /dev/null, not killed with this
// command (unlike an embedded cluster's workers). Returns its pid.
// Its output goes to node-<pid>.log beside the cluster state file.
Result<pid_t> spawn_daemon(const std::vector<std::string>& node_args) {
  std::vector<std::string> argv_strings = {self_binary(), "node"};
  const std::string log_dir = std::filesystem::path(cluster_state_path()).parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  argv_strings.insert(argv_strings.end(), node_args.begin(), node_args.end());
  const pid_t pid = fork();
  if (pid < 0) return Status::io_error("fork failed");
  if (pid == 0) {
    setsid();
    const std::string log = log_dir + "/node-" + std::to_string(getpid()) + ".log";
    FILE* in = std::freopen("/dev/null", "r", stdin);
    FILE* out = std::freopen(log.c_str(), "a", stdout);
    FILE* err = std::freopen(log.c_str(), "a", stderr);
    (void)in;
    (void)out;
    (void)err;
    close_range(3, ~0U, 0);  // nothing of the starting command (pipes, sockets) stays open in the daemon
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

bool alive(pid_t pid) { return kill(pid, 0) == 0 && waitpid(pid, nullptr, WNOHANG) != pid; }

// Waits until process pid exits or the deadline passes, with a pidfd (Linux >= 5.3): no polling loop.
void wait_for_exit(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;  // already gone
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{fd, POLLIN, 0};
  poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
  close(fd);
  waitpid(pid, nullptr, WNOHANG);  // reap it if it was our child
}

std::string with_scheme(const std::string& address) {
  return address.rfind("tcp://", 0) == 0 ? address : "tcp://" + address;
}

// The head's alive members, read without joining (no membership event; nothing to bind, so it works
// from behind NAT too).
Result<std::vector<rt::Member>> query_head(const std::string& address, std::chrono::milliseconds timeout) {
  return rt::query_members(with_scheme(address), rt::deadline_in(timeout));
}

// Waits until every node named in `names` is an alive member, asking the head every 100 ms (the head
// has no "tell me when" request; a query is one small round trip).
Status wait_for_named_members(const std::string& address, const std::vector<std::string>& names,
                              std::chrono::steady_clock::time_point deadline) {
  std::size_t missing = names.size();
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto members = query_head(address, 1s);
    if (members.ok()) {
      missing = 0;
      for (const std::string& name : names) {
        const bool there = std::any_of(members->begin(), members->end(), [&](const rt::Member& m) {
          return m.name == name && m.state == rt::MemberState::kAlive;
        });
        missing += there ? 0 : 1;
      }
      if (missing == 0) return Status::ok_status();
    } else {
      last = members.status();
    }
    std::this_thread::sleep_for(100ms);  // the pace of asking, not a synchronisation
  }
  return Status::timeout(std::to_string(missing) + " of " + std::to_string(names.size()) +
                         " node(s) not joined" + (last.ok() ? "" : "; last query: " + last.to_string()));
}

}  // namespace

int command_node(int argc, char** argv) {
  if (Status s = actors::register_trainer_actor_types(); !s.ok()) return fail(s.to_string(), 2);
  // One trainer per node process, one core per trainer: BLAS threads would oversubscribe the cores.
  set_compute_threads(1);
  auto options = rt::parse_node_args(argc, argv);
  if (!options.ok()) return fail(options.status().to_string(), 2);
  return rt::run_node_main(*options);
}

int command_start(const StartArgs& args) {
  if (args.head == !args.address.empty()) return fail("give either --head or --address HOST:PORT", 2);
  ClusterState state;
  auto existing = load_cluster_state();
  if (existing.ok()) state = *existing;
  std::string head_address;
  if (args.head) {
    if (existing.ok() && !existing->pids.empty() && alive(existing->pids.front())) {
      return fail("a cluster started here is still running (head " + existing->head_address + "); run `ist stop` first");
    }
    state = ClusterState{};
    head_address = "tcp://" + args.node_ip + ":" + std::to_string(args.port);
    auto pid = spawn_daemon({"--role", "head", "--name", "head", "--bind", head_address});
    if (!pid.ok()) return fail(pid.status().to_string());
    state.pids.push_back(*pid);
    state.head_address = head_address;
    // Wait until the head answers, so workers and `ist run --address` can join at once. Each query waits
    // for the head's socket by itself (ZeroMQ reconnects); the short slices only let us notice a head
    // process that exited (e.g. its port was taken).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool up = false;
    while (!up && std::chrono::steady_clock::now() < deadline && alive(*pid)) {
      up = query_head(head_address, 500ms).ok();
    }
    if (!up) {
      kill(*pid, SIGTERM);
      return fail("the head did not come up on port " + std::to_string(args.port) + " (is the port in use?)");
    }
  } else {
    head_address = with_scheme(args.address);
    if (state.head_address.empty()) state.head_address = head_address;
  }
  if (args.workers > 0) {
    auto reachable = query_head(head_address, 5s);
    if (!reachable.ok()) {
      return fail("cannot reach the head at " + head_address + ": " + reachable.status().to_string());
    }
  }
  std::vector<std::string> worker_names;
  for (int i = 0; i < args.workers; ++i) {
    worker_names.push_back("worker-" + std::to_string(getpid()) + "-" + std::to_string(i));
    auto pid = spawn_daemon({"--role", "worker", "--head", head_address, "--bind",
                             "tcp://" + args.node_ip + ":*", "--name", worker_names.back()});
    if (!pid.ok()) return fail(pid.status().to_string());
    state.pids.push_back(*pid);
  }
  if (Status s = save_cluster_state(state); !s.ok()) return fail(s.to_string());
  if (!worker_names.empty()) {
    Status joined =
        wait_for_named_members(head_address, worker_names, std::chrono::steady_clock::now() + 30s);
    if (!joined.ok()) return fail("the workers did not all join within 30 s: " + joined.to_string());
  }
  std::printf("%s %s%s\n", args.head ? "started head at" : "joined", head_address.c_str(),
              args.workers > 0 ? (" with " + std::to_string(args.workers) + " worker node(s)").c_str() : "");
  if (args.head && args.node_ip == "127.0.0.1") {
    std::printf("this head listens on loopback only; for other hosts start it with --node-ip <this host's address>\n");
  } else if (args.head) {
    std::printf("join from other hosts: ist start --address %s:%d --node-ip <that host's address> --workers N\n",
                args.node_ip.c_str(), args.port);
  }
  return 0;
}

int command_stop() {
  auto state = load_cluster_state();
  if (!state.ok()) return fail(state.status().message());
  // Workers first, the head last, so workers leave cleanly instead of losing their head.
  for (auto it = state->pids.rbegin(); it != state->pids.rend(); ++it) {
    if (alive(*it)) kill(*it, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (pid_t pid : state->pids) {
    wait_for_exit(pid, deadline);
    if (alive(pid)) kill(pid, SIGKILL);
  }
  remove_cluster_state();
  std::printf("stopped %zu process(es)\n", state->pids.size());
  return 0;
}

int command_status(const std::string& address) {
  std::string head = address;
  if (head.empty()) {
    auto state = load_cluster_state();
    if (!state.ok()) return fail(state.status().message() + "; give --address HOST:PORT");
    head = state->head_address;
  }
  auto members = query_head(head, 5s);
  if (!members.ok()) return fail("cannot reach the head at " + head + ": " + members.status().to_string());
  // The head first, then by role and name: the same cluster prints the same table.
  std::sort(members->begin(), members->end(), [](const rt::Member& a, const rt::Member& b) {
    return std::tie(a.role, a.name, a.id) < std::tie(b.role, b.name, b.id);
  });
  std::printf("cluster at %s\n", with_scheme(head).c_str());
  std::printf("%-18s %-7s %-8s %-30s %s\n", "node", "role", "state", "endpoint", "name");
  int alive_workers = 0;
  for (const rt::Member& m : *members) {
    const char* state = m.state == rt::MemberState::kAlive ? "alive" : m.state == rt::MemberState::kLeft ? "left" : "dead";
    std::printf("%016llx   %-7s %-8s %-30s %s\n", static_cast<unsigned long long>(m.id),
                rt::role_name(m.role), state, m.endpoint.c_str(), m.name.c_str());
    if (m.state == rt::MemberState::kAlive && actors::hosts_trainers(m)) ++alive_workers;
  }
  std::printf("%d worker node(s) alive\n", alive_workers);
  for (const rt::Member& m : *members) {
    if (m.state != rt::MemberState::kAlive || m.role != rt::NodeRole::kDriver) continue;
    // `ist run --address` names its driver node "driver:<experiment>".
    const std::string experiment = m.name.rfind("driver:", 0) == 0 ? m.name.substr(7) : m.name;
    std::printf("running experiment: %s (driver at %s)\n", experiment.c_str(), m.endpoint.c_str());
  }
  return 0;
}

}  // namespace ist::cli
