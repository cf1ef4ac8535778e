// `ist run` and `ist simulate`: load the config, create the run directory, train, save the results.
// One job, the two commands' shared sequence; the parts it calls (cluster choice, run directory, progress,
// interrupt) live in files of their own.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "actors/checkpoint.h"
#include "actors/driver.h"
#include "actors/trainer_placement.h"
#include "actors/subnet_trainer.h"
#include "cli/append_line.h"
#include "cli/cluster_state.h"
#include "cli/commands.h"
#include "cli/driver_config.h"
#include "cli/interrupt.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "cli/run_directory.h"
#include "ist/data_source.h"
#include "ist/reference.h"
#include "ist/standalone_model.h"
#include "ist/standardization.h"
#include "runtime/launcher.h"
#include "runtime/log.h"
#include "runtime/node.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) { return std::chrono::duration<double>(SteadyClock::now() - t).count(); }

struct Prepared {
  DriverConfig config;
  std::unique_ptr<RunDirectory> dir;  // made only once everything that can be checked was
  Dataset test;
};

std::string hex_tag(std::uint64_t hash) {
  char text[20];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

// What can be checked before a run directory exists: the config, the test data against the model's
// widths, events the chosen cluster cannot carry out, the --out directory.
Result<Prepared> load_checked(const RunArgs& args, bool distributed) {
  IST_ASSIGN_OR_RETURN(DriverConfig config, load_driver_config(args.config_path, args.overrides));
  IST_ASSIGN_OR_RETURN(Dataset test, load_dataset(config.driver.data, Split::kTest));
  IST_RETURN_IF_ERROR(check_data_fits(config.driver.training.widths, test, "the test data"));
  if (!distributed && workers_own_data(config.driver.data)) {
    return Status::invalid_argument(args.config_path +
                                    ": data.placement = \"private\" with no data.path trains every worker on the data "
                                    "its node was started with (ist start --data); ist simulate has no worker nodes: "
                                    "give data.path (e.g. \"/data/shard-{worker}.npz\")");
  }
  if (!distributed && !config.driver.events.empty()) {
    return Status::invalid_argument(args.config_path +
                                    ": ist simulate does not carry out [[events]] (faults and joins need a cluster); "
                                    "use ist run, or remove the events");
  }
  if (!distributed && config.driver.checkpoint_every > 0 && config.checkpoint_set) {
    return Status::invalid_argument(args.config_path +
                                    ": ist simulate writes no checkpoints ([checkpoint] every = " +
                                    std::to_string(config.driver.checkpoint_every) +
                                    "); use ist run, or set checkpoint.every = 0");
  }
  IST_RETURN_IF_ERROR(check_run_name(config.name));
  IST_RETURN_IF_ERROR(RunDirectory::check_can_create(args.out));
  return Prepared{std::move(config), nullptr, std::move(test)};
}

Status create_directory(const RunArgs& args, Prepared& p) {
  IST_ASSIGN_OR_RETURN(RunDirectory dir, RunDirectory::create(args.out, p.config.name));
  IST_RETURN_IF_ERROR(dir.write_config(resolved_toml(p.config)));
  p.config.driver.checkpoint_path = dir.file("checkpoint.safetensors");
  p.config.driver.checkpoint_tag = hex_tag(config_hash(p.config));
  p.dir = std::make_unique<RunDirectory>(std::move(dir));
  return Status::ok_status();
}

// Writes the resolved config (again, once a measured standardization is known) and the checkpoint tag,
// which is computed from it: a resumed run reads that config, so the tags agree.
Status record_resolved_config(Prepared& p) {
  IST_RETURN_IF_ERROR(p.dir->write_config(resolved_toml(p.config)));
  p.config.driver.checkpoint_tag = hex_tag(config_hash(p.config));
  return Status::ok_status();
}

// ist run --resume DIR: the run's own resolved config, its checkpoint, its directory (metrics cut back
// to the checkpoint).
Result<Prepared> prepare_resume(const RunArgs& args, actors::DriverCheckpoint* checkpoint) {
  if (!args.overrides.empty()) return Status::invalid_argument("--resume continues a run as configured; --set is not allowed");
  IST_ASSIGN_OR_RETURN(DriverConfig config, load_driver_config(args.resume + "/config.toml"));
  auto loaded = actors::load_checkpoint(args.resume + "/checkpoint.safetensors");
  if (!loaded.ok()) return loaded.status().with_context("cannot resume " + args.resume);
  *checkpoint = std::move(loaded).value();
  // Locked before anything is written; a driver still running there makes this fail at once.
  IST_ASSIGN_OR_RETURN(RunDirectory dir, RunDirectory::reopen(args.resume, checkpoint->next_round));
  IST_ASSIGN_OR_RETURN(Dataset test, load_dataset(config.driver.data, Split::kTest));
  config.driver.checkpoint_path = dir.file("checkpoint.safetensors");
  config.driver.checkpoint_tag = hex_tag(config_hash(config));
  return Prepared{std::move(config), std::make_unique<RunDirectory>(std::move(dir)), std::move(test)};
}

// Writes metrics and progress for each round. A metrics line that cannot be written stops the run (its
// error names the file): a run whose record is incomplete must not look finished.
class RoundSink {
 public:
  // `session_offset`: seconds from this session's command start to its training start (the start-up).
  RoundSink(RunDirectory& dir, Progress& progress, double session_offset)
      : dir_(dir), progress_(progress), offset_(dir.wall_seconds_before() + session_offset) {}
  Status operator()(const RoundRecord& record) {
    // metrics.jsonl's wall_seconds run on across sessions: start-up and the earlier sessions included.
    RoundRecord whole = record;
    whole.wall_seconds += offset_;
    IST_RETURN_IF_ERROR(dir_.append_metrics(whole));
    for (const RoundEvent& e : record.events) dir_.log("round " + std::to_string(record.round) + ": " + describe(e));
    progress_.update(record);
    return Status::ok_status();
  }

 private:
  RunDirectory& dir_;
  Progress& progress_;
  double offset_;
};

// While it lives, the runtime's log lines go to the run's log.txt (and to stderr too when stderr is not a
// terminal, where they cannot break the live line).
class RuntimeLogToRun {
 public:
  explicit RuntimeLogToRun(const std::string& log_path) {
    const bool also_stderr = isatty(STDERR_FILENO) == 0;
    rt::set_log_sink([log_path, also_stderr](const std::string& line) {
      (void)append_whole_line(log_path, line);
      if (also_stderr) std::fprintf(stderr, "%s\n", line.c_str());
    });
  }
  ~RuntimeLogToRun() { rt::set_log_sink({}); }
  RuntimeLogToRun(const RuntimeLogToRun&) = delete;
  RuntimeLogToRun& operator=(const RuntimeLogToRun&) = delete;
};

// The progress line's wall time is the metrics': the earlier sessions' and this session's start-up.
EarlierSessions earlier_sessions(const RunDirectory& dir, double startup_seconds) {
  return EarlierSessions{dir.rounds(), dir.bytes_total(), dir.wall_seconds_before() + startup_seconds};
}

// A failure once the run directory exists: the directory says so (status.json), so it never blocks a retry.
int fail_run(RunDirectory& dir, const std::string& message) {
  dir.log("failed: " + message);
  dir.mark_failed(message);
  return fail(message + " (results so far in " + dir.path() + ")");
}

// The result's model is folded in place into the file's form (no second model resident at the end).
int finish_run(Prepared& p, Result<RunResult>& result, Progress& progress, double wall_seconds) {
  if (!result.ok()) {
    progress.finish("");
    return fail_run(*p.dir, "run failed: " + result.status().to_string());
  }
  const TrainingConfig& training = p.config.driver.training;
  const std::string algorithm = algorithm_name(training.algorithm);
  // The model file stands alone: raw features in (the run's standardization folded into layer 0), logits out.
  const ModelCard card{training.input_mean, training.input_std,      p.config.name,        result->final_test_accuracy,
                       algorithm,           !training.feature_mean.empty(), p.config.class_names};
  std::map<std::string, std::string> metadata = standalone_metadata(result->model, card);
  result->model = fold_input_standardization(std::move(result->model), training);
  Status s = p.dir->save_model(result->model, std::move(metadata));
  if (s.ok()) s = p.dir->write_summary(p.config.name, algorithm, *result, wall_seconds);
  if (!s.ok()) return fail_run(*p.dir, "saving results: " + s.to_string());
  char line[512];
  const double whole_wall = p.dir->wall_seconds_before() + wall_seconds;
  if (result->interrupted) {
    std::snprintf(line, sizeof(line),
                  "interrupted after round %lld: test accuracy %.4f, %.1f s; checkpoint, model and summary saved in "
                  "%s\nresume with: ist run --resume %s",
                  static_cast<long long>(p.dir->rounds()), result->final_test_accuracy.value_or(0.0), whole_wall,
                  p.dir->path().c_str(), p.dir->path().c_str());
    p.dir->log(line);
    progress.finish(line);
    return kExitInterrupted;
  }
  std::snprintf(line, sizeof(line), "done: %s, test accuracy %.4f after %lld rounds, %.1f s -> %s", algorithm.c_str(),
                result->final_test_accuracy.value_or(0.0), static_cast<long long>(p.dir->rounds()), whole_wall,
                p.dir->path().c_str());
  p.dir->log(line);
  progress.finish(line);
  return 0;
}

// The worker nodes a driver may place trainers on (actors::hosts_trainers); the head only if alone.
std::vector<rt::NodeId> worker_nodes(const rt::Node& node) {
  std::vector<rt::NodeId> workers, heads;
  for (const rt::Member& m : node.members()) {
    if (m.state != rt::MemberState::kAlive || m.id == node.id()) continue;
    if (actors::hosts_trainers(m)) workers.push_back(m.id);
    if (m.role == rt::NodeRole::kHead) heads.push_back(m.id);
  }
  return workers.empty() ? heads : workers;
}

// The node ids of `--nodes`, in the order given, once each. Errors: invalid_argument naming one that is not hex.
Result<std::vector<rt::NodeId>> parse_node_ids(const std::vector<std::string>& texts) {
  std::vector<rt::NodeId> ids;
  for (const std::string& text : texts) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long id = std::strtoull(text.c_str(), &end, 16);
    if (text.empty() || *end != '\0' || errno != 0 || text.size() > 16) {
      return Status::invalid_argument("--nodes: '" + text + "' is not a node id (16 hex digits, as ist status lists them)");
    }
    if (std::find(ids.begin(), ids.end(), rt::NodeId{id}) == ids.end()) ids.push_back(id);
  }
  return ids;
}

// Checks that every chosen node is an alive worker. Errors: invalid_argument naming one that is not.
Status check_chosen_nodes(const std::vector<rt::NodeId>& workers, const std::vector<rt::NodeId>& chosen) {
  for (rt::NodeId id : chosen) {
    if (std::find(workers.begin(), workers.end(), id) == workers.end()) {
      char hex[20];
      std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(id));
      return Status::invalid_argument("--nodes: " + std::string(hex) +
                                      " is not an alive worker node of the cluster (see ist status)");
    }
  }
  return Status::ok_status();
}

}  // namespace

int command_simulate(const RunArgs& args) {
  const auto command_start = SteadyClock::now();
  // Before any thread starts (see command_run). ist simulate keeps no checkpoints, so Ctrl-C cannot save
  // a resumable run: the first signal stops it after the round in progress and marks its directory failed
  // (a retry with the same --out then works); a second one ends it at once.
  InterruptWatcher interrupts;
  auto prepared = load_checked(args, /*distributed=*/false);
  if (!prepared.ok()) return fail(prepared.status().to_string());
  Prepared& p = *prepared;
  const TrainingConfig& training = p.config.driver.training;
  std::vector<Dataset> shards;
  std::int64_t train_size = 0;
  for (int w = 0; w < training.workers; ++w) {
    DataSource source = p.config.driver.data;
    std::optional<ShardSpec> cut = ShardSpec{w, training.workers, training.shard_policy, training.seed};
    if (per_worker_files(source)) {  // each worker's own files, whole, as the distributed trainers load them
      source.path = file_of_worker(source.path, w);
      source.labels_path = file_of_worker(source.labels_path, w);
      cut.reset();
    }
    auto shard = load_dataset(source, Split::kTrain, cut);
    if (!shard.ok()) return fail(shard.status().to_string());
    train_size += shard->size();
    shards.push_back(std::move(shard).value());
  }
  // A standardization to be measured is measured on the shards, as the distributed trainers measure it;
  // the directory's config.toml then records the numbers.
  if (Status s = measure_standardization(p.config.driver.training, shards); !s.ok()) return fail(s.to_string());
  if (Status s = create_directory(args, p); !s.ok()) return fail(s.to_string());
  set_compute_threads(1);
  p.dir->log("simulate: " + std::to_string(training.workers) + " workers in process");
  const double startup = seconds_since(command_start);
  Progress progress(run_plan(training, train_size), args.quiet, earlier_sessions(*p.dir, startup));
  RoundSink sink(*p.dir, progress, startup);
  const auto record_or_stop = [&](const RoundRecord& record) -> Status {
    IST_RETURN_IF_ERROR(sink(record));
    if (!interrupts.requested()) return Status::ok_status();
    // run_rounds names the round.
    return Status::cancelled(std::string("interrupted by ") + interrupts.signal_name() +
                             "; ist simulate keeps no checkpoints, so it cannot be resumed: run it again");
  };
  auto result = run_reference(training, shards, p.test, record_or_stop);
  if (!result.ok() && interrupts.requested()) {
    progress.finish("");
    fail_run(*p.dir, result.status().message());
    return kExitInterrupted;
  }
  return finish_run(p, result, progress, seconds_since(command_start));
}

namespace {

// Where a run's trainers run: the cluster at --address; else one `ist start --head` left running on this
// host (unless --embedded); else an embedded one this run starts and stops.
struct ClusterChoice {
  std::string head_endpoint;  // empty: embedded
  std::string said;           // the run's first line
};

ClusterChoice choose_cluster(const RunArgs& args, int workers) {
  const auto with_scheme = [](const std::string& a) { return a.rfind("tcp://", 0) == 0 ? a : "tcp://" + a; };
  if (!args.address.empty()) return {with_scheme(args.address), "using the cluster at " + with_scheme(args.address)};
  if (!args.embedded) {
    if (auto head = running_local_head(); head.ok()) {
      return {with_scheme(*head), "using the cluster started on this host at " + with_scheme(*head) +
                                      " (ist start; --embedded for a cluster of its own)"};
    }
  }
  return {"", "starting an embedded cluster of " + std::to_string(workers) + " worker processes"};
}

}  // namespace

int command_run(const RunArgs& args) {
  const auto command_start = SteadyClock::now();
  if (!args.resume.empty() && RunDirectory::is_finished(args.resume)) {
    // Nothing to do, and nothing is touched: its summary, metrics and model stay as the run left them.
    std::printf("%s holds a finished run (its summary.json is written); nothing to resume\n", args.resume.c_str());
    return 0;
  }
  // Before any thread starts: the signals are then blocked in all of them and taken by its watcher.
  InterruptWatcher interrupts;
  actors::DriverCheckpoint checkpoint;
  const bool resuming = !args.resume.empty();
  // A new run's directory is made only once the cluster is up (below); a resumed one is locked first.
  auto prepared = resuming ? prepare_resume(args, &checkpoint) : load_checked(args, /*distributed=*/true);
  if (!prepared.ok()) return fail(prepared.status().to_string());
  Prepared& p = *prepared;
  const int workers = p.config.driver.training.workers;
  const ClusterChoice cluster = choose_cluster(args, workers);
  const bool embedded_cluster = cluster.head_endpoint.empty();
  if (embedded_cluster && !args.nodes.empty()) {
    return fail("--nodes chooses workers of a started cluster; this run starts its own (give --address, or ist start first)");
  }
  auto parsed_nodes = parse_node_ids(args.nodes);
  if (!parsed_nodes.ok()) return fail(parsed_nodes.status().message(), kExitUsage);
  const std::vector<rt::NodeId> chosen_nodes = std::move(parsed_nodes).value();
  // The directory, once it exists, is marked failed by any later failure.
  const auto failed = [&](const std::string& message) {
    return p.dir ? fail_run(*p.dir, message) : fail(message);
  };
  if (!embedded_cluster) {
    for (const actors::ScriptedEvent& e : p.config.driver.events) {
      if (e.kind != actors::ScriptedEvent::Kind::kAddWorkers) continue;
      return failed("the [[events]] add at round " + std::to_string(e.round) +
                    " starts worker processes, which only an embedded cluster can; run without --address "
                    "(and with --embedded when a cluster was started here), or remove the event");
    }
  }
  if (!args.quiet) {
    std::printf("%s\n", cluster.said.c_str());
    std::fflush(stdout);
  }
  if (Status s = actors::register_trainer_actor_types(); !s.ok()) return failed(s.to_string());
  const auto heartbeat = std::chrono::milliseconds(p.config.heartbeat_ms);
  const auto deadline = std::chrono::milliseconds(p.config.death_deadline_ms);

  rt::NodeOptions options;
  options.heartbeat_interval = heartbeat;
  options.death_deadline = deadline;
  std::unique_ptr<rt::LocalCluster> embedded;
  std::optional<TemporaryKeyFile> embedded_key;  // outlives the embedded cluster's workers
  if (embedded_cluster) {
    options.role = rt::NodeRole::kHead;
    options.name = "driver-head:" + p.config.name;
    // A fresh key per run: the embedded cluster is as closed as a started one, and nothing is kept
    // (--insecure: plain TCP on loopback, e.g. to measure what encryption costs).
    if (!args.credentials.insecure) {
      auto key = rt::ClusterKey::generate();
      if (!key.ok()) return fail(key.status().to_string());
      auto file = TemporaryKeyFile::create(*key);
      if (!file.ok()) return fail(file.status().to_string());
      embedded_key.emplace(std::move(file).value());
      options.cluster_key = std::move(key).value();
    }
  } else {
    // The key given, or the one kept beside this host's cluster state (a cluster started --insecure needs none).
    auto here = load_cluster_state();
    auto key = cluster_key_for(args.credentials, here.ok() && here->insecure);
    if (!key.ok()) return failed(key.status().to_string());
    options.cluster_key = std::move(key).value();
    options.role = rt::NodeRole::kDriver;
    options.name = "driver:" + p.config.name;  // ist status lists it as a running experiment
    options.bind = "tcp://" + args.node_ip + ":*";
    options.head_endpoint = cluster.head_endpoint;
    options.join_timeout = std::chrono::milliseconds(p.config.join_timeout_ms);
  }
  auto node = rt::Node::start(options);
  if (!node.ok() && node.status().code() == ErrorCode::kTimeout && !embedded_cluster) {
    char waited[32];
    std::snprintf(waited, sizeof(waited), "%g s", p.config.join_timeout_ms / 1000.0);
    return failed("cannot reach the head at " + cluster.head_endpoint + " within " + waited +
                  " (cluster.join_timeout_ms): is a head running there, reachable from this host, and does it use "
                  "the same cluster key (or --insecure)?");
  }
  if (!node.ok()) return failed("cannot start the driver node: " + node.status().to_string());
  // The directory exists from here on (a cluster given by address was reached first). The runtime's
  // warnings and the embedded workers' output go to its log.txt, not into the live line.
  if (!p.dir) {
    if (Status s = create_directory(args, p); !s.ok()) return fail(s.to_string());
  }
  const RuntimeLogToRun runtime_log(p.dir->file("log.txt"));
  std::string cluster_line;
  if (embedded_cluster) {
    std::vector<std::string> node_args{"node", "--head", (*node)->endpoint(), "--heartbeat-ms",
                                       std::to_string(heartbeat.count()), "--deadline-ms",
                                       std::to_string(deadline.count())};
    if (embedded_key) {
      node_args.insert(node_args.end(), {"--key-file", embedded_key->path()});
    } else {
      node_args.push_back("--insecure");
    }
    embedded = std::make_unique<rt::LocalCluster>(self_binary(), std::move(node_args));
    embedded->set_output(p.dir->file("log.txt"));
    Status started = embedded->start_and_wait(workers, **node, rt::deadline_in(60s));
    if (!started.ok()) return failed("cannot start " + std::to_string(workers) + " local workers: " + started.to_string());
    cluster_line = "embedded local cluster of " + std::to_string(workers) + " worker processes at " + (*node)->endpoint();
  } else {
    cluster_line = "driver joined the cluster at " + options.head_endpoint;
  }
  std::vector<rt::NodeId> nodes = worker_nodes(**node);
  if (nodes.empty()) return failed("the cluster at " + cluster.head_endpoint + " has no worker nodes to place trainers on");
  if (!chosen_nodes.empty()) {
    if (Status s = check_chosen_nodes(nodes, chosen_nodes); !s.ok()) return failed(s.message());
    nodes = chosen_nodes;
    p.config.driver.only_nodes = nodes;
  }
  p.dir->log(cluster.said);
  p.dir->log(cluster_line);

  p.config.driver.membership = (*node)->subscribe();
  if (embedded) {
    p.config.driver.add_workers = [&embedded](int count) -> Status {
      for (int i = 0; i < count; ++i) {
        auto pid = embedded->start_worker();
        if (!pid.ok()) return pid.status();
      }
      return Status::ok_status();
    };
  }
  p.config.driver.stop_requested = [&interrupts] { return interrupts.requested(); };
  actors::Driver driver((*node)->client(), p.config.driver, p.test);
  if (resuming) {
    if (Status s = driver.resume_from(std::move(checkpoint)); !s.ok()) return failed("cannot resume: " + s.to_string());
    p.dir->log("resumed from the checkpoint after round " + std::to_string(p.dir->rounds()));
  }
  if (Status s = driver.start(nodes); !s.ok()) return failed("starting trainers: " + s.to_string());
  if (p.config.driver.model_owner == "partitioned") {
    p.dir->log("model partitioned over the " + std::to_string(p.config.driver.training.workers) +
               " trainers (cluster.model_owner = \"partitioned\"); gathered into the driver for evaluation, "
               "checkpoints and the final model (it fits)");
  }
  // The trainers measured the standardization if it was to be: the run directory records the numbers.
  p.config.driver.training = driver.training();
  if (Status s = record_resolved_config(p); !s.ok()) return failed(s.to_string());
  driver.set_checkpoint_tag(p.config.driver.checkpoint_tag);
  // Trainer threads live in the worker processes; the driver's own matrix work runs on one thread.
  set_compute_threads(1);
  const TrainingConfig& training = p.config.driver.training;
  const double startup = seconds_since(command_start);
  Progress progress(run_plan(training, driver.train_size()), args.quiet, earlier_sessions(*p.dir, startup));
  RoundSink sink(*p.dir, progress, startup);
  auto result = driver.run(std::ref(sink));
  // The trainers are done: the workers leave while the model and summary are written.
  if (embedded) embedded->request_stop();
  if (result.ok() && result->interrupted) p.dir->log(std::string("interrupted by ") + interrupts.signal_name());
  const int code = finish_run(p, result, progress, seconds_since(command_start));
  if (embedded) embedded->stop();
  return code;
}

}  // namespace ist::cli
