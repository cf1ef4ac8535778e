// The `ist` subcommands. Each returns the process exit code: 0 on success, otherwise non-zero after
// printing a one-line reason to stderr.
#pragma once

#include <string>
#include <vector>

#include "cli/cluster_credentials.h"
#include "cli/program.h"
#include "ist/data_source.h"  // fail(): how a command returns its exit code

namespace ist::cli {

struct RunArgs {
  std::string config_path;
  std::string address;  // empty: the cluster `ist start` left on this host, else an embedded one
  bool embedded = false;  // an embedded local cluster even when one was started on this host
  std::string out;      // empty: runs/NAME-TIMESTAMP
  std::string resume;   // a run directory with a checkpoint to continue (its config.toml is used)
  std::vector<std::string> overrides;
  bool quiet = false;
  std::string node_ip = "127.0.0.1";  // the address other hosts reach this driver at (multi-host runs)
  CredentialArgs credentials;         // with --address: the cluster's key (an embedded cluster makes its own)
  // With a started cluster: the only worker nodes (ids as `ist status` prints them) trainers may run on,
  // so that runs share a cluster side by side (ist sweep); empty: every worker.
  std::vector<std::string> nodes;
};

int command_run(const RunArgs& args);       // distributed, on a cluster
int command_simulate(const RunArgs& args);  // the in-process reference, same run directory layout

// Worker nodes one `ist start` may start: each is a process with its own model slice and data shard.
inline constexpr int kMaxWorkersPerHost = 256;

// Ranges are checked by the parser (main.cc): port 1..65535, workers 0..kMaxWorkersPerHost.
struct StartArgs {
  bool head = false;
  int port = 6380;
  std::string address;  // with --address: join that head (then workers >= 1)
  int workers = 0;
  std::string node_ip = "127.0.0.1";  // the address other hosts reach this host's nodes at
  CredentialArgs credentials;         // --head makes a key (unless --insecure); --address needs one
  std::string data;  // the started workers' own training data (actors/hosted_data.h); empty: none
};
int command_start(const StartArgs& args);
int command_stop();
// `ist status [--address HOST:PORT] [--json]`: the experiments running on this host (run_registry.h: round,
// epochs, latest test accuracy, ETA) and, when a cluster was started here or --address names one, its
// nodes. No cluster is not an error; an unreachable --address is.
struct StatusArgs {
  std::string address;
  bool json = false;
  CredentialArgs credentials;  // to query a secured head (default: the key kept on this host)
};
int command_status(const StatusArgs& args);
// `ist logs RUN [-f]`: a run's log.txt, RUN a run directory or a recorded run's (directory) name; with
// follow, keeps printing what the run appends until its driver lets go of the directory.
struct LogsArgs {
  std::string run;
  bool follow = false;
};
int command_logs(const LogsArgs& args);
// `ist node ...`: the life of one node process (what `ist start` and embedded clusters launch).
int command_node(int argc, char** argv);

// `ist export SOURCE -o OUT.safetensors`: SOURCE is a run directory (its model.safetensors, metadata kept) or
// a checkpoint file in one (folded with the standardization in the config.toml beside it, with the same
// metadata plus checkpoint_after_round).
int command_export(const std::string& source, const std::string& output);

// `ist eval MODEL --data PATH`: accuracy, mean loss, per-class accuracy and the confusion matrix of a model
// file (raw features in, as runs write them) on a labelled data set in any format runs read.
struct EvalArgs {
  std::string model;
  DataSource data;             // the file (or IDX directory) and how to read it, as a config's [data]
  std::string split = "test";  // idx directories hold both splits
};
int command_eval(const EvalArgs& args);

// `ist predict MODEL --data PATH -o predictions.csv`: one CSV row per example (example, predicted,
// predicted_name when the model knows its classes' names, label when the file has labels, p_0 .. p_C-1
// the softmax probabilities). The file needs no labels (see load_features). Errors: an output not named
// *.csv, the model's or the reader's.
struct PredictArgs {
  std::string model;
  DataSource data;
  std::string split = "test";
  std::string output;
};
int command_predict(const PredictArgs& args);
// `ist sweep CONFIG --grid KEY=V1,V2 ... [--seeds N]`: one `ist run` per combination and seed, under
// one sweep directory (default sweeps/NAME-FINGERPRINT, so the same command continues the same sweep).
struct SweepArgs {
  std::string config_path;
  std::vector<std::string> grid;       // "KEY=V1,V2,..."
  int seeds = 1;                       // seeds config.seed, config.seed + 1, ...
  std::string out;                     // the sweep directory
  std::vector<std::string> overrides;  // --set, shared by every run
  std::string address;                 // a started cluster to run on (empty: as `ist run` chooses)
  bool embedded = false;               // every point on an embedded cluster, even when one was started here
  CredentialArgs credentials;          // the started cluster's key, passed on to every point
};
int command_sweep(const SweepArgs& args);

// `ist report RUN_DIR|SWEEP_DIR... -o FILE [--x time|epochs|samples|bytes]`.
int command_report(const std::vector<std::string>& run_dirs, const std::string& output, const std::string& x_axis);

}  // namespace ist::cli
