// `ist sweep CONFIG --grid KEY=V1,V2... [--seeds N]`: every combination of the grid's values, once per
// seed, each an `ist run` (this same binary, as a child process) into its own directory under the sweep
// directory; then one table and one report. Re-running the same command continues: finished points are
// skipped, interrupted ones resumed from their checkpoint, the rest started again. On a started cluster
// (--address, or the one `ist start` left on this host) points run side by side, each on worker nodes of
// its own (`ist run --nodes`), as many as fit; else one at a time, each on an embedded cluster.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "actors/trainer_placement.h"
#include "cli/child_process.h"
#include "cli/cluster_credentials.h"
#include "cli/cluster_state.h"
#include "cli/commands.h"
#include "cli/driver_config.h"
#include "cli/program.h"
#include "cli/node_slots.h"
#include "cli/report.h"
#include "cli/run_directory.h"
#include "cli/sweep_plan.h"
#include "cli/sweep_table.h"
#include "ist/safetensors.h"  // write_file_atomically

namespace ist::cli {

namespace {

namespace fs = std::filesystem;

// What checking every point's config found: the sweep's fingerprint, and each point's trainer count.
struct CheckedPoints {
  std::string fingerprint;
  std::vector<int> workers;
};

// Checks every point's config before anything is created.
Result<CheckedPoints> check_points(const SweepPlan& plan) {
  std::vector<std::uint64_t> hashes;
  CheckedPoints checked;
  for (const SweepPoint& point : plan.points) {
    std::vector<std::string> overrides = plan.overrides;
    for (std::string& o : point.overrides()) overrides.push_back(std::move(o));
    auto config = load_driver_config(plan.config_path, overrides);
    if (!config.ok()) return config.status().with_context("sweep point " + point.dir_name);
    hashes.push_back(config_hash(*config));
    checked.workers.push_back(config->driver.training.workers);
  }
  checked.fingerprint = sweep_fingerprint(hashes);
  return checked;
}

// A started cluster the points share: its address and alive worker nodes.
struct SharedCluster {
  std::string address;
  std::vector<rt::NodeId> workers;
};

// The cluster at --address, else one `ist start` left on this host (unless --embedded); none: every point
// starts an embedded cluster of its own, one point at a time. Errors: the head cannot be reached.
Result<std::optional<SharedCluster>> shared_cluster(const SweepArgs& args) {
  std::string address = args.address;
  if (address.empty() && !args.embedded) {
    if (auto head = running_local_head(); head.ok()) address = *head;
  }
  if (address.empty()) return std::optional<SharedCluster>{};
  auto here = load_cluster_state();
  IST_ASSIGN_OR_RETURN(const auto key, cluster_key_for(args.credentials, here.ok() && here->insecure));
  auto members = query_head(address, std::chrono::seconds(5), key);
  if (!members.ok()) return members.status().with_context("cannot reach the head at " + address);
  std::sort(members->begin(), members->end(),
            [](const rt::Member& a, const rt::Member& b) { return std::tie(a.name, a.id) < std::tie(b.name, b.id); });
  SharedCluster cluster{address, {}};
  for (const rt::Member& m : *members) {
    if (m.state == rt::MemberState::kAlive && actors::hosts_trainers(m)) cluster.workers.push_back(m.id);
  }
  if (cluster.workers.empty()) return Status::invalid_argument("the cluster at " + address + " has no worker nodes");
  return std::optional<SharedCluster>{std::move(cluster)};
}

std::string node_list(const std::vector<rt::NodeId>& nodes) {
  std::string text;
  for (rt::NodeId id : nodes) {
    char hex[20];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(id));
    text += (text.empty() ? "" : ",") + std::string(hex);
  }
  return text;
}

// Creates the sweep directory with its plan, or checks that an existing one holds this same sweep.
Status open_sweep_directory(const std::string& dir, const SweepPlan& plan, const std::string& fingerprint) {
  std::error_code ec;
  if (is_sweep_directory(dir)) {
    std::string recorded;
    IST_ASSIGN_OR_RETURN(const SweepPlan earlier, read_sweep_plan(dir, &recorded));
    if (recorded != fingerprint) {
      return Status::invalid_argument("sweep directory " + dir +
                                      " holds another sweep (a different config, grid or seeds); choose another --out");
    }
    return Status::ok_status();
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Status::invalid_argument("sweep directory " + dir + " exists and holds no sweep; choose another --out");
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::io_error("cannot create sweep directory " + dir + ": " + ec.message());
  return write_sweep_plan(dir, plan, fingerprint);
}

// The `ist run` command line for one point: resume it when it left a checkpoint, else start it afresh.
std::vector<std::string> run_command(const SweepPlan& plan, const SweepPoint& point,
                                     const std::string& point_dir, bool resume) {
  std::vector<std::string> cmd{"run"};
  if (resume) {
    cmd.insert(cmd.end(), {"--resume", point_dir});
  } else {
    cmd.insert(cmd.end(), {plan.config_path, "--out", point_dir});
    for (const std::string& o : plan.overrides) cmd.insert(cmd.end(), {"--set", o});
    for (const std::string& o : point.overrides()) cmd.insert(cmd.end(), {"--set", o});
  }
  cmd.push_back("--quiet");
  return cmd;
}

// The table (printed and written as summary.md and summary.json) and report.html.
Status write_results(const std::string& dir, const SweepPlan& plan) {
  IST_ASSIGN_OR_RETURN(const std::vector<SweepRow> rows, summarize_sweep(plan, dir));
  const std::string table = sweep_table_markdown(rows);
  std::printf("\n%s", table.c_str());
  IST_RETURN_IF_ERROR(write_file_atomically(dir + "/summary.md", table));
  IST_RETURN_IF_ERROR(write_file_atomically(dir + "/summary.json", sweep_table_json(rows).dump(2) + "\n"));
  IST_RETURN_IF_ERROR(write_report({dir}, dir + "/report.html").status());
  std::printf("table: %s/summary.md, %s/summary.json; report: %s/report.html\n", dir.c_str(), dir.c_str(),
              dir.c_str());
  return Status::ok_status();
}

}  // namespace

int command_sweep(const SweepArgs& args) {
  std::vector<GridAxis> grid;
  for (const std::string& text : args.grid) {
    auto axis = parse_grid_axis(text);
    if (!axis.ok()) return fail(axis.status().to_string(), kExitUsage);
    grid.push_back(std::move(axis).value());
  }
  auto base = load_driver_config(args.config_path, args.overrides);
  if (!base.ok()) return fail(base.status().to_string());
  auto plan = plan_sweep(args.config_path, args.overrides, std::move(grid), args.seeds,
                         static_cast<std::int64_t>(base->driver.training.seed));
  if (!plan.ok()) return fail(plan.status().to_string(), kExitUsage);
  auto checked = check_points(*plan);
  if (!checked.ok()) return fail(checked.status().to_string());
  const std::string& fingerprint = checked->fingerprint;
  auto cluster = shared_cluster(args);
  if (!cluster.ok()) return fail(cluster.status().to_string());
  const std::string dir = args.out.empty() ? "sweeps/" + base->name + "-" + fingerprint.substr(0, 8) : args.out;
  if (Status s = open_sweep_directory(dir, *plan, fingerprint); !s.ok()) return fail(s.to_string());
  // The points' `ist run`s find the key where this sweep found it; a token given here reaches them
  // through the environment (not their command lines).
  if (!args.credentials.cluster_key.empty()) setenv("IST_CLUSTER_KEY", args.credentials.cluster_key.c_str(), 1);

  const std::size_t total = plan->points.size();
  std::printf("sweep: %zu runs (%zu settings x %zu seeds) in %s\n", total, total / plan->seeds.size(),
              plan->seeds.size(), dir.c_str());
  if (*cluster) {
    std::printf("on the cluster at %s: %zu worker nodes, runs side by side when they fit\n",
                (*cluster)->address.c_str(), (*cluster)->workers.size());
  }
  std::optional<NodeSlots> slots;
  if (*cluster) slots.emplace((*cluster)->workers);
  std::vector<std::size_t> pending;
  std::size_t skipped = 0, failed = 0, finished = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (RunDirectory::is_finished(dir + "/" + plan->points[i].dir_name)) {
      std::printf("[%zu/%zu] %s: finished earlier, skipped\n", i + 1, total, plan->points[i].dir_name.c_str());
      ++skipped;
    } else {
      pending.push_back(i);
    }
  }
  struct Running {
    std::size_t index;
    std::vector<rt::NodeId> nodes;
  };
  std::map<pid_t, Running> running;
  ChildGroup children;
  std::size_t next = 0;
  while (next < pending.size() || children.running() > 0) {
    // Start what fits: on a shared cluster every point whose nodes are free, else one at a time.
    while (next < pending.size() && !children.interrupted() && (slots || children.running() == 0)) {
      const std::size_t i = pending[next];
      const SweepPoint& point = plan->points[i];
      std::vector<rt::NodeId> nodes;
      if (slots) {
        auto taken = slots->take(checked->workers[i]);
        if (!taken) break;
        nodes = std::move(*taken);
      }
      const std::string point_dir = dir + "/" + point.dir_name;
      std::error_code ec;
      // An interrupted or killed point continues from its checkpoint; a failed one (it would fail the same
      // way from there) or one without a checkpoint starts again.
      const bool resume = fs::exists(point_dir + "/checkpoint.safetensors", ec) &&
                          RunDirectory::status_of(point_dir) != "failed";
      if (!resume) fs::remove_all(point_dir, ec);
      std::vector<std::string> cmd = run_command(*plan, point, point_dir, resume);
      if (*cluster) cmd.insert(cmd.end(), {"--address", (*cluster)->address, "--nodes", node_list(nodes)});
      if (!*cluster) cmd.push_back("--embedded");
      if (args.credentials.insecure) cmd.push_back("--insecure");
      std::printf("[%zu/%zu] %s: %s%s\n", i + 1, total, point.dir_name.c_str(),
                  resume ? "resuming from its checkpoint" : "running",
                  slots ? (" on nodes " + node_list(nodes)).c_str() : "");
      std::fflush(stdout);
      auto pid = children.start(self_binary(), cmd);
      if (!pid.ok()) return fail(pid.status().to_string());
      running[*pid] = Running{i, std::move(nodes)};
      ++next;
    }
    if (children.running() == 0) break;
    const auto [pid, exit] = children.wait_any();
    const Running done = running.at(pid);
    running.erase(pid);
    if (slots) slots->give_back(done.nodes);
    if (exit.code == 0) ++finished;
    if (exit.code != 0 && !exit.interrupted) ++failed;
    if (slots || exit.code != 0) {
      std::printf("[%zu/%zu] %s: %s\n", done.index + 1, total, plan->points[done.index].dir_name.c_str(),
                  exit.code == 0 ? "finished" : ("ended with exit code " + std::to_string(exit.code)).c_str());
      std::fflush(stdout);
    }
  }
  if (children.interrupted()) {
    return fail("sweep interrupted with " + std::to_string(skipped + finished) + " of " + std::to_string(total) +
                    " runs finished; run the same command again to continue",
                kExitInterrupted);
  }
  if (skipped > 0) std::printf("%zu of %zu runs had finished earlier and were skipped\n", skipped, total);
  if (Status s = write_results(dir, *plan); !s.ok()) return fail("writing the sweep's results: " + s.to_string());
  if (failed > 0) {
    return fail(std::to_string(failed) + " of " + std::to_string(total) +
                " runs failed (their log.txt says why); run the same command again to retry them");
  }
  return 0;
}

}  // namespace ist::cli
