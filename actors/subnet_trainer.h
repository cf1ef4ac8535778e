// SubnetTrainer: the actor that trains on one worker. Created on a worker node with its shard
// assignment; loads only that shard. For IST it receives a slice each round, trains it R steps on its own
// data and replies with the updated slice. For the baselines it holds a full replica and joins a ring of
// trainers for the all-reduce.
//
// The batch order is not the trainer's state: every request carries the shard's cursor and every reply
// returns the advanced one, so the driver can checkpoint it, or hand the shard to another trainer.
#pragma once

#include <memory>
#include <optional>

#include "actors/ring.h"
#include "actors/tensor_frames.h"
#include "actors/wire.h"
#include "ist/data.h"
#include "ist/local_training.h"
#include "ist/model_shard.h"
#include "ist/mlp.h"
#include "ist/sgd.h"
#include "runtime/actor.h"

namespace ist::actors {

inline constexpr const char* kSubnetTrainerType = "SubnetTrainer";
// How many live trainers one driver may have on one worker node (each loads its shard): a run places
// its W trainers round-robin over its nodes, so W may be at most this many times the worker nodes. A
// member that spawns trainers in a loop is refused past it, so it cannot make a node load data again and
// again.
inline constexpr std::size_t kMaxTrainersPerDriverOnANode = 16;

// A subnet of more bytes than this is freed after each round (once its reply is sent), not kept for the
// next: see train_ist.
inline constexpr std::size_t kKeepSubnetBuffersUpTo = std::size_t{8} << 20;

class SubnetTrainer : public rt::Actor {
 public:
  // ctor args: pack_args(TrainerSpec). Errors: the data loader's (not_found, corrupt_data) as a remote error.
  static Result<std::unique_ptr<SubnetTrainer>> create(rt::ActorContext& ctx, const rt::Payload& args);

  // args: pack_args(IstTrainRequest) + 2 blobs per layer. Reply: pack_args(TrainReply) + the trained
  // subnet's 2 blobs per layer. Memory: the received frames are copied once into the subnet and dropped
  // before training; the reply's frames are the trained subnet's own buffers (no copy). The subnet, its
  // activations and batch stay allocated from round to round while their shapes stay (subnet_, training_);
  // the momentum is freed after training, and a subnet above kKeepSubnetBuffersUpTo bytes too, once its
  // reply is sent. So a large subnet's trainer holds nothing model-sized between rounds, the received
  // frames (and CURVE's decrypted copy of them) while a slice arrives, and the subnet and its momentum
  // while it trains.
  Result<rt::Payload> train_ist(rt::ActorContext& ctx, rt::Payload&& args);
  // args: pack_args(ReplicaSetup) + the full model's blobs. Reply: empty.
  Result<rt::Payload> setup_replica(rt::ActorContext& ctx, const rt::Payload& args);
  // args: pack_args(BaselineRoundRequest). Reply: pack_args(TrainReply) [+ model blobs if asked].
  Result<rt::Payload> train_baseline(rt::ActorContext& ctx, const rt::Payload& args);
  // args: pack_args(FaultPlan). Arms a scripted fault for the next train_ist only. Reply: empty.
  Result<rt::Payload> arm_fault(rt::ActorContext& ctx, const rt::Payload& args);
  // Reply: pack_args(examples in the shard).
  Result<rt::Payload> shard_size(rt::ActorContext& ctx, const rt::Payload& args);
  // Reply: pack_args(WireMoments) of the shard as loaded (the driver measures the standardization on them:
  // it starts such trainers with none and reloads their shards standardized).
  Result<rt::Payload> shard_moments(rt::ActorContext& ctx, const rt::Payload& args);
  // args: pack_args(TrainerSpec). Replaces this trainer's shard (the driver re-cuts the data when the
  // membership changes). Reply: pack_args(examples in the new shard). On error the old shard stays. When
  // only the standardization differs from the raw shard held (the driver measured it on the raw shards),
  // the shard is standardized in place instead of loaded again: the same values, one copy in memory.
  Result<rt::Payload> load_shard(rt::ActorContext& ctx, const rt::Payload& args);

  // Partitioned ownership (actors/shard_owner.h). install_shard: args: encode_shard(shard); keeps it (replacing
  // any). fetch_shard: reply: encode_shard of the shard kept; errors: invalid_argument when it holds none.
  // train_partitioned: args: pack_args(PartitionedRoundRequest); reply: pack_args(PartitionedRoundReply).
  Result<rt::Payload> install_shard(rt::ActorContext& ctx, const rt::Payload& args);
  Result<rt::Payload> fetch_shard(rt::ActorContext& ctx, const rt::Payload& args);
  Result<rt::Payload> train_partitioned(rt::ActorContext& ctx, const rt::Payload& args);
  // save_model_shard: args: pack_args(SaveShardRequest); writes the shard kept (shard_checkpoint.h); reply:
  // pack_args(ShardFileRef). restore_model_shard: args: pack_args(RestoreShardRequest); reads and checks
  // the file and keeps its shard; on error the shard kept before stays. Errors: invalid_argument when no
  // shard is kept (save), the file's (io_error, not_found, corrupt_data).
  Result<rt::Payload> save_model_shard(rt::ActorContext& ctx, const rt::Payload& args);
  Result<rt::Payload> restore_model_shard(rt::ActorContext& ctx, const rt::Payload& args);
  // Told by the node as it leaves gracefully (ActorType::on_node_leaving): the shard kept goes to the
  // driver that gave it (shard_handover_tag), so the model loses none of its training. Nothing without one.
  Result<rt::Payload> hand_over(rt::ActorContext& ctx, const rt::Payload& args);

 private:
  SubnetTrainer(Dataset shard, TrainerSpec loaded_by) : shard_(std::move(shard)), loaded_by_(std::move(loaded_by)) {}
  static Result<Dataset> load(const TrainerSpec& spec);
  Result<TrainReply> data_parallel_round(rt::ActorContext& ctx, const BaselineRoundRequest& request);
  Result<TrainReply> local_sgd_round(rt::ActorContext& ctx, const BaselineRoundRequest& request);

  Dataset shard_;
  TrainerSpec loaded_by_;  // the spec shard_ was loaded (and standardized) by
  // IST only: the subnet of the round and what training it allocates, reused round after round (but the
  // momentum, see train_ist).
  LentNet subnet_;
  LocalTrainingBuffers training_;
  FaultPlan armed_fault_;  // for the next train_ist (scripted experiments only)
  // Baselines only: the replica, its ring, and the optimizer whose momentum persists (data parallel).
  std::optional<Mlp> replica_;
  std::vector<rt::ActorHandle> ring_;
  int rank_ = 0;
  std::unique_ptr<SgdOptimizer> optimizer_;
  std::uint64_t allreduce_sequence_ = 0;
  // Data parallel's step buffers (the pass, the gradients, the batch, the flattened gradient) and the
  // ring's send buffers (local SGD's too), reused from step to step and round to round.
  struct DataParallelBuffers {
    Workspace workspace;
    Gradients gradients;
    Matrix batch;
    std::vector<std::int32_t> labels;
    std::vector<float> flat_gradient;
    std::vector<float> flat_parameters;  // local SGD: the replica averaged over the ring each round
    RingSendBuffers ring_send;
  };
  DataParallelBuffers data_parallel_;
  // Partitioned ownership only: this trainer's shard of the model.
  std::optional<ModelShard> model_shard_;
  std::optional<rt::ActorHandle> shard_from_;  // the driver that gave model_shard_: where hand_over sends it
};

// Registers SubnetTrainer with the process's actor types (idempotent). Every program that can be a
// worker node calls this before starting its node.
Status register_trainer_actor_types();

}  // namespace ist::actors
