// The driver: central owner of the full model. It spawns one SubnetTrainer per worker (each loads only
// its shard), then runs rounds. IST: partition over the live trainers, send every trainer its slice at
// once, gather, merge, average the shared output bias. Baselines: the trainers hold replicas and all-reduce
// among themselves peer to peer; the driver only starts rounds and fetches the model to evaluate.
// Every E rounds the driver evaluates on the test set; every round it emits one RoundRecord.
//
// Faults and elasticity (IST):
// - A trainer whose node dies, or whose actor dies, mid-round is lost: the survivors' slices are merged,
//   its slice keeps its start-of-round values, and later rounds partition over the survivors. A slice
//   that misses the round deadline is late: treated like a lost one for that round, counted, and the
//   trainer stays. Each is an event in the round's record.
// - Data placement "shared": every worker can read the data set, so whenever the set of trainers changes
//   the data is re-cut into one shard per live trainer (no data drops out). "private": a shard leaves with
//   its worker, the run counts the examples lost, and a joining worker gets no data.
// - A worker node that joins mid-run (a membership event) gets a trainer from the next round on.
// - Below min_workers the driver waits up to join_wait for joins, then fails.
// - Every checkpoint_every rounds the driver writes a checkpoint; a Driver built from one continues the
//   run bit for bit as if it had never stopped (same membership).
// Baselines need every ring member: a lost trainer ends a baseline run with an error.
//
// Runs on the thread that calls run(), through any ActorContext (a node's client context, or an actor's).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/checkpoint.h"
#include "actors/wire.h"
#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/reference.h"
#include "ist/slice.h"
#include "ist/training_config.h"
#include "runtime/actor.h"
#include "runtime/membership.h"

namespace ist::actors {

// A fault or membership change scripted in the config, for reproducible experiments.
struct ScriptedEvent {
  enum class Kind {
    kKillWorker,  // in round `round`, trainer `worker` (index among live trainers) dies halfway (exit)
    kSlowWorker,  // for `rounds` rounds from `round`, trainer `worker` sleeps delay_ms after every step
    kAddWorkers,  // before round `round`, `count` worker nodes are started (needs DriverOptions::add_workers)
    kLeaveWorker,  // halfway through round `round`, trainer `worker`'s node is told to stop (SIGTERM): a
                   // graceful leave, which finishes the round first
    kKillDriver,  // after round `round` (and its checkpoint), the driver's process dies (SIGKILL);
                  // a resumed run ignores it
  };
  Kind kind = Kind::kKillWorker;
  std::int64_t round = 1;  // 1-based, as in the metrics
  int worker = 0;
  int count = 1;
  int delay_ms = 0;
  int rounds = 1;
};

struct DriverOptions {
  TrainingConfig training;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::chrono::milliseconds spawn_deadline{60000};   // a trainer must load its shard within this
  std::chrono::milliseconds round_deadline{300000};  // a slice not back by then is late
  int min_workers = 1;
  std::chrono::milliseconds join_wait{60000};  // how long to wait for joins below min_workers
  std::string placement = "shared";            // "shared" or "private"
  // Membership events of the driver's node (Node::subscribe()); without it joins go unnoticed.
  std::shared_ptr<rt::MembershipQueue> membership;
  std::vector<ScriptedEvent> events;
  // Starts `count` worker nodes (kAddWorkers); e.g. the embedded cluster's launcher.
  std::function<Status(int count)> add_workers;
  int checkpoint_every = 0;  // rounds; 0 = never
  std::string checkpoint_path;
  std::string checkpoint_tag;  // stored in checkpoints; a resume under another tag is refused
};

// Where the time of one round went, as seen by the driver (IST) — for the round-breakdown benchmark.
struct RoundTiming {
  double partition_and_extract = 0.0;  // driver: plan + slicing
  double encode = 0.0;                 // driver: slices into frames
  double wait = 0.0;                   // driver: from the first send to the last reply
  double trainer_compute = 0.0;        // max over trainers of their training time
  double trainer_compute_sum = 0.0;    // sum over trainers of their training time (vs. max: overlap)
  double trainer_decode = 0.0;         // max over trainers of their frame decoding time
  double decode_and_merge = 0.0;       // driver: replies into slices, merge
  double merge = 0.0;                  // driver: the merge alone (part of decode_and_merge)
  double evaluate = 0.0;
};

class Driver {
 public:
  // `test` is the test set as loaded; the driver standardizes it like the trainers standardize their shards.
  Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test);

  // Continue from a checkpoint instead of the start. Call before start(). Errors: invalid_argument when
  // the checkpoint's tag or model widths differ from this run's.
  Status resume_from(DriverCheckpoint checkpoint);

  // Spawns trainer w (w < training.workers) on nodes[w % nodes.size()] and waits for all to load their
  // shards. Errors: invalid_argument (config, no nodes), or the first spawn failure (naming the shard).
  Status start(const std::vector<rt::NodeId>& nodes);

  // Runs the configured rounds (or until the target accuracy). Errors: invalid_argument (data that does
  // not fit the widths), node_dead (fewer than min_workers trainers and no joins in time), a baseline's
  // lost ring member, or a merge failure.
  Result<RunResult> run(const RoundCallback& on_round = {});

  const std::vector<RoundTiming>& timings() const { return timings_; }
  // The number of rounds run() will take (known after start(): it depends on the shards' sizes).
  std::int64_t planned_rounds() const { return total_rounds(options_.training, train_size_); }
  // Private placement: training examples that left with lost workers.
  std::int64_t lost_examples() const { return lost_examples_; }

 private:
  struct Trainer {
    rt::ActorHandle handle;
    int shard = 0;
    std::int64_t shard_size = 0;
    bool alive = true;
    int slow_ms = 0;              // scripted slowness
    std::int64_t slow_until = 0;  // last round (1-based) of it
    // A late call still running on the trainer: until it finishes the trainer sits rounds out, so its
    // next request does not queue behind the stale one (and come late again).
    std::optional<rt::Future<rt::Payload>> outstanding;
  };

  TrainerSpec spec_for(int shard, int num_shards) const;
  BatchCursor fresh_cursor(int shard) const;
  Result<rt::ActorHandle> spawn_trainer(rt::NodeId node, int shard, int num_shards, std::int64_t* size);
  Status prepare_round(std::int64_t round, RoundRecord& record);
  Status apply_membership_events(RoundRecord& record, rt::Deadline wait_until, int joins_wanted);
  Status add_trainer_on(rt::NodeId node, RoundRecord& record);
  Status recut_shards(RoundRecord& record);
  // The train request for one subnet: header (options, cursor, neurons, shapes, scripted faults) + frames.
  rt::Payload encode_ist_request(std::int64_t round, int subnet, const Slice& slice, const Trainer& trainer,
                                 const LocalTrainingOptions& options, RoundRecord& record) const;
  Status run_ist_round(std::int64_t round, const LocalTrainingOptions& options, RoundRecord& record,
                       RoundTiming& timing);
  Status setup_replicas();
  Status run_baseline_round(std::int64_t round, const LocalTrainingOptions& options, bool want_model,
                            RoundRecord& record);
  std::vector<Trainer*> live_trainers();
  // The live trainers that can take a slice now (not still busy with a late one).
  std::vector<Trainer*> ready_trainers();
  void lose_trainer(Trainer& trainer, const Status& why, RoundRecord& record);
  Status write_checkpoint(std::int64_t next_round) const;

  rt::ActorContext& ctx_;
  DriverOptions options_;
  Dataset test_;
  Mlp model_;
  std::vector<Trainer> trainers_;
  std::vector<BatchCursor> cursors_;  // one per shard of the current cut
  int generation_ = 0;
  int num_shards_ = 0;
  bool membership_changed_ = false;  // since the last cut
  std::int64_t next_round_ = 0;
  double epochs_done_ = 0.0;
  bool resumed_ = false;
  std::int64_t train_size_ = 0;
  std::int64_t lost_examples_ = 0;
  std::vector<RoundTiming> timings_;
};

}  // namespace ist::actors
