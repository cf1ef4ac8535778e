// `ist run` and `ist simulate`: load the config, create the run directory, train, save the results.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "actors/checkpoint.h"
#include "actors/driver.h"
#include "actors/trainer_placement.h"
#include "actors/subnet_trainer.h"
#include "cli/commands.h"
#include "cli/driver_config.h"
#include "cli/program.h"
#include "cli/progress.h"
#include "cli/run_directory.h"
#include "ist/data_source.h"
#include "ist/reference.h"
#include "ist/standalone_model.h"
#include "ist/standardization.h"
#include "runtime/launcher.h"
#include "runtime/node.h"

namespace ist::cli {

namespace {

using namespace std::chrono_literals;

struct Prepared {
  DriverConfig config;
  std::unique_ptr<RunDirectory> dir;
  Dataset test;
};

std::string hex_tag(std::uint64_t hash) {
  char text[20];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

Result<Prepared> prepare(const RunArgs& args) {
  IST_ASSIGN_OR_RETURN(DriverConfig config, load_driver_config(args.config_path, args.overrides));
  IST_ASSIGN_OR_RETURN(Dataset test, load_dataset(config.driver.data, Split::kTest));
  IST_ASSIGN_OR_RETURN(RunDirectory dir, RunDirectory::create(args.out, config.name));
  IST_RETURN_IF_ERROR(dir.write_config(resolved_toml(config)));
  config.driver.checkpoint_path = dir.file("checkpoint.safetensors");
  config.driver.checkpoint_tag = hex_tag(config_hash(config));
  return Prepared{std::move(config), std::make_unique<RunDirectory>(std::move(dir)), std::move(test)};
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
  RoundSink(RunDirectory& dir, Progress& progress) : dir_(dir), progress_(progress) {}
  Status operator()(const RoundRecord& record) {
    IST_RETURN_IF_ERROR(dir_.append_metrics(record));
    for (const RoundEvent& e : record.events) dir_.log("round " + std::to_string(record.round) + ": " + describe(e));
    progress_.update(record);
    return Status::ok_status();
  }

 private:
  RunDirectory& dir_;
  Progress& progress_;
};

int finish_run(Prepared& p, const Result<RunResult>& result, Progress& progress,
               double wall_seconds) {
  if (!result.ok()) {
    p.dir->log("failed: " + result.status().to_string());
    progress.finish("");
    return fail("run failed: " + result.status().to_string() + " (results so far in " + p.dir->path() + ")");
  }
  const TrainingConfig& training = p.config.driver.training;
  const std::string algorithm = algorithm_name(training.algorithm);
  // The model file stands alone: raw features in (the run's standardization folded into layer 0), logits out.
  const ModelCard card{training.input_mean, training.input_std,      p.config.name,        result->final_test_accuracy,
                       algorithm,           !training.feature_mean.empty(), p.config.class_names};
  Status s = p.dir->save_model(fold_input_standardization(result->model, training), standalone_metadata(result->model, card));
  if (s.ok()) s = p.dir->write_summary(p.config.name, algorithm, *result, wall_seconds);
  if (!s.ok()) return fail("saving results: " + s.to_string());
  char line[256];
  std::snprintf(line, sizeof(line), "done: %s, test accuracy %.4f after %zu rounds, %.1f s -> %s", algorithm.c_str(),
                result->final_test_accuracy.value_or(0.0), result->records.size(), wall_seconds, p.dir->path().c_str());
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

}  // namespace

int command_simulate(const RunArgs& args) {
  auto prepared = prepare(args);
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
  // A standardization to be measured is measured on the shards, as the distributed trainers measure it.
  if (Status s = measure_standardization(p.config.driver.training, shards); !s.ok()) return fail(s.to_string());
  if (Status s = record_resolved_config(p); !s.ok()) return fail(s.to_string());
  set_compute_threads(1);
  p.dir->log("simulate: " + std::to_string(training.workers) + " workers in process");
  Progress progress(total_rounds(training, train_size), samples_per_round(training), args.quiet);
  RoundSink sink(*p.dir, progress);
  const auto start = std::chrono::steady_clock::now();
  auto result = run_reference(training, shards, p.test, std::ref(sink));
  return finish_run(p, result, progress, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

int command_run(const RunArgs& args) {
  if (!args.resume.empty() && RunDirectory::is_finished(args.resume)) {
    // Nothing to do, and nothing is touched: its summary, metrics and model stay as the run left them.
    std::printf("%s holds a finished run (its summary.json is written); nothing to resume\n", args.resume.c_str());
    return 0;
  }
  actors::DriverCheckpoint checkpoint;
  auto prepared = args.resume.empty() ? prepare(args) : prepare_resume(args, &checkpoint);
  if (!prepared.ok()) return fail(prepared.status().to_string());
  Prepared& p = *prepared;
  if (Status s = actors::register_trainer_actor_types(); !s.ok()) return fail(s.to_string());
  const int workers = p.config.driver.training.workers;
  const auto heartbeat = std::chrono::milliseconds(p.config.heartbeat_ms);
  const auto deadline = std::chrono::milliseconds(p.config.death_deadline_ms);

  rt::NodeOptions options;
  options.heartbeat_interval = heartbeat;
  options.death_deadline = deadline;
  std::unique_ptr<rt::LocalCluster> embedded;
  if (args.address.empty()) {
    options.role = rt::NodeRole::kHead;
    options.name = "driver-head:" + p.config.name;
  } else {
    options.role = rt::NodeRole::kDriver;
    options.name = "driver:" + p.config.name;  // ist status lists it as a running experiment
    options.bind = "tcp://" + args.node_ip + ":*";
    options.head_endpoint = args.address.rfind("tcp://", 0) == 0 ? args.address : "tcp://" + args.address;
  }
  auto node = rt::Node::start(options);
  if (!node.ok()) return fail("cannot start the driver node: " + node.status().to_string());
  if (args.address.empty()) {
    embedded = std::make_unique<rt::LocalCluster>(
        self_binary(), std::vector<std::string>{"node", "--head", (*node)->endpoint(), "--heartbeat-ms",
                                                std::to_string(heartbeat.count()), "--deadline-ms",
                                                std::to_string(deadline.count())});
    Status started = embedded->start_and_wait(workers, **node, rt::deadline_in(60s));
    if (!started.ok()) return fail("cannot start " + std::to_string(workers) + " local workers: " + started.to_string());
    p.dir->log("embedded local cluster of " + std::to_string(workers) + " worker processes at " + (*node)->endpoint());
  } else {
    p.dir->log("driver joined the cluster at " + options.head_endpoint);
  }
  const std::vector<rt::NodeId> nodes = worker_nodes(**node);
  if (nodes.empty()) return fail("the cluster has no worker nodes to place trainers on");

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
  actors::Driver driver((*node)->client(), p.config.driver, p.test);
  if (!args.resume.empty()) {
    if (Status s = driver.resume_from(std::move(checkpoint)); !s.ok()) return fail("cannot resume: " + s.to_string());
    p.dir->log("resumed from the checkpoint");
  }
  if (Status s = driver.start(nodes); !s.ok()) return fail("starting trainers: " + s.to_string());
  // The trainers measured the standardization if it was to be: the run directory records the numbers.
  p.config.driver.training = driver.training();
  if (Status s = record_resolved_config(p); !s.ok()) return fail(s.to_string());
  driver.set_checkpoint_tag(p.config.driver.checkpoint_tag);
  // Trainer threads live in the worker processes; the driver's own matrix work runs on one thread.
  set_compute_threads(1);
  const TrainingConfig& training = p.config.driver.training;
  Progress progress(driver.planned_rounds(), samples_per_round(training), args.quiet);
  RoundSink sink(*p.dir, progress);
  const auto start = std::chrono::steady_clock::now();
  auto result = driver.run(std::ref(sink));
  const int code =
      finish_run(p, result, progress, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (embedded) embedded->stop();
  return code;
}

}  // namespace ist::cli
