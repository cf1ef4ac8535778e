// ScriptedTrainerBackend: a TrainerBackend that runs every trainer in this process, with the real
// numerics (extract_slice, train_locally), and lets a test script what happens to each: trained (the
// default), lost in a round, late in a round (and busy for a while after), a node that joins, leaves or
// dies. No processes, no sockets, no clocks: waits for joins return at once with what the script holds,
// so elasticity scenarios run in milliseconds and the same way every time.
//
// Scripted faults armed by the driver (FaultPlan) act as on real trainers: crash_midway loses the trainer
// and its node dies, leave_midway finishes the round and then its node leaves, a step delay makes the
// work late when delay x steps exceeds the round deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "actors/trainer_backend.h"

namespace ist::actors::testing {

// Shard `spec.shard` of `data` as a trainer would load it (same sharding, same standardization).
Result<Dataset> shard_as_trainer_loads(const Dataset& data, const TrainerSpec& spec);

// `examples` examples of `features` features in `classes` classes: each class a cluster around its own
// seeded centre, so a net learns it in a few rounds.
Dataset clustered_dataset(int examples, int features, int classes, std::uint64_t seed);

class ScriptedTrainerBackend : public TrainerBackend {
 public:
  // data: the training set every trainer shards (spec.data is ignored). round_deadline: what a step
  // delay is measured against.
  explicit ScriptedTrainerBackend(Dataset data, std::chrono::milliseconds round_deadline = std::chrono::seconds(1));

  // Node ids for `count` worker nodes that are up now.
  std::vector<rt::NodeId> worker_nodes(int count);

  // --- the script (call before run(), or between rounds from the round callback) ---
  // Trainer `trainer`'s work of round `round` (1-based) fails: the trainer is lost (its node stays).
  void lose_in_round(TrainerId trainer, std::int64_t round);
  // Trainer `trainer` returns round `round`'s (1-based) slice with a NaN in it, and a finite loss.
  void poison_in_round(TrainerId trainer, std::int64_t round);
  // Trainer `trainer`'s work of round `round` (1-based) comes late; it is busy (sits out) until round
  // `free_from` (1-based) begins.
  void late_in_round(TrainerId trainer, std::int64_t round, std::int64_t free_from);
  // A new worker node joins now (the pool hears of it before the next round). Returns its id.
  rt::NodeId join_node();
  // A new worker node joins only once somebody waits for joins (e.g. the pool below min_workers).
  void join_when_waited();
  // Node `node` leaves (gracefully) / dies now: the pool hears of it before the next round.
  void node_leaves(rt::NodeId node);
  void node_dies(rt::NodeId node);

  // --- what happened ---
  // IST calls each trainer got, in order of rounds (0-based round numbers).
  std::vector<std::int64_t> rounds_trained_by(TrainerId trainer) const;
  std::vector<FaultPlan> faults_armed_on(TrainerId trainer) const;
  int trainers_started() const { return static_cast<int>(trainers_.size()); }
  int shard_loads() const { return shard_loads_; }
  // The slice (subnet, start-of-round parameters) trainer `trainer` was sent last.
  const Slice& last_slice_sent_to(TrainerId trainer) const;
  // The slice trainer `trainer` last sent back trained (null before it returned one).
  const Slice* last_slice_trained_by(TrainerId trainer) const;

  // --- TrainerBackend ---
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
  bool watches_membership() const override { return true; }
  Result<rt::MembershipEvent> next_membership_event(rt::Deadline deadline) override;
  Status add_workers(int count) override;

 private:
  struct Trainer {
    rt::NodeId node = 0;
    Dataset shard;
    bool alive = true;
    FaultPlan armed;
    std::int64_t busy_until_round = 0;  // 0-based: busy while the next round < this
    std::optional<Result<TrainedSlice>> outcome;  // of the work sent this round
    std::vector<std::int64_t> rounds;
    std::vector<FaultPlan> faults;
    Slice last_sent;
    std::shared_ptr<const Slice> last_trained;
  };
  rt::NodeId new_node();
  void announce(rt::MembershipChange change, rt::NodeId node);
  Trainer& trainer(TrainerId id) { return trainers_.at(static_cast<std::size_t>(id)); }

  Dataset data_;
  std::chrono::milliseconds round_deadline_;
  std::vector<Trainer> trainers_;
  std::set<rt::NodeId> dead_nodes_;
  rt::NodeId next_node_ = 0x1000;
  std::deque<rt::MembershipEvent> events_;
  int joins_when_waited_ = 0;
  std::int64_t last_round_sent_ = -1;
  std::set<std::pair<TrainerId, std::int64_t>> lost_;                               // (trainer, round 0-based)
  std::set<std::pair<TrainerId, std::int64_t>> poisoned_;                           // (trainer, round 0-based)
  std::map<std::pair<TrainerId, std::int64_t>, std::int64_t> late_;                 // -> busy until (0-based)
  int shard_loads_ = 0;
};

}  // namespace ist::actors::testing
