// `ist start`, `ist stop`, `ist node`: a cluster that outlives one command.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include "actors/driver.h"
#include "actors/hosted_data.h"
#include "actors/subnet_trainer.h"
#include "actors/trainer_placement.h"
#include "cli/cluster_credentials.h"
#include "cli/cluster_state.h"
#include "cli/commands.h"
#include "cli/head_address.h"
#include "cli/node_daemon.h"
#include "cli/port_probe.h"
#include "cli/process_identity.h"
#include "ist/tensor.h"
#include "runtime/member_query.h"
#include "runtime/node.h"
#include "runtime/node_main.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;

// True if any process of `state` still runs as the process recorded (not merely under its pid).
bool any_still_ours(const ClusterState& state) {
  return std::any_of(state.processes.begin(), state.processes.end(),
                     [](const StartedProcess& p) { return ProvenProcess::open(p.identity).ok(); });
}

// True if the head recorded in `state` still runs as the process recorded.
bool head_still_ours(const ClusterState& state) {
  return std::any_of(state.processes.begin(), state.processes.end(), [](const StartedProcess& p) {
    return p.role == "head" && ProvenProcess::open(p.identity).ok();
  });
}

// Names this start's nodes apart from every other start's: a head found at our address under another
// name is someone else's.
std::string start_tag() {
  std::random_device random;
  char text[16];
  std::snprintf(text, sizeof(text), "%08x", static_cast<unsigned>(random()));
  return std::to_string(getpid()) + "-" + text;
}


// `--key-file PATH` for node processes, or `--insecure` for an insecure cluster.
std::vector<std::string> key_file_args(const std::optional<rt::ClusterKey>& key) {
  if (!key) return {"--insecure"};
  return {"--key-file", cluster_key_path()};
}

// The key this host's nodes of a cluster joined at --address use, kept in cluster_key_path() so later
// commands here find it. Refuses to replace another cluster's key.
Result<std::optional<rt::ClusterKey>> key_to_join(const CredentialArgs& credentials, const ClusterState& state) {
  IST_ASSIGN_OR_RETURN(std::optional<rt::ClusterKey> key, cluster_key_for(credentials, state.insecure));
  if (!key) return key;
  auto kept = rt::ClusterKey::read_file(cluster_key_path());
  if (kept.ok()) {
    if (kept->text() != key->text()) {
      return Status::invalid_argument(cluster_key_path() + " holds another cluster's key: `ist stop` that cluster first");
    }
    return key;
  }
  if (kept.status().code() != ErrorCode::kNotFound) return kept.status();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(cluster_key_path()).parent_path(), ec);
  IST_RETURN_IF_ERROR(key->write_file(cluster_key_path()));
  return key;
}

// Waits until every worker (name, pid of our child) is an alive member, asking the head every 100 ms (the
// head has no "tell me when" request; a query is one small round trip). Fails early if a worker process
// exits, with the last line of its log as the reason.
Status wait_for_workers(const std::string& address, const std::vector<std::pair<std::string, pid_t>>& workers,
                        std::chrono::steady_clock::time_point deadline, const std::optional<rt::ClusterKey>& key) {
  std::size_t missing = workers.size();
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& [name, pid] : workers) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) {
        const std::string why = last_log_line(pid);
        return Status::io_error("worker " + name + " exited" + (why.empty() ? "" : ": " + why));
      }
    }
    auto members = query_head(address, 1s, key);
    if (members.ok()) {
      missing = 0;
      for (const auto& worker : workers) {
        const bool there = std::any_of(members->begin(), members->end(), [&](const rt::Member& m) {
          return m.name == worker.first && m.state == rt::MemberState::kAlive;
        });
        missing += there ? 0 : 1;
      }
      if (missing == 0) return Status::ok_status();
    } else {
      last = members.status();
    }
    std::this_thread::sleep_for(100ms);  // the pace of asking, not a synchronisation
  }
  return Status::timeout(std::to_string(missing) + " of " + std::to_string(workers.size()) +
                         " worker node(s) not joined within 30 s" +
                         (last.ok() ? "" : "; last query: " + last.to_string()));
}

// Waits until the head at `address` answers and is the one we started (named `name`): another cluster's
// head answering at the same address does not count. Fails early if our head process (pid, our child)
// exits, with the last line of its log as the reason.
Status wait_for_own_head(const std::string& address, const std::string& name, pid_t pid,
                         const std::optional<rt::ClusterKey>& key) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool someone_else = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      const std::string why = last_log_line(pid);
      return Status::io_error(why.empty() ? "the head process exited" : "the head process exited: " + why);
    }
    // Each query waits for the head's socket by itself (ZeroMQ reconnects); the short slices only let us
    // notice a head process that exited.
    auto members = query_head(address, 500ms, key);
    if (!members.ok()) continue;
    const bool ours = std::any_of(members->begin(), members->end(), [&](const rt::Member& m) {
      return m.role == rt::NodeRole::kHead && m.name == name && m.state == rt::MemberState::kAlive;
    });
    if (ours) return Status::ok_status();
    someone_else = true;
    std::this_thread::sleep_for(100ms);  // the pace of asking, not a synchronisation
  }
  return Status::timeout(someone_else ? "another head answers at " + address + " (is the port in use?)"
                                      : "no answer from " + address + " within 10 s");
}

}  // namespace

int command_node(int argc, char** argv) {
  if (Status s = actors::register_trainer_actor_types(); !s.ok()) return fail(s.to_string(), 2);
  // One trainer per node process, one core per trainer: BLAS threads would oversubscribe the cores.
  set_compute_threads(1);
  // A node speaks CURVE with --key-file; plain TCP only when asked for by name.
  std::vector<char*> node_argv;
  bool insecure = false, keyed = false;
  std::string data;  // --data PATH: this worker's own training data (actors/hosted_data.h)
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--insecure") {
      insecure = true;
      continue;
    }
    if (arg == "--data" && i + 1 < argc) {
      data = argv[++i];
      continue;
    }
    keyed = keyed || arg == "--key-file";
    node_argv.push_back(argv[i]);
  }
  if (insecure == keyed) return fail("ist node needs --key-file PATH (the cluster key) or --insecure, not both", kExitUsage);
  auto options = rt::parse_node_args(static_cast<int>(node_argv.size()), node_argv.data());
  if (!options.ok()) return fail(options.status().to_string(), kExitUsage);
  actors::HostedData hosted{options->name, std::nullopt};
  if (!data.empty()) {
    auto source = actors::hosted_data_source(data);
    if (!source.ok()) return fail(source.status().to_string(), kExitUsage);
    hosted.data = std::move(source).value();
  }
  actors::set_hosted_data(std::move(hosted));  // before the node starts: no trainer exists yet
  return rt::run_node_main(*options);
}

int command_start(const StartArgs& args) {
  if (args.head == !args.address.empty()) {
    return fail("give either --head or --address HOST:PORT", kExitUsage);
  }
  std::optional<DataSource> worker_data;
  if (!args.data.empty()) {
    if (args.workers < 1) return fail("--data is the data of the worker nodes this start brings up: add --workers N", kExitUsage);
    auto source = actors::hosted_data_source(args.data);
    if (!source.ok()) return fail(source.status().message(), kExitUsage);
    worker_data = std::move(source).value();
  }
  if (!args.head && args.workers < 1) {
    return fail("--workers: ist start --address starts worker nodes: give --workers 1 to " +
                    std::to_string(kMaxWorkersPerHost),
                kExitUsage);
  }
  ClusterState state;
  auto existing = load_cluster_state();
  if (existing.ok()) state = *existing;
  // A state file that does not parse may still name running nodes: never overwrite it.
  if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound)
    return fail(existing.status().message());
  const std::string tag = start_tag();
  std::string head_address;
  std::optional<rt::ClusterKey> key;
  if (args.head) {
    head_address = "tcp://" + args.node_ip + ":" + std::to_string(args.port);
    // The head of a cluster started here died while its workers run on: a head started again at the same
    // address takes its place (the workers join it again), and the workers stay recorded for `ist stop`.
    const bool replaces_dead_head = existing.ok() && existing->head_address == head_address &&
                                    !head_still_ours(*existing) && any_still_ours(*existing);
    if (existing.ok() && any_still_ours(*existing) && !replaces_dead_head) {
      return fail("a cluster started here is still running (head " + existing->head_address +
                  "); run `ist stop` first");
    }
    if (Status free = check_port_free(args.node_ip, args.port); !free.ok()) {
      return fail("cannot start a head on port " + std::to_string(args.port) + ": " + free.message());
    }
    state = ClusterState{};
    if (replaces_dead_head) {
      // The workers still running hold the cluster's key: the new head keeps it (and the old mode).
      state.insecure = existing->insecure;
      if (!state.insecure) {
        auto kept = rt::ClusterKey::read_file(cluster_key_path());
        if (!kept.ok()) return fail("restarting the head: " + kept.status().to_string());
        key = std::move(kept).value();
      }
      for (const StartedProcess& p : existing->processes) {
        if (p.role != "head" && ProvenProcess::open(p.identity).ok()) state.processes.push_back(p);
      }
      std::printf("the head at %s is gone; starting it again for the %zu node(s) still running\n",
                  head_address.c_str(), state.processes.size());
    } else {
      state.insecure = args.credentials.insecure;
      if (!args.credentials.insecure) {
        auto fresh = rt::ClusterKey::generate();
        if (!fresh.ok()) return fail(fresh.status().to_string());
        key = std::move(fresh).value();
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(cluster_key_path()).parent_path(), ec);
        if (Status s = key->write_file(cluster_key_path()); !s.ok()) return fail(s.to_string());
      }
    }
    std::vector<std::string> head_args = {"--role", "head", "--name", "head-" + tag, "--bind", head_address};
    for (const std::string& a : key_file_args(key)) head_args.push_back(a);
    auto head = spawn_node("head", head_args);
    if (!head.ok()) return fail(head.status().to_string());
    state.processes.insert(state.processes.begin(), *head);  // first: `ist stop` ends it last
    state.head_address = head_address;
    if (Status up = wait_for_own_head(head_address, "head-" + tag, head->identity.pid, key); !up.ok()) {
      end_node(head->identity);
      return fail("the head did not come up on port " + std::to_string(args.port) + ": " + up.message());
    }
  } else {
    head_address = with_scheme(args.address);
    if (state.head_address.empty()) {
      state.head_address = head_address;
      state.insecure = args.credentials.insecure;
    }
    auto joining = key_to_join(args.credentials, state);
    if (!joining.ok()) return fail(joining.status().to_string());
    key = std::move(joining).value();
  }
  if (args.workers > 0) {
    auto reachable = query_head(head_address, 5s, key);
    if (!reachable.ok()) {
      return fail("cannot reach the head at " + head_address + ": " + reachable.status().to_string());
    }
  }
  // A start that fails partway stops what it brought up (workers first, then its head) and puts the
  // state file back as it was: nothing of it is left running or recorded.
  std::vector<ProcessIdentity> started_now;
  if (args.head) started_now.push_back(state.processes.front().identity);
  const auto undo = [&](const std::string& why) {
    for (auto it = started_now.rbegin(); it != started_now.rend(); ++it) end_node(*it);
    if (existing.ok()) {
      (void)save_cluster_state(*existing);
    } else {
      remove_cluster_state();
    }
    return fail(why + "; stopped the " + std::to_string(started_now.size()) + " node(s) this start brought up");
  };
  std::vector<std::pair<std::string, pid_t>> workers;
  for (int i = 0; i < args.workers; ++i) {
    const std::string name = "worker-" + tag + "-" + std::to_string(i);
    std::vector<std::string> worker_args = {"--role", "worker", "--head", head_address, "--bind",
                                            "tcp://" + args.node_ip + ":*", "--name", name};
    for (const std::string& a : key_file_args(key)) worker_args.push_back(a);
    if (worker_data) worker_args.insert(worker_args.end(), {"--data", worker_data->path});
    auto worker = spawn_node("worker", worker_args);
    if (!worker.ok()) return undo(worker.status().to_string());
    state.processes.push_back(*worker);
    started_now.push_back(worker->identity);
    workers.emplace_back(name, worker->identity.pid);
  }
  if (Status s = save_cluster_state(state); !s.ok()) return undo(s.to_string());
  if (!workers.empty()) {
    Status joined = wait_for_workers(head_address, workers, std::chrono::steady_clock::now() + 30s, key);
    if (!joined.ok()) return undo("the worker nodes did not all come up: " + joined.message());
  }
  std::printf("%s %s%s%s\n", args.head ? "started head at" : "joined", head_address.c_str(),
              args.workers > 0 ? (" with " + std::to_string(args.workers) + " worker node(s)").c_str() : "",
              worker_data ? (" training on their own data " + worker_data->path).c_str() : "");
  if (args.head && args.node_ip == "127.0.0.1") {
    std::printf("this head listens on loopback only; for other hosts start it with --node-ip <this host's address>\n");
  } else if (args.head) {
    // The key travels in the command (like `ray start`'s printed join command): whoever holds it can join.
    const std::string credential = key ? "--cluster-key " + key->text() : "--insecure";
    std::printf("join from other hosts: ist start --address %s:%d %s --node-ip <that host's address> --workers N\n",
                args.node_ip.c_str(), args.port, credential.c_str());
  }
  if (args.head) {
    std::printf(key ? "the cluster key is in %s (mode 0600): anyone holding it can join and command this cluster\n"
                    : "insecure: no encryption and no authentication; anyone who reaches port %s can join\n",
                key ? cluster_key_path().c_str() : std::to_string(args.port).c_str());
  }
  return 0;
}

int command_stop() {
  auto state = load_cluster_state();
  if (!state.ok()) return fail(state.status().message());
  // Only processes proven to be the ones started here are signalled: a pid whose process has exited may
  // belong to anyone now. Workers first, the head last, so workers leave cleanly instead of losing their
  // head.
  std::vector<ProvenProcess> ours;
  for (auto it = state->processes.rbegin(); it != state->processes.rend(); ++it) {
    auto process = ProvenProcess::open(it->identity);
    if (process.ok()) {
      if (Status s = process->send(SIGTERM); !s.ok()) std::fprintf(stderr, "ist: %s\n", s.message().c_str());
      ours.push_back(std::move(process).value());
    } else if (process.status().code() != ErrorCode::kNotFound) {
      std::fprintf(stderr, "ist: pid %d is no longer our %s: not signalled (%s)\n",
                   static_cast<int>(it->identity.pid), it->role.c_str(), process.status().message().c_str());
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (const ProvenProcess& process : ours) {
    if (process.wait_for_exit(deadline)) continue;
    (void)process.send(SIGKILL);
    process.wait_for_exit(std::chrono::steady_clock::now() + 1s);
  }
  remove_cluster_state();
  std::error_code ec;
  std::filesystem::remove(cluster_key_path(), ec);
  std::printf("stopped %zu process(es)\n", ours.size());
  return 0;
}

}  // namespace ist::cli
