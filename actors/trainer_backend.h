// The seam between the driver's logic (who trains, what a round does) and the trainers themselves.
// RuntimeTrainerBackend reaches SubnetTrainer actors on worker nodes through the runtime; tests use an
// in-process backend (tests/actors/scripted_trainer_backend.h) that trains in this process and lets a
// test script each trainer's outcome: trained, lost, late, joined, left. Everything above this interface
// (TrainerPool, IstRound, BaselineRound, FaultScript, Driver) runs the same against either.
//
// Every method is called from the driver's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "actors/shard_owner.h"
#include "actors/wire.h"
#include "base/status.h"
#include "ist/data.h"
#include "ist/local_training.h"
#include "ist/mlp.h"
#include "ist/partition.h"
#include "ist/slice.h"
#include "runtime/handle.h"
#include "runtime/types.h"

namespace ist::actors {

// A trainer, as the backend names it: assigned at start, never reused within a run.
using TrainerId = std::int32_t;

struct TrainerPlacement {
  rt::NodeId node = 0;
  TrainerSpec spec;  // where its data is and which shard it loads
};

struct StartedTrainer {
  TrainerId id = -1;
  rt::NodeId node = 0;
  std::int64_t shard_size = 0;
};

// One subnet's work for one round. model and plan outlive the send_ist call that reads them.
struct IstWork {
  std::int64_t round = 0;  // 0-based
  int subnet = 0;
  const Mlp* model = nullptr;
  const SubnetPlan* plan = nullptr;
  SubnetScaling scaling = SubnetScaling::kInvertedDropout;
  LocalTrainingOptions options;
  BatchCursor cursor;
};

// A trained subnet as it came back: views of its layers into memory `owner` keeps alive.
struct TrainedSlice {
  SliceView slice;
  std::shared_ptr<const void> owner;
  double mean_loss = 0.0;
  BatchCursor cursor;              // the shard's cursor after the round
  double compute_seconds = 0.0;    // the trainer's training time
  double decode_seconds = 0.0;     // the trainer's time to read the request
  std::int64_t bytes = 0;          // bytes of the reply
};

struct BaselineWork {
  TrainerId trainer = -1;
  BaselineRoundRequest request;
};

struct BaselineOutcome {
  double mean_loss = 0.0;
  BatchCursor cursor;
  std::int64_t ring_bytes_sent = 0;
  std::optional<Mlp> model;  // when the request asked for it
  double compute_seconds = 0.0;  // the trainer's computation (the ring's waits not counted)
};

// One round of partitioned ownership (actors/shard_owner.h): the plan's inputs only.
struct PartitionedWork {
  std::int64_t round = 0;  // 0-based
  std::uint64_t seed = 0;
  std::vector<int> widths;
  SubnetScaling scaling = SubnetScaling::kInvertedDropout;
  LocalTrainingOptions options;
  std::vector<TrainerId> owners;      // owner o holds shard o
  std::vector<TrainerId> trainers;    // trainer p trains subnet p mod subnets
  std::vector<BatchCursor> cursors;   // per trainer
  int subnets = 0;                    // S of the round (subnet_groups.h)
};

struct PartitionedOutcome {
  // One per participant: the trainers in position order, then the owners that do not train this round.
  std::vector<TrainerId> participants;
  std::vector<Result<PartitionedRoundReply>> replies;
  std::int64_t driver_bytes_sent = 0;      // the requests
  std::int64_t driver_bytes_received = 0;  // the replies
};

class TrainerBackend {
 public:
  virtual ~TrainerBackend() = default;

  // Starts one trainer per placement, all at once (each loads its shard), and returns in order each
  // trainer or the reason it did not start.
  virtual std::vector<Result<StartedTrainer>> start_trainers(const std::vector<TrainerPlacement>& placements) = 0;
  // Gives trainers new shards (a re-cut), all at once; per trainer the new shard's size or the error.
  // On error the trainer keeps its old shard.
  virtual std::vector<Result<std::int64_t>> load_shards(const std::vector<std::pair<TrainerId, TrainerSpec>>& loads) = 0;

  // Each trainer's shard moments as loaded, asked of all at once (the standardization measured on the
  // training data); per trainer the moments or the error.
  virtual std::vector<Result<FeatureMoments>> shard_moments(const std::vector<TrainerId>& trainers) = 0;

  // Sends one subnet's work to a trainer without waiting; returns the bytes sent. Collect every send
  // with collect_ist.
  virtual std::int64_t send_ist(TrainerId trainer, const IstWork& work) = 0;
  // The sent work's outcome, waiting up to the round deadline. kTimeout: late (the trainer goes on with it
  // and is busy() until done); any other error: the trainer is lost.
  virtual Result<TrainedSlice> collect_ist(TrainerId trainer) = 0;
  // True while a trainer still works on a late call: it sits rounds out until then.
  virtual bool busy(TrainerId trainer) = 0;
  // Arms a fault for the trainer's next IST call. Errors: the trainer's (then nothing is armed).
  virtual Status arm_fault(TrainerId trainer, const FaultPlan& plan) = 0;

  // Baselines: gives every trainer of the ring a replica of model and its rank (its index in ring).
  virtual Status setup_replicas(const std::vector<TrainerId>& ring, const Mlp& model, float momentum,
                                float weight_decay) = 0;
  // Runs one baseline round on every trainer at once; per work item its outcome or error.
  virtual std::vector<Result<BaselineOutcome>> run_baseline_round(const std::vector<BaselineWork>& work) = 0;

  // Partitioned ownership. install_shards: owner o of `owners` gets shard o of model (cut_shard), all at
  // once; errors: the first failure, naming the owner. run_partitioned_round: one round, all participants
  // at once, waiting up to the round deadline. begin_gather_shards: asks every owner for its shard now
  // (an owner answers before any later call to it, so with the shard as of this moment) and returns the
  // gather's second half: placing every shard into a model (place_shard), waiting for the replies, on any
  // thread, once; its errors: the first failure, naming the owner (the model is then partly updated).
  // gather_shards: both halves at once. `skip`: owners not asked (lost), their shards left as they are in
  // the model. This base class has no partitioned ownership: invalid_argument.
  using ShardGather = std::function<Status(Mlp& model)>;
  virtual Status install_shards(const std::vector<TrainerId>& owners, const Mlp& model);
  virtual PartitionedOutcome run_partitioned_round(const PartitionedWork& work);
  virtual ShardGather begin_gather_shards(const std::vector<TrainerId>& owners, const std::vector<int>& skip = {});
  Status gather_shards(const std::vector<TrainerId>& owners, Mlp& model, const std::vector<int>& skip = {}) {
    return begin_gather_shards(owners, skip)(model);
  }
  // Checkpoints (shard_checkpoint.h): every owner writes its shard, all at once; per owner (in order) the
  // file it wrote. Errors: the first failure, naming the owner. restore_shards: owner o reads and keeps
  // requests[o]'s file; errors: as save_shards.
  virtual Result<std::vector<ShardFileRef>> save_shards(const std::vector<TrainerId>& owners,
                                                          const SaveShardRequest& request);
  virtual Status restore_shards(const std::vector<TrainerId>& owners, const std::vector<RestoreShardRequest>& requests);
  // Shards handed over by owners whose nodes left gracefully (SubnetTrainer::hand_over), waiting for them
  // until `deadline`: per trainer of `trainers` its shard, or nullopt when none came. Handovers of other
  // trainers that arrive meanwhile are kept for a later call, until the next install_shards or
  // restore_shards (a new cut) drops them. This base class: none.
  virtual std::vector<std::optional<ModelShard>> handed_over_shards(const std::vector<TrainerId>& trainers,
                                                                    rt::Deadline deadline);

  // Whether this backend hears of joins, leaves and deaths at all.
  virtual bool watches_membership() const = 0;
  // The next membership event, waiting until `deadline` (kTimeout when none came; kCancelled when the
  // driver's node stops).
  virtual Result<rt::MembershipEvent> next_membership_event(rt::Deadline deadline) = 0;
  // Starts `count` worker nodes (scripted adds). Errors: invalid_argument when this backend cannot.
  virtual Status add_workers(int count) = 0;
};

}  // namespace ist::actors
