// ist: train fully connected nets with Independent Subnet Training on a ZeroMQ actor runtime.
// This file only parses flags and dispatches to cli/commands.h.
#include <CLI/CLI.hpp>
#include <cstring>

#include "cli/commands.h"
#include "cli/head_address.h"
#include "cli/program.h"
#include "runtime/node_main.h"

namespace {

// `--address HOST:PORT`, refused by the parser when malformed or its port is out of range.
const CLI::Validator kHeadAddress(
    [](std::string& value) {
      const ist::Status s = ist::cli::check_head_address(value);
      return s.ok() ? std::string() : s.message();
    },
    "HOST:PORT");

// --cluster-key and --insecure: how a command that talks to a running cluster proves it belongs.
void add_credential_flags(CLI::App* cmd, ist::cli::CredentialArgs& credentials, const char* key_help) {
  CLI::Option* key = cmd->add_option("--cluster-key", credentials.cluster_key, key_help);
  cmd->add_flag("--insecure", credentials.insecure,
                "no encryption, no authentication: only for a trusted lab network (anyone who reaches the "
                "ports can join the cluster and command its nodes); every node of a cluster must agree")
      ->excludes(key);
}

constexpr const char* kJoinKeyHelp =
    "the cluster key printed by `ist start --head` (default: $IST_CLUSTER_KEY, then the key kept on this host)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ist::cli;
  ist::rt::keep_large_buffers_off_the_heap();
  // `ist node ...` is the internal entry of node processes; its flags are the runtime's own.
  if (argc > 1 && std::strcmp(argv[1], "node") == 0) return command_node(argc - 1, argv + 1);

  CLI::App app{"ist: Independent Subnet Training of fully connected nets on a ZeroMQ actor runtime"};
  app.set_version_flag("--version", std::string("ist ") + IST_VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  // One value per --set, so `--set k=v CONFIG` leaves CONFIG to the positional argument.
  auto add_set_option = [&](CLI::App* cmd) {
    cmd->add_option("--set", run_args.overrides,
                    "override a config key (before or after the config), e.g. --set algorithm.learning_rate=0.05 or "
                    "--set 'events=[{round = 3, action = \"kill\", worker = 1}]'")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  auto add_run_flags = [&](CLI::App* cmd) {
    cmd->add_option("config", run_args.config_path, "driver config (TOML)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", run_args.out, "run directory (default runs/NAME-TIMESTAMP)");
    add_set_option(cmd);
    cmd->add_flag("--quiet,-q", run_args.quiet, "print only the final line");
  };
  CLI::App* run = app.add_subcommand("run", "run an experiment on a cluster (an embedded local one without --address)");
  run->add_option("config", run_args.config_path, "driver config (TOML)")->check(CLI::ExistingFile);
  run->add_option("--out", run_args.out, "run directory (default runs/NAME-TIMESTAMP)");
  add_set_option(run);
  run->add_flag("--quiet,-q", run_args.quiet, "print only the final line");
  run->add_option("--resume", run_args.resume, "continue the run in this directory from its last checkpoint")
      ->check(CLI::ExistingDirectory);
  run->add_option("--address", run_args.address, "HOST:PORT of a running head (ist start --head)")
      ->check(kHeadAddress);
  run->add_flag("--embedded", run_args.embedded,
                "start an embedded local cluster even when `ist start` left one running on this host");
  run->add_option("--node-ip", run_args.node_ip, "address other hosts reach this driver at")->capture_default_str();
  run->add_option("--nodes", run_args.nodes,
                  "place trainers only on these worker nodes of a started cluster (ids as ist status lists "
                  "them, comma-separated), so runs share it side by side")
      ->delimiter(',');
  add_credential_flags(run, run_args.credentials, kJoinKeyHelp);
  CLI::App* simulate = app.add_subcommand("simulate", "run an experiment in process (the reference), same outputs");
  add_run_flags(simulate);

  SweepArgs sweep_args;
  CLI::App* sweep = app.add_subcommand("sweep", "run a grid of config values (x seeds), then a table and a report");
  sweep->add_option("config", sweep_args.config_path, "driver config (TOML)")->required()->check(CLI::ExistingFile);
  sweep->add_option("--grid", sweep_args.grid, "a swept key and its values, e.g. --grid algorithm.learning_rate=0.01,0.03");
  sweep->add_option("--seeds", sweep_args.seeds, "runs per setting, seeds config.seed, config.seed + 1, ...")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  sweep->add_option("--out", sweep_args.out, "sweep directory (default sweeps/NAME-FINGERPRINT)");
  sweep->add_option("--set", sweep_args.overrides, "override a config key in every run");
  sweep->add_option("--address", sweep_args.address,
                    "HOST:PORT of a running head (ist start --head); runs go side by side when they fit")
      ->check(kHeadAddress);
  sweep->add_flag("--embedded", sweep_args.embedded,
                  "run every point on an embedded cluster of its own, one at a time, even when `ist start` left "
                  "a cluster running on this host");
  add_credential_flags(sweep, sweep_args.credentials, kJoinKeyHelp);

  StartArgs start_args;
  CLI::App* start = app.add_subcommand("start", "start a head node and/or worker nodes on this host");
  start->add_flag("--head", start_args.head, "start the head node");
  CLI::Option* start_address =
      start->add_option("--address", start_args.address, "HOST:PORT of the head to join")
          ->check(kHeadAddress);
  start->add_option("--port", start_args.port, "head port (with --head)")
      ->capture_default_str()
      ->check(CLI::Range(kMinPort, kMaxPort))
      ->excludes(start_address);
  start
      ->add_option("--workers", start_args.workers,
                   "worker nodes to start on this host (at least 1 with --address)")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxWorkersPerHost));
  start->add_option("--node-ip", start_args.node_ip, "address other hosts reach this host's nodes at")
      ->capture_default_str();
  start->add_option("--data", start_args.data,
                    "the worker nodes' own training data (a .npz or .csv file, or an IDX directory): their trainers "
                    "train on it when a config has data.placement = \"private\" and no data.path");
  add_credential_flags(start, start_args.credentials,
                       "with --address: the cluster key printed by `ist start --head` (default: $IST_CLUSTER_KEY, "
                       "then the key kept on this host); --head makes a new one");

  app.add_subcommand("stop", "stop the nodes this host started");
  StatusArgs status_args;
  CLI::App* status = app.add_subcommand("status", "list the experiments running here and the cluster's nodes");
  status->add_flag("--json", status_args.json, "print JSON (for scripts)");
  status->add_option("--address", status_args.address, "HOST:PORT of the head (default: the one started here)")
      ->check(kHeadAddress);
  std::string status_node_ip = "127.0.0.1";
  // Kept so older scripts still work: status reads the head's table without joining, so the head never
  // needs to reach this host and the address is not used.
  status->add_option("--node-ip", status_node_ip, "ignored (accepted for compatibility)");
  add_credential_flags(status, status_args.credentials, kJoinKeyHelp);

  LogsArgs logs_args;
  CLI::App* logs = app.add_subcommand("logs", "print a run's log (by run directory or name), -f to follow it");
  logs->add_option("run", logs_args.run, "run directory, or a run's name as ist status shows it")->required();
  logs->add_flag("-f,--follow", logs_args.follow, "keep printing until the run ends");

  std::vector<std::string> report_dirs;
  std::string report_out;
  CLI::App* report = app.add_subcommand("report", "compare runs: a table and plots (HTML or SVG)");
  report->add_option("runs", report_dirs, "run directories")->required();
  report->add_option("-o,--output", report_out, "output file (.html or .svg)")->required();
  std::string report_x = "time";
  report->add_option("--x", report_x, "x axis of the curves: time, epochs, samples or bytes (HTML: the one shown first)")
      ->capture_default_str()
      ->check(CLI::IsMember({"time", "epochs", "samples", "bytes"}));

  std::string export_dir, export_out;
  CLI::App* export_cmd = app.add_subcommand("export", "write a run's final model, or a checkpoint, as a standalone safetensors model");
  export_cmd->add_option("run", export_dir, "run directory (its model), or a checkpoint file in one (RUN/checkpoint.safetensors)")
      ->required()
      ->check(CLI::ExistingPath);
  export_cmd->add_option("-o,--output", export_out, "output file")->required();

  EvalArgs eval_args;
  eval_args.data.path.clear();  // required below: no default data set
  CLI::App* eval = app.add_subcommand("eval", "a model's accuracy, loss and confusion matrix on a labelled data set");
  eval->add_option("model", eval_args.model, "model file (.safetensors, as runs and ist export write them)")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--data", eval_args.data.path, "data: an IDX directory, or a .npz, .npy or .csv file")->required();
  eval->add_option("--format", eval_args.data.format, "idx, csv, npy or npz (default: from the path)")
      ->check(CLI::IsMember({"", "idx", "csv", "npy", "npz"}));
  eval->add_option("--split", eval_args.split, "IDX only: test or train")->capture_default_str()->check(CLI::IsMember({"test", "train"}));
  eval->add_option("--labels", eval_args.data.labels_path, ".npy only: the labels file");
  eval->add_option("--features-key", eval_args.data.features_key, ".npz only: the features array")->capture_default_str();
  eval->add_option("--labels-key", eval_args.data.labels_key, ".npz only: the labels array")->capture_default_str();
  eval->add_option("--label-column", eval_args.data.label_column, "CSV only: the label column's header name (default: the last)");

  PredictArgs predict_args;
  predict_args.data.path.clear();
  CLI::App* predict = app.add_subcommand("predict", "a model's predictions on a data file (labels optional) as CSV");
  predict->add_option("model", predict_args.model, "model file (.safetensors, as runs and ist export write them)")
      ->required()
      ->check(CLI::ExistingFile);
  predict->add_option("--data", predict_args.data.path, "data: an IDX directory, or a .npz, .npy or .csv file")->required();
  predict->add_option("-o,--output", predict_args.output, "predictions file (.csv)")->required();
  predict->add_option("--format", predict_args.data.format, "idx, csv, npy or npz (default: from the path)")
      ->check(CLI::IsMember({"", "idx", "csv", "npy", "npz"}));
  predict->add_option("--split", predict_args.split, "IDX only: test or train")->capture_default_str()->check(CLI::IsMember({"test", "train"}));
  predict->add_option("--labels", predict_args.data.labels_path, ".npy only: the labels file, if any");
  predict->add_option("--features-key", predict_args.data.features_key, ".npz only: the features array")->capture_default_str();
  predict->add_option("--labels-key", predict_args.data.labels_key, ".npz only: the labels array, if the archive has it")->capture_default_str();
  predict->add_option("--label-column", predict_args.data.label_column, "CSV only: the label column's header name, if any");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing too: CLI11 prints them and they exit 0.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return fail(std::string(e.what()) + " (see ist --help)", kExitUsage);
  }
  if (run->parsed()) {
    if (run_args.config_path.empty() == run_args.resume.empty()) {
      return fail("give a config file, or --resume RUN_DIR (not both)", kExitUsage);
    }
    return command_run(run_args);
  }
  if (simulate->parsed()) return command_simulate(run_args);
  if (sweep->parsed()) return command_sweep(sweep_args);
  if (start->parsed()) {
    if (start_args.head && !start_args.credentials.cluster_key.empty()) {
      return fail("--cluster-key is for joining (--address); --head makes a new key", kExitUsage);
    }
    return command_start(start_args);
  }
  if (app.got_subcommand("stop")) return command_stop();
  if (status->parsed()) return command_status(status_args);
  if (logs->parsed()) return command_logs(logs_args);
  if (report->parsed()) return command_report(report_dirs, report_out, report_x);
  if (export_cmd->parsed()) return command_export(export_dir, export_out);
  if (eval->parsed()) return command_eval(eval_args);
  if (predict->parsed()) return command_predict(predict_args);
  return fail("unknown command", kExitUsage);
}
