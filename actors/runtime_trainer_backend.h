// The real TrainerBackend: SubnetTrainer actors on worker nodes, reached through the runtime. A slice
// takes one shape per hop: extracted from the full model straight into the outgoing frames, read by
// the trainer into its net, and merged back from the received frames through views (no copies between).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "actors/trainer_backend.h"
#include "runtime/actor.h"
#include "runtime/membership.h"

namespace ist::actors {

struct RuntimeBackendOptions {
  std::chrono::milliseconds spawn_deadline{60000};   // a trainer must load its shard within this
  std::chrono::milliseconds round_deadline{300000};  // a slice not back by then is late
  // Membership events of the driver's node (Node::subscribe()); without it joins go unnoticed.
  std::shared_ptr<rt::MembershipQueue> membership;
  // Starts `count` worker nodes (scripted adds); e.g. the embedded cluster's launcher.
  std::function<Status(int count)> add_workers;
};

class RuntimeTrainerBackend : public TrainerBackend {
 public:
  // ctx: the driver's calling context; it outlives the backend.
  RuntimeTrainerBackend(rt::ActorContext& ctx, RuntimeBackendOptions options);

  std::vector<Result<StartedTrainer>> start_trainers(const std::vector<TrainerPlacement>& placements) override;
  std::vector<Result<std::int64_t>> load_shards(const std::vector<std::pair<TrainerId, TrainerSpec>>& loads) override;
  std::vector<Result<FeatureMoments>> shard_moments(const std::vector<TrainerId>& trainers) override;
  std::int64_t send_ist(TrainerId trainer, const IstWork& work) override;
  Result<TrainedSlice> collect_ist(TrainerId trainer) override;
  bool busy(TrainerId trainer) override;
  Status arm_fault(TrainerId trainer, const FaultPlan& plan) override;
  Status setup_replicas(const std::vector<TrainerId>& ring, const Mlp& model, float momentum,
                        float weight_decay) override;
  std::vector<Result<BaselineOutcome>> run_baseline_round(const std::vector<BaselineWork>& work) override;
  Status install_shards(const std::vector<TrainerId>& owners, const Mlp& model) override;
  PartitionedOutcome run_partitioned_round(const PartitionedWork& work) override;
  ShardGather begin_gather_shards(const std::vector<TrainerId>& owners, const std::vector<int>& skip) override;
  Result<std::vector<ShardFileRef>> save_shards(const std::vector<TrainerId>& owners,
                                                  const SaveShardRequest& request) override;
  Status restore_shards(const std::vector<TrainerId>& owners, const std::vector<RestoreShardRequest>& requests) override;
  std::vector<std::optional<ModelShard>> handed_over_shards(const std::vector<TrainerId>& trainers,
                                                            rt::Deadline deadline) override;
  bool watches_membership() const override { return options_.membership != nullptr; }
  Result<rt::MembershipEvent> next_membership_event(rt::Deadline deadline) override;
  Status add_workers(int count) override;

 private:
  struct Remote {
    rt::ActorHandle handle;
    // The IST call of this round, and what it was for (checked against the reply's echo).
    std::optional<rt::Future<rt::Payload>> pending;
    std::int64_t pending_round = 0;
    int pending_subnet = 0;
    // A late call still running on the trainer: until it finishes the trainer sits rounds out, so its
    // next request does not queue behind the stale one (and come late again).
    std::optional<rt::Future<rt::Payload>> outstanding;
  };
  Remote& remote(TrainerId trainer) { return remotes_[static_cast<std::size_t>(trainer)]; }
  // After a new cut is installed every owner holds a shard of it: handovers kept or waiting are of an
  // older cut and could be mistaken for this one's (same owner index and count). A handover of this cut
  // comes only after its owner's install ack (the same connection), so none is dropped here.
  void drop_stale_handovers();

  rt::ActorContext& ctx_;
  RuntimeBackendOptions options_;
  std::vector<Remote> remotes_;  // indexed by TrainerId
  std::map<TrainerId, ModelShard> handovers_;  // handed over and not asked for yet
};

// The IST request for one subnet: header + one frame per weight and bias, filled straight from the model.
rt::Payload encode_ist_request(const IstWork& work);
// The trainer's reply as views into its frames (the merge checks the shapes against the plan). Errors:
// decode_failure when the reply does not echo (round, subnet) or its frames do not hold its shapes.
Result<TrainedSlice> decode_ist_reply(rt::Payload reply, std::int64_t round, int subnet);

}  // namespace ist::actors
