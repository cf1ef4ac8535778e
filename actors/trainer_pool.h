// TrainerPool: who trains. It starts the trainers, hears joins, leaves and deaths, loses trainers whose
// work failed, waits for joins below min_workers, re-cuts shared data over the live trainers when the
// membership changed, and keeps every shard's batch cursor. Stragglers: a trainer whose last call came
// late sits rounds out until it is done (ready() leaves it out).
//
// Data placement "shared": every worker can read the data set, so whenever the set of trainers changes
// the data is re-cut into one shard per live trainer (no data drops out). "private": a shard leaves with
// its worker, the run counts the examples lost, and a joining worker gets no data.
//
// Reaches the trainers only through a TrainerBackend; one thread (the driver's) calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "actors/trainer_backend.h"
#include "base/status.h"
#include "ist/data_source.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist::actors {

struct PoolOptions {
  DataSource data;
  int min_workers = 1;
  std::chrono::milliseconds join_wait{60000};  // how long to wait for joins below min_workers
  std::string placement = "shared";            // "shared" or "private"
  // When not empty, the only nodes trainers may run on (ist run --nodes); joins of others are ignored.
  std::vector<rt::NodeId> only_nodes;
};

// What a checkpoint keeps of the pool: the data cut and where every shard's batch order stands.
struct PoolState {
  int generation = 0;  // how many times the data was re-cut
  int num_shards = 0;
  std::vector<BatchCursor> cursors;  // one per shard of the current cut
  std::int64_t lost_examples = 0;    // private placement: examples that left with their workers
};

struct PooledTrainer {
  TrainerId id = -1;
  rt::NodeId node = 0;
  int shard = 0;
  std::int64_t shard_size = 0;
  bool alive = true;
  bool left = false;  // lost because its node left gracefully (an owner hands its shard over then)
};

class TrainerPool {
 public:
  // backend outlives the pool. REQUIRES: validate(training) is ok.
  TrainerPool(TrainerBackend& backend, const TrainingConfig& training, PoolOptions options);

  // Continue from a checkpoint's pool state instead of a fresh cut. Call before start().
  void restore(PoolState state);
  PoolState state() const;

  // Starts training.workers trainers, trainer w on nodes[w % nodes.size()] with shard w of the cut, and
  // waits for all to load their shards. A standardization still to be measured (training.standardize not
  // kGiven) is measured then: the trainers load their shards as they are, send their moments, which are
  // combined in shard order (ist/standardization.h), and reload them standardized; training() has the
  // values afterwards. Errors: invalid_argument (no nodes, a shard smaller than one
  // batch), or the first start failure, naming the shard.
  Status start(const std::vector<rt::NodeId>& nodes);

  // Before a round: takes in membership events, waits for joins below min_workers, re-cuts shared data
  // when the membership changed. Errors: node_dead (below min_workers and no join within join_wait, or
  // nobody left to give the data to; at once when the driver's node lost its head and every trainer, or
  // was itself declared dead).
  Status prepare_round(std::int64_t round, RoundRecord& record);
  // Takes in membership events until `wait_until`, or, with joins_wanted > 0, until that many workers
  // joined. A joined worker gets a trainer (shared placement); a left or dead one loses its trainers;
  // the head's loss and return are recorded. Errors: node_dead when this driver's node was declared dead,
  // or (while waiting for joins) lost its head with no trainer left.
  Status admit_membership_events(RoundRecord& record, rt::Deadline wait_until, int joins_wanted);

  // Takes in membership events (as admit_membership_events) until one of `trainers` is lost or `deadline`
  // passes: true when one is. For a call that failed because its peer is gone: the pool hears why. Joins
  // are held back until the next admit_membership_events (a trainer added mid-round would train on a
  // shard of the current cut). Errors: as admit_membership_events.
  Result<bool> await_loss(const std::vector<TrainerId>& trainers, RoundRecord& record, rt::Deadline deadline);
  // Takes in the membership events queued now, joins held back as in await_loss (e.g. before a restore, to
  // learn which lost owners left gracefully). Errors: as admit_membership_events.
  Status admit_losses(RoundRecord& record);

  // Trainer `id`, alive or lost. REQUIRES: this pool started it.
  const PooledTrainer& trainer(TrainerId id) const;
  // Live trainers, in the order they joined.
  std::vector<PooledTrainer*> live();
  // The live trainers that can take work now (not still busy with a late call).
  std::vector<PooledTrainer*> ready();
  // All trainers ever started (baselines use them as their ring).
  const std::vector<PooledTrainer>& all() const { return trainers_; }
  // Marks a trainer lost (once), with a kTrainerLost event (and, private placement, kPrivateShardLost).
  void lose(PooledTrainer& trainer, const Status& why, RoundRecord& record);

  BatchCursor cursor_of(const PooledTrainer& trainer) const;
  void set_cursor(const PooledTrainer& trainer, const BatchCursor& cursor);

  // The training config, with the standardization measured by start().
  const TrainingConfig& training() const { return training_; }

  // Examples in the training set as first cut (known after start()).
  std::int64_t train_size() const { return train_size_; }
  std::int64_t lost_examples() const { return state_.lost_examples; }

 private:
  TrainerSpec spec_for(int shard, int num_shards) const;
  BatchCursor fresh_cursor(int shard) const;
  Status add_trainer_on(rt::NodeId node, RoundRecord& record);
  // One membership event taken in (admit_membership_events); a join that adds a trainer counts
  // joins_wanted down; with defer_joins a join is held back for the next admit_membership_events.
  Status take_in(const rt::MembershipEvent& event, RoundRecord& record, int& joins_wanted, bool defer_joins);
  // False for a node outside options.only_nodes (when that is given).
  bool may_host(rt::NodeId node) const;
  Status recut_shards(RoundRecord& record);
  Status measure_standardization();
  // The error of a driver left with neither a head nor a trainer.
  Status lost_head_and_trainers() const;

  TrainerBackend& backend_;
  TrainingConfig training_;
  PoolOptions options_;
  PoolState state_;
  bool restored_ = false;
  std::vector<PooledTrainer> trainers_;
  bool membership_changed_ = false;  // since the last cut
  bool head_lost_ = false;           // the driver's node has lost its head (and not joined one again)
  std::deque<rt::MembershipEvent> deferred_joins_;  // joins heard mid-round, taken in before the next round
  std::int64_t train_size_ = 0;
};

}  // namespace ist::actors
