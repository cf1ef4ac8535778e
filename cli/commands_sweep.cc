// `ist sweep CONFIG --grid KEY=V1,V2... [--seeds N]`: every combination of the grid's values, once per
// seed, each an `ist run` (this same binary, as a child process) into its own directory under the sweep
// directory; then one table and one report. Re-running the same command continues: finished points are
// skipped, interrupted ones resumed from their checkpoint, the rest started again.
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/child_process.h"
#include "cli/commands.h"
#include "cli/driver_config.h"
#include "cli/program.h"
#include "cli/report.h"
#include "cli/run_directory.h"
#include "cli/sweep_plan.h"
#include "cli/sweep_table.h"
#include "ist/safetensors.h"  // write_file_atomically

namespace ist::cli {

namespace {

namespace fs = std::filesystem;

// Checks every point's config before anything is created, and returns the sweep's fingerprint.
Result<std::string> check_points(const SweepPlan& plan) {
  std::vector<std::uint64_t> hashes;
  for (const SweepPoint& point : plan.points) {
    std::vector<std::string> overrides = plan.overrides;
    for (std::string& o : point.overrides()) overrides.push_back(std::move(o));
    auto config = load_driver_config(plan.config_path, overrides);
    if (!config.ok()) return config.status().with_context("sweep point " + point.dir_name);
    hashes.push_back(config_hash(*config));
  }
  return sweep_fingerprint(hashes);
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
std::vector<std::string> run_command(const SweepArgs& args, const SweepPlan& plan, const SweepPoint& point,
                                     const std::string& point_dir, bool resume) {
  std::vector<std::string> cmd{"run"};
  if (resume) {
    cmd.insert(cmd.end(), {"--resume", point_dir});
  } else {
    cmd.insert(cmd.end(), {plan.config_path, "--out", point_dir});
    for (const std::string& o : plan.overrides) cmd.insert(cmd.end(), {"--set", o});
    for (const std::string& o : point.overrides()) cmd.insert(cmd.end(), {"--set", o});
  }
  if (!args.address.empty()) cmd.insert(cmd.end(), {"--address", args.address});
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
  auto fingerprint = check_points(*plan);
  if (!fingerprint.ok()) return fail(fingerprint.status().to_string());
  const std::string dir = args.out.empty() ? "sweeps/" + base->name + "-" + fingerprint->substr(0, 8) : args.out;
  if (Status s = open_sweep_directory(dir, *plan, *fingerprint); !s.ok()) return fail(s.to_string());

  const std::size_t total = plan->points.size();
  std::printf("sweep: %zu runs (%zu settings x %zu seeds) in %s\n", total, total / plan->seeds.size(),
              plan->seeds.size(), dir.c_str());
  std::size_t skipped = 0, failed = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const SweepPoint& point = plan->points[i];
    const std::string point_dir = dir + "/" + point.dir_name;
    std::error_code ec;
    if (RunDirectory::is_finished(point_dir)) {
      std::printf("[%zu/%zu] %s: finished earlier, skipped\n", i + 1, total, point.dir_name.c_str());
      ++skipped;
      continue;
    }
    // An interrupted or killed point continues from its checkpoint; a failed one (it would fail the same
    // way from there) or one without a checkpoint starts again.
    const bool resume = fs::exists(point_dir + "/checkpoint.safetensors", ec) &&
                        RunDirectory::status_of(point_dir) != "failed";
    if (!resume) fs::remove_all(point_dir, ec);
    std::printf("[%zu/%zu] %s: %s\n", i + 1, total, point.dir_name.c_str(),
                resume ? "resuming from its checkpoint" : "running");
    std::fflush(stdout);
    auto exit = run_child(self_binary(), run_command(args, *plan, point, point_dir, resume));
    if (!exit.ok()) return fail(exit.status().to_string());
    if (exit->interrupted) {
      return fail("sweep interrupted at run " + std::to_string(i + 1) + " of " + std::to_string(total) +
                      "; run the same command again to continue",
                  kExitInterrupted);
    }
    if (exit->code != 0) ++failed;
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
