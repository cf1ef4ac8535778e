// The driver: owner of the full model and of the run. Wiring only; the rooms it wires:
//   TrainerPool     (trainer_pool.h)   who trains: start, membership, min_workers, re-cut, stragglers
//   run_ist_round   (ist_round.h)      what an IST round does: partition, send slices, collect, merge
//   baseline rounds (baseline_round.h) data parallel and local SGD on replicas in a ring
//   FaultScript     (fault_script.h)   scripted faults and membership changes, beside the protocol
//   run_rounds      (ist/run_loop.h)   the run loop the in-process reference shares
//   checkpoints     (checkpoint.h)     what a resumed run needs to continue bit for bit
// and the TrainerBackend seam (trainer_backend.h) through which all of them reach the trainers: the
// runtime's actors, or an in-process backend in tests.
//
// Every checkpoint_every rounds the driver writes a checkpoint, after that round's record went to the
// run's callback (its metrics line), and records the outcome in the next round's record; a Driver resumed
// from one continues the run bit for bit as if it had never stopped (same membership). Runs on the
// thread that calls run().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/checkpoint.h"
#include "actors/fault_script.h"
#include "actors/ist_round.h"
#include "actors/owner_recovery.h"
#include "actors/partitioned_round.h"
#include "actors/trainer_backend.h"
#include "actors/trainer_pool.h"
#include "base/status.h"
#include "ist/data.h"
#include "ist/data_source.h"
#include "ist/mlp.h"
#include "ist/reference.h"
#include "ist/run_loop.h"
#include "ist/training_config.h"
#include "runtime/actor.h"
#include "runtime/membership.h"

namespace ist::actors {

struct DriverOptions {
  TrainingConfig training;
  DataSource data;  // the trainers read the training set from here
  std::chrono::milliseconds spawn_deadline{60000};   // a trainer must load its shard within this
  std::chrono::milliseconds round_deadline{300000};  // a slice not back by then is late
  int min_workers = 1;
  std::chrono::milliseconds join_wait{60000};  // how long to wait for joins below min_workers
  std::string placement = "shared";            // "shared" or "private"
  // When not empty, the only nodes trainers may run on (ist run --nodes); joins of others are ignored.
  std::vector<rt::NodeId> only_nodes;
  // Membership events of the driver's node (Node::subscribe()); without it joins go unnoticed.
  std::shared_ptr<rt::MembershipQueue> membership;
  std::vector<ScriptedEvent> events;
  // Starts `count` worker nodes (kAddWorkers); e.g. the embedded cluster's launcher.
  std::function<Status(int count)> add_workers;
  int checkpoint_every = 0;  // rounds; 0 = never
  std::string checkpoint_path;
  std::string checkpoint_tag;  // stored in checkpoints; a resume under another tag is refused
  // Asked around every round; once true the run ends after a checkpointed round (RunLoopOptions).
  std::function<bool()> stop_requested;
  // "driver": the driver holds the model and sends each trainer its slice (ist_round.h). "partitioned":
  // the trainers started with the run each own a shard of it (ist/model_shard.h) and exchange subnets
  // peer to peer (partitioned_round.h); the driver gathers the shards only when a round's model is
  // evaluated (and at the end). Checkpoints are the owners' shard files and a manifest the driver commits
  // last (shard_checkpoint.h): no process writes the whole model. IST only (subnet groups and schedules too).
  std::string model_owner = "driver";
};

// Checks options.model_owner against the training config. Errors: invalid_argument naming the problem
// (an unknown owner; partitioned ownership with a baseline algorithm), without the
// key's name (callers add it).
Status check_model_owner(const DriverOptions& options);

class Driver : private RoundRunner {
 public:
  // Trainers are SubnetTrainer actors reached through ctx (a node's client context, or an actor's).
  // `test` is the test set as loaded; start() standardizes it like the trainers standardize their shards.
  Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test);
  // Trainers are reached through `backend` (tests: in process). options.membership and add_workers are
  // the backend's business then.
  Driver(std::unique_ptr<TrainerBackend> backend, DriverOptions options, Dataset test);
  ~Driver() override;

  // Continue from a checkpoint instead of the start. Call before start(). A manifest of partitioned
  // ownership is restored by the owners themselves (each reads its shard file at start()) when this run
  // has as many owners; otherwise, and for a driver-owned run, its model is assembled here. Errors:
  // invalid_argument when the checkpoint's tag or model widths differ from this run's; a shard file's
  // (shard_checkpoint.h).
  Status resume_from(DriverCheckpoint checkpoint);

  // Starts trainer w (w < training.workers) on nodes[w % nodes.size()] and waits for all to load their
  // shards. Errors: invalid_argument (config, no nodes), or the first start failure (naming the shard).
  Status start(const std::vector<rt::NodeId>& nodes);

  // The training config; after start() with the standardization the trainers measured (if it was to be).
  const TrainingConfig& training() const { return options_.training; }
  // The tag checkpoints carry from now on (e.g. recomputed once the measured standardization is known).
  void set_checkpoint_tag(std::string tag);

  // Runs the configured rounds (or until the target accuracy). Errors: invalid_argument (data that does
  // not fit the widths), node_dead (fewer than min_workers trainers and no joins in time), a baseline's
  // lost ring member, or a merge failure.
  Result<RunResult> run(const RoundCallback& on_round = {});

  const std::vector<RoundTiming>& timings() const { return timings_; }
  // The number of rounds run() will take (known after start(): it depends on the shards' sizes).
  std::int64_t planned_rounds() const { return total_rounds(options_.training, pool_.train_size()); }
  // Examples in the training set (known after start()).
  std::int64_t train_size() const { return pool_.train_size(); }
  // Private placement: training examples that left with lost workers.
  std::int64_t lost_examples() const { return pool_.lost_examples(); }

 private:
  // RoundRunner: the run loop calls these.
  Status prepare_round(std::int64_t round, RoundRecord& record) override;
  int trainers_ready() override;
  Status run_round(std::int64_t round, const RoundSettings& settings, bool model_wanted,
                   RoundRecord& record) override;
  const Mlp& model() const override { return model_; }
  // The driver's model moves out: after run() the driver holds none.
  Mlp take_model() override { return std::move(model_); }
  Result<bool> gather_model() override;
  // Partitioned: model_, with the model's widths, for a gather to fill (its values are the last gather's).
  Mlp& model_to_fill();
  // Partitioned: the owners are asked for their shards now; the evaluation's thread places them.
  std::function<Status()> begin_background_gather() override;
  // Partitioned: a checkpoint is the owners' shard files, so a checkpoint round needs no gather.
  bool checkpoint_reads_model() const override { return !partitioned(); }
  Status install_or_restore_shards();
  // Partitioned: the shards of owners lost in round `round` restored, the model re-cut over the ready trainers.
  Status restore_lost_owners(std::int64_t round, const std::vector<int>& lost, RoundRecord& record);
  // Partitioned: trainers that joined become owners too. The model is gathered and cut anew over the old
  // owners and the joined trainers (the whole model through the driver, once each way).
  Status share_ownership_with_joined(std::int64_t round, RoundRecord& record);
  // For a gather or install that failed because a peer was gone: waits (briefly) for the pool to hear of
  // the loss among the trainers involved; the trainers ready now, or nullopt when none of them was lost.
  LossNews loss_news(RoundRecord& record);
  Status write_checkpoint();
  bool partitioned() const { return options_.model_owner == "partitioned"; }
  void finish_round(const RunProgress& progress, bool checkpoint_due, double evaluate_seconds,
                    RoundRecord& record) override;
  void round_published(const RoundRecord& record) override;
  // IST rounds wait for an overlapped evaluation before they merge; a baseline round may replace the
  // model at any point, so its evaluations run at once.
  bool announces_model_changes() const override { return options_.training.algorithm == Algorithm::kIst; }

  DriverOptions options_;
  std::unique_ptr<TrainerBackend> backend_;
  TrainerPool pool_;
  FaultScript script_;
  Dataset test_;
  Mlp model_;
  RunProgress progress_;
  bool resumed_ = false;
  bool started_ = false;
  RoundTiming round_timing_;                // of the round in progress
  bool checkpoint_pending_ = false;         // the finished round ends with a checkpoint, once published
  std::vector<RoundEvent> carried_events_;  // for the next round's record (the last checkpoint's outcome)
  std::vector<RoundTiming> timings_;
  std::vector<TrainerId> owners_;  // partitioned ownership: the trainer holding shard o is owners_[o]
  std::optional<DriverCheckpoint> resume_manifest_;  // partitioned: the shards start() has the owners restore
  std::optional<DriverCheckpoint> last_checkpoint_;  // partitioned: the last committed manifest (lost owners come back from it)
};

}  // namespace ist::actors
