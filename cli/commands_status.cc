// `ist status` (the experiments running on this host, and the cluster's nodes) and `ist logs RUN [-f]`.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <tuple>

#include <nlohmann/json.hpp>

#include "actors/trainer_placement.h"
#include "cli/cluster_state.h"
#include "cli/commands.h"
#include "cli/head_address.h"
#include "cli/run_lock.h"
#include "cli/run_progress.h"
#include "cli/run_registry.h"
#include "runtime/member_query.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Experiment {
  RegisteredRun run;
  RunProgress progress;
};

std::vector<Experiment> running_experiments() {
  std::vector<Experiment> out;
  for (RegisteredRun& run : registered_runs()) {
    if (!run.running) continue;
    auto progress = read_run_progress(run.dir);
    out.push_back({std::move(run), progress.ok() ? *progress : RunProgress{}});
  }
  return out;
}

json or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json experiment_json(const Experiment& e) {
  const RunProgress& p = e.progress;
  return {{"name", e.run.name},
          {"dir", e.run.dir},
          {"pid", e.run.pid},
          {"round", p.round},
          {"planned_rounds", p.planned_rounds ? json(*p.planned_rounds) : json(nullptr)},
          {"epochs", p.epochs},
          {"planned_epochs", or_null(p.planned_epochs)},
          {"done", or_null(p.done)},
          {"test_accuracy", or_null(p.test_accuracy)},
          {"live_workers", p.live_workers},
          {"examples_per_worker", p.examples_per_worker},
          {"wall_seconds", p.wall_seconds},
          {"eta_seconds", or_null(p.eta_seconds)}};
}

std::string experiment_line(const Experiment& e) {
  const RunProgress& p = e.progress;
  char text[512];
  std::string round = "round " + std::to_string(p.round);
  if (p.planned_rounds) round += "/" + std::to_string(*p.planned_rounds);
  char epochs[64];
  std::snprintf(epochs, sizeof(epochs), "epoch %.2f", p.epochs);
  if (p.planned_epochs) std::snprintf(epochs, sizeof(epochs), "epoch %.2f/%g", p.epochs, *p.planned_epochs);
  char accuracy[32] = "acc -";
  if (p.test_accuracy) std::snprintf(accuracy, sizeof(accuracy), "acc %.4f", *p.test_accuracy);
  char eta[32] = "eta -";
  if (p.eta_seconds) std::snprintf(eta, sizeof(eta), "eta %.0f s", *p.eta_seconds);
  std::snprintf(text, sizeof(text), "  %-28s %-12s %-16s %-11s %-9s workers %d  pid %d  %s", e.run.name.c_str(),
                round.c_str(), epochs, accuracy, eta, p.live_workers, static_cast<int>(e.run.pid), e.run.dir.c_str());
  return text;
}

const char* state_name(rt::MemberState state) {
  return state == rt::MemberState::kAlive ? "alive" : state == rt::MemberState::kLeft ? "left" : "dead";
}

// Copies what `in` holds from its position to its end, and leaves it ready to read what is appended later.
void copy_to_stdout(std::ifstream& in) {
  char chunk[1 << 14];
  for (;;) {
    in.read(chunk, sizeof(chunk));
    const std::streamsize n = in.gcount();
    if (n > 0) std::fwrite(chunk, 1, static_cast<std::size_t>(n), stdout);
    if (!in) break;
  }
  in.clear();
}

}  // namespace

int command_status(const StatusArgs& args) {
  const std::vector<Experiment> experiments = running_experiments();
  std::string head = args.address;
  std::string no_cluster;
  auto state = load_cluster_state();
  if (head.empty()) {
    if (state.ok()) {
      head = state->head_address;
    } else {
      no_cluster = state.status().message();
    }
  }
  std::vector<rt::Member> members;
  if (!head.empty()) {
    auto key = cluster_key_for(args.credentials, state.ok() && state->insecure);
    if (!key.ok()) return fail(key.status().to_string());
    auto queried = query_head(head, 5s, *key);
    if (!queried.ok()) return fail("cannot reach the head at " + head + ": " + queried.status().to_string());
    members = std::move(queried).value();
    // The head first, then by role and name: the same cluster prints the same table.
    std::sort(members.begin(), members.end(), [](const rt::Member& a, const rt::Member& b) {
      return std::tie(a.role, a.name, a.id) < std::tie(b.role, b.name, b.id);
    });
  }
  int alive_workers = 0;
  for (const rt::Member& m : members) {
    if (m.state == rt::MemberState::kAlive && actors::hosts_trainers(m)) ++alive_workers;
  }

  if (args.json) {
    json out = {{"experiments", json::array()}, {"cluster", nullptr}};
    for (const Experiment& e : experiments) out["experiments"].push_back(experiment_json(e));
    if (!head.empty()) {
      json nodes = json::array();
      for (const rt::Member& m : members) {
        char id[20];
        std::snprintf(id, sizeof(id), "%016llx", static_cast<unsigned long long>(m.id));
        nodes.push_back({{"id", id}, {"role", rt::role_name(m.role)}, {"state", state_name(m.state)},
                         {"endpoint", m.endpoint}, {"name", m.name}});
      }
      out["cluster"] = {{"address", with_scheme(head)}, {"alive_workers", alive_workers}, {"nodes", nodes}};
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  if (experiments.empty()) {
    std::printf("no experiment running on this host\n");
  } else {
    std::printf("%zu experiment(s) running on this host:\n", experiments.size());
    for (const Experiment& e : experiments) std::printf("%s\n", experiment_line(e).c_str());
  }
  if (head.empty()) {
    std::printf("%s; give --address HOST:PORT for a cluster started elsewhere\n", no_cluster.c_str());
    return 0;
  }
  std::printf("cluster at %s\n", with_scheme(head).c_str());
  std::printf("%-18s %-7s %-8s %-30s %s\n", "node", "role", "state", "endpoint", "name");
  for (const rt::Member& m : members) {
    std::printf("%016llx   %-7s %-8s %-30s %s\n", static_cast<unsigned long long>(m.id), rt::role_name(m.role),
                state_name(m.state), m.endpoint.c_str(), m.name.c_str());
  }
  std::printf("%d worker node(s) alive\n", alive_workers);
  for (const rt::Member& m : members) {
    if (m.state != rt::MemberState::kAlive || m.role != rt::NodeRole::kDriver) continue;
    // `ist run --address` names its driver node "driver:<experiment>".
    const std::string experiment = m.name.rfind("driver:", 0) == 0 ? m.name.substr(7) : m.name;
    std::printf("running experiment: %s (driver at %s)\n", experiment.c_str(), m.endpoint.c_str());
  }
  return 0;
}

int command_logs(const LogsArgs& args) {
  auto dir = find_run(args.run);
  if (!dir.ok()) return fail(dir.status().message());
  const std::string path = *dir + "/log.txt";
  std::ifstream in(path, std::ios::binary);
  if (!in && !args.follow) return fail("no log in " + *dir + " (no log.txt)");
  // Prints what is there; with --follow keeps printing what the run appends until its driver ends.
  for (;;) {
    const bool running = args.follow && RunLock::is_held(*dir);  // before the read: no line is missed
    if (!in.is_open()) in.open(path, std::ios::binary);
    if (in.is_open()) {
      copy_to_stdout(in);
      std::fflush(stdout);
    }
    if (!running) return 0;
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace ist::cli
