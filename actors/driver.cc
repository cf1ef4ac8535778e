#include "actors/driver.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "actors/baseline_round.h"
#include "actors/runtime_trainer_backend.h"

namespace ist::actors {

namespace {

std::unique_ptr<TrainerBackend> runtime_backend(rt::ActorContext& ctx, const DriverOptions& o) {
  return std::make_unique<RuntimeTrainerBackend>(
      ctx, RuntimeBackendOptions{o.spawn_deadline, o.round_deadline, o.membership, o.add_workers});
}

PoolOptions pool_options(const DriverOptions& o) { return PoolOptions{o.data, o.min_workers, o.join_wait, o.placement, o.only_nodes}; }

// How long a restore or re-cut that lost a trainer waits to hear of it. A call fails as "peer gone" when
// this node hears the peer's node died (the pool's news is queued by then) or its actor stopped; a wait
// that hears nothing ends the restore with the call's error.
constexpr auto kLossNewsWait = std::chrono::seconds(3);
// How long the driver waits for the shard of an owner whose node left gracefully. The owner sends it
// before its node's leave, straight to the driver, so it is usually here before the news of the leave.
constexpr auto kHandoverWait = std::chrono::seconds(5);

}  // namespace

Driver::Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test)
    : Driver(runtime_backend(ctx, options), options, std::move(test)) {}

Driver::Driver(std::unique_ptr<TrainerBackend> backend, DriverOptions options, Dataset test)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      pool_(*backend_, options_.training, pool_options(options_)),
      script_(options_.events),
      test_(std::move(test)) {}

Driver::~Driver() = default;

Status Driver::resume_from(DriverCheckpoint c) {
  if (!options_.checkpoint_tag.empty() && c.tag != options_.checkpoint_tag) {
    return Status::invalid_argument("the checkpoint was written under another config (tag " + c.tag + ", this run " +
                                    options_.checkpoint_tag + ")");
  }
  const std::vector<int> widths = c.shards.empty() ? c.model.widths() : c.widths;
  if (widths != options_.training.widths) {
    return Status::invalid_argument("the checkpoint's model has other widths than the config's");
  }
  if (options_.training.algorithm == Algorithm::kDataParallel) {
    return Status::invalid_argument("data_parallel runs cannot resume: their momentum lives in the trainers");
  }
  if (!c.shards.empty() && !partitioned()) {
    IST_ASSIGN_OR_RETURN(c.model, assemble_checkpoint_model(c));
  }
  progress_ = RunProgress{c.next_round, c.epochs_done};
  pool_.restore(PoolState{c.generation, c.num_shards, c.cursors, c.lost_examples});
  if (!c.shards.empty() && partitioned()) {
    c.cursors.clear();
    last_checkpoint_ = c;
    resume_manifest_ = std::move(c);
  } else {
    model_ = std::move(c.model);
  }
  script_.mark_resumed();
  resumed_ = true;
  return Status::ok_status();
}

void Driver::set_checkpoint_tag(std::string tag) { options_.checkpoint_tag = std::move(tag); }

Status check_model_owner(const DriverOptions& options) {
  const TrainingConfig& t = options.training;
  if (options.model_owner == "driver") return Status::ok_status();
  if (options.model_owner != "partitioned") {
    return Status::invalid_argument("expected \"driver\" or \"partitioned\", got \"" + options.model_owner + "\"");
  }
  if (t.algorithm != Algorithm::kIst) {
    return Status::invalid_argument("\"partitioned\" needs algorithm.name = \"ist\" (" +
                                    std::string(algorithm_name(t.algorithm)) + " keeps a full replica on every trainer)");
  }
  return Status::ok_status();
}

Status Driver::start(const std::vector<rt::NodeId>& nodes) {
  const TrainingConfig& config = options_.training;
  IST_RETURN_IF_ERROR(validate(config));
  IST_RETURN_IF_ERROR(check_model_owner(options_).with_context("cluster.model_owner"));
  IST_RETURN_IF_ERROR(check_data_fits(config.widths, test_, "the test data"));
  if (nodes.empty()) return Status::invalid_argument("no worker nodes to place trainers on");
  if (options_.placement != "shared" && options_.placement != "private") {
    return Status::invalid_argument("placement must be shared or private, got '" + options_.placement + "'");
  }
  if (!resumed_) {
    IST_ASSIGN_OR_RETURN(model_, make_mlp(config.widths, config.seed));
  }
  IST_RETURN_IF_ERROR(pool_.start(nodes));
  // The standardization is known now (measured by the trainers if it was not given).
  options_.training = pool_.training();
  normalize_inputs(options_.training, test_);
  if (config.algorithm != Algorithm::kIst) IST_RETURN_IF_ERROR(setup_replicas(config, *backend_, pool_, model_));
  if (partitioned()) IST_RETURN_IF_ERROR(install_or_restore_shards());
  started_ = true;
  return Status::ok_status();
}

Status Driver::install_or_restore_shards() {
  // The trainers started now own the model from here on, one shard each.
  for (const PooledTrainer* t : pool_.live()) owners_.push_back(t->id);
  if (!resume_manifest_) return backend_->install_shards(owners_, model_);
  const DriverCheckpoint manifest = std::move(*resume_manifest_);
  resume_manifest_.reset();
  if (manifest.shards.size() != owners_.size()) {
    // Another number of owners cuts the model otherwise: it is assembled here once and cut anew.
    IST_ASSIGN_OR_RETURN(model_, assemble_checkpoint_model(manifest));
    return backend_->install_shards(owners_, model_);
  }
  std::vector<RestoreShardRequest> requests;
  for (std::size_t o = 0; o < manifest.shards.size(); ++o) {
    requests.push_back(RestoreShardRequest{(std::filesystem::path(manifest.shard_dir) / manifest.shards[o].file).string(),
                                           shard_expectation(manifest, static_cast<int>(o))});
  }
  return backend_->restore_shards(owners_, requests);
}

Status Driver::prepare_round(std::int64_t round, RoundRecord& record) {
  round_timing_ = RoundTiming{};
  for (RoundEvent& e : carried_events_) record.events.push_back(std::move(e));
  carried_events_.clear();
  // Baselines need every ring member; membership changes do not apply to them.
  if (options_.training.algorithm != Algorithm::kIst) return Status::ok_status();
  IST_RETURN_IF_ERROR(script_.before_round(round, *backend_, pool_, record, options_.spawn_deadline));
  IST_RETURN_IF_ERROR(pool_.prepare_round(round, record));
  if (partitioned()) IST_RETURN_IF_ERROR(share_ownership_with_joined(round, record));
  script_.start_slowdowns(round, pool_.live(), record);
  return Status::ok_status();
}

Status Driver::share_ownership_with_joined(std::int64_t round, RoundRecord& record) {
  std::vector<TrainerId> joined;
  std::vector<TrainerId> ready;
  for (const PooledTrainer* t : pool_.ready()) {
    ready.push_back(t->id);
    if (std::find(owners_.begin(), owners_.end(), t->id) == owners_.end()) joined.push_back(t->id);
  }
  // Only with every owner ready: a lost one is restored by the round (restore_lost_owners), which cuts the
  // model over every ready trainer anyway.
  for (TrainerId owner : owners_) {
    if (std::find(ready.begin(), ready.end(), owner) == ready.end()) return Status::ok_status();
  }
  if (joined.empty()) return Status::ok_status();
  const auto start = std::chrono::steady_clock::now();
  before_model_changes();  // an overlapped evaluation may still read model_
  std::vector<TrainerId> owners = owners_;
  owners.insert(owners.end(), joined.begin(), joined.end());
  const std::string when = "round " + std::to_string(round + 1) + ": sharing the model with joined workers";
  const Status gathered = backend_->gather_shards(owners_, model_to_fill());
  // An owner lost before it sent its shard: the round finds it lost and restores its shard, over every
  // ready trainer (the joined ones too).
  if (is_peer_lost(gathered.code())) return Status::ok_status();
  IST_RETURN_IF_ERROR(gathered.with_context(when));
  // The whole model is here now: an owner lost during the install drops out, the model is cut over the rest.
  Result<std::vector<TrainerId>> installed = install_over_survivors(*backend_, std::move(owners), model_, loss_news(record));
  if (!installed.ok()) return installed.status().with_context(when);
  owners_ = std::move(installed).value();
  char detail[96];
  std::snprintf(detail, sizeof(detail), "%zu joined; the model re-cut in %.2f s", joined.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  record.events.push_back(RoundEvent{RoundEvent::Kind::kOwnersChanged, -1, -1, 0,
                                     static_cast<std::int64_t>(owners_.size()), detail});
  return Status::ok_status();
}

int Driver::trainers_ready() {
  if (options_.training.algorithm != Algorithm::kIst) return static_cast<int>(pool_.all().size());
  return static_cast<int>(pool_.ready().size());
}

Status Driver::run_round(std::int64_t round, const RoundSettings& settings, bool model_wanted,
                         RoundRecord& record) {
  const LocalTrainingOptions& options = settings.local;
  if (options_.training.algorithm == Algorithm::kIst) {
    // Scripted faults travel by their own message, before the work they disturb.
    const BeforeSend arm_scripted_fault = [&](int subnet, const PooledTrainer& trainer, RoundRecord& r) {
      const FaultPlan fault = script_.fault_for(round, subnet, trainer, r);
      if (fault.empty()) return Status::ok_status();
      return backend_->arm_fault(trainer.id, fault).with_context("arming a scripted fault");
    };
    if (partitioned()) {
      // Lost owners are restored (owner_recovery.h), then a round that did not start runs; each pass
      // loses at least one trainer for good, so this ends.
      for (;;) {
        IST_ASSIGN_OR_RETURN(const PartitionedRoundResult result,
                             run_partitioned_round(round, options, settings.subnets, options_.training, *backend_,
                                                   pool_, owners_, record, round_timing_));
        if (!result.lost_owners.empty()) IST_RETURN_IF_ERROR(restore_lost_owners(round, result.lost_owners, record));
        if (result.ran) return Status::ok_status();
      }
    }
    return run_ist_round(round, options, settings.subnets, options_.training, options_.round_deadline, *backend_, pool_,
                         arm_scripted_fault, [this] { before_model_changes(); }, model_, record, round_timing_);
  }
  return run_baseline_round(round, options, model_wanted, options_.training, *backend_, pool_, model_, record);
}

Mlp& Driver::model_to_fill() {
  // A run resumed from the owners' shard files has no model here until the first gather.
  if (model_.widths() != options_.training.widths) model_ = unfilled_model(options_.training.widths);
  return model_;
}

Result<bool> Driver::gather_model() {
  // Partitioned: the shards come to the driver only when the model is read (it fits in the driver's memory).
  if (!partitioned() || owners_.empty()) return false;
  IST_RETURN_IF_ERROR(backend_->gather_shards(owners_, model_to_fill()));
  return true;
}

Status Driver::restore_lost_owners(std::int64_t round, const std::vector<int>& lost, RoundRecord& record) {
  before_model_changes();  // an overlapped evaluation may still read model_
  OwnerRestore restore;
  restore.owners = &owners_;
  restore.lost = lost;
  for (const PooledTrainer* t : pool_.ready()) restore.new_owners.push_back(t->id);
  restore.last_checkpoint = last_checkpoint_ ? &*last_checkpoint_ : nullptr;
  std::optional<DriverCheckpoint> resumed_from;
  if (!last_checkpoint_ && resumed_ && !options_.checkpoint_path.empty()) {
    // Resumed from a driver-owned checkpoint, and none written since: that file still holds its model.
    Result<DriverCheckpoint> loaded = load_checkpoint(options_.checkpoint_path);
    if (loaded.ok()) {
      resumed_from = std::move(loaded).value();
      restore.last_checkpoint = &*resumed_from;
    }
  }
  // Owners whose nodes left gracefully handed their shards over as they left (SubnetTrainer::hand_over):
  // the news of a leave the round did not hear yet comes first, then those shards are awaited; any other
  // lost owner's that is already here (its leave's news still on its way) is taken too.
  IST_RETURN_IF_ERROR(pool_.admit_losses(record));
  const auto take_handovers = [&](bool of_those_that_left, rt::Deadline deadline) {
    std::vector<TrainerId> ids;
    std::vector<int> shard_of;
    for (int o : lost) {
      const TrainerId id = owners_[static_cast<std::size_t>(o)];
      if (pool_.trainer(id).left != of_those_that_left) continue;
      ids.push_back(id);
      shard_of.push_back(o);
    }
    if (ids.empty()) return;
    std::vector<std::optional<ModelShard>> shards = backend_->handed_over_shards(ids, deadline);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (shards[i]) restore.handed_over.emplace(shard_of[i], std::move(*shards[i]));
    }
  };
  take_handovers(true, rt::deadline_in(kHandoverWait));
  take_handovers(false, rt::Clock::now());
  restore.loss_news = loss_news(record);
  Result<std::vector<TrainerId>> owners = actors::restore_lost_owners(*backend_, restore, options_.training, model_, record);
  if (!owners.ok()) {
    return owners.status().with_context("round " + std::to_string(round + 1) + ": restoring the shard of a lost owner");
  }
  owners_ = std::move(owners).value();
  return Status::ok_status();
}

LossNews Driver::loss_news(RoundRecord& record) {
  return [this, &record](const std::vector<TrainerId>& involved) -> Result<std::optional<std::vector<TrainerId>>> {
    IST_ASSIGN_OR_RETURN(const bool lost, pool_.await_loss(involved, record, rt::deadline_in(kLossNewsWait)));
    if (!lost) return std::optional<std::vector<TrainerId>>();
    std::vector<TrainerId> ready;
    for (const PooledTrainer* t : pool_.ready()) ready.push_back(t->id);
    return std::optional<std::vector<TrainerId>>(std::move(ready));
  };
}

std::function<Status()> Driver::begin_background_gather() {
  if (!partitioned() || owners_.empty()) return nullptr;
  // Nothing else writes model_ while a partitioned run trains: the next gather waits for this one.
  Mlp& model = model_to_fill();
  TrainerBackend::ShardGather finish = backend_->begin_gather_shards(owners_);
  return [&model, finish = std::move(finish)] { return finish(model); };
}

void Driver::finish_round(const RunProgress& progress, bool checkpoint_due, double evaluate_seconds,
                          RoundRecord& /*record*/) {
  progress_ = progress;
  round_timing_.evaluate = evaluate_seconds;
  timings_.push_back(round_timing_);
  checkpoint_pending_ = checkpoint_due && !options_.checkpoint_path.empty();
}

void Driver::round_published(const RoundRecord& record) {
  // The checkpoint of round k follows round k's published record: a driver stopped between the two
  // leaves an older checkpoint and metrics a resume cuts back to it, never a checkpoint ahead of them.
  if (checkpoint_pending_) {
    checkpoint_pending_ = false;
    const Status saved = write_checkpoint();
    // Told in the next round's record (count: the round it covers).
    carried_events_.push_back(
        saved.ok()
            ? RoundEvent{RoundEvent::Kind::kCheckpointWritten, -1, -1, 0, record.round, ""}
            : RoundEvent{RoundEvent::Kind::kCheckpointFailed, -1, -1, 0, record.round, saved.to_string()});
  }
  script_.after_round_published(record);
}

Status Driver::write_checkpoint() {
  const PoolState pool = pool_.state();
  DriverCheckpoint c;
  c.next_round = progress_.next_round;
  c.epochs_done = progress_.epochs_done;
  c.generation = pool.generation;
  c.num_shards = pool.num_shards;
  c.cursors = pool.cursors;
  c.lost_examples = pool.lost_examples;
  c.tag = options_.checkpoint_tag;
  if (!partitioned()) {
    // The model is lent to the checkpoint (moved in and back out), not copied: a copy would be a second
    // model resident for the write.
    c.model = std::move(model_);
    const Status saved = save_checkpoint(options_.checkpoint_path, c);
    model_ = std::move(c.model);
    return saved;
  }
  // Partitioned: the owners write their shards, then the manifest naming them replaces the last one.
  // Absolute: owners on other hosts or in other working directories write where the manifest will look.
  const std::string dir =
      shard_directory(std::filesystem::absolute(options_.checkpoint_path).lexically_normal().string());
  IST_ASSIGN_OR_RETURN(c.shards, backend_->save_shards(owners_, SaveShardRequest{dir, c.next_round, c.tag}));
  // Checked before the commit as load_checkpoint checks them: a manifest naming other files would be
  // refused on load, and the commit removes the files of the checkpoint before it.
  if (c.shards.size() != owners_.size()) return Status::decode_failure("not every owner wrote its shard");
  IST_RETURN_IF_ERROR(check_shard_files(c.shards, c.next_round).with_context("the owners' replies (the last checkpoint stays)"));
  c.widths = options_.training.widths;
  IST_RETURN_IF_ERROR(save_checkpoint(options_.checkpoint_path, c));
  remove_other_shard_files(dir, c.shards);
  c.shard_dir = dir;
  last_checkpoint_ = std::move(c);  // where a lost owner's shard comes back from
  return Status::ok_status();
}

Result<RunResult> Driver::run(const RoundCallback& on_round) {
  if (!started_) return Status::invalid_argument("run() before start()");
  RunLoopOptions loop;
  loop.train_size = pool_.train_size();
  loop.start = progress_;
  loop.checkpoint_every = options_.checkpoint_every;
  loop.stop_requested = options_.stop_requested;
  return run_rounds(options_.training, *this, loop, test_, on_round);
}

}  // namespace ist::actors
