// The driver: central owner of the full model. It spawns one SubnetTrainer per worker (each loads only
// its shard), then runs rounds. IST: partition over the live trainers, send every trainer its slice at
// once, gather, merge, average the shared output bias. Baselines: the trainers hold replicas and all-reduce
// among themselves peer to peer; the driver only starts rounds and fetches the model to evaluate.
// Every E rounds the driver evaluates on the test set; every round it emits one RoundRecord.
//
// A trainer whose call fails (its node died, the actor died, the round deadline passed) is dropped: its
// slice keeps its start-of-round values, the survivors' slices are merged, and the next round partitions
// over the survivors. The failure is an event in that round's record.
//
// Runs on the thread that calls run(), through any ActorContext (a node's client context, or an actor's).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/wire.h"
#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/reference.h"
#include "ist/training_config.h"
#include "runtime/actor.h"

namespace ist::actors {

struct DriverOptions {
  TrainingConfig training;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  std::chrono::milliseconds spawn_deadline{60000};   // a trainer must load its shard within this
  std::chrono::milliseconds round_deadline{300000};  // a trainer's reply must arrive within this
  int min_workers = 1;  // run() fails when fewer live trainers than this are left
};

// Where the time of one round went, as seen by the driver (IST) — for the round-breakdown benchmark.
struct RoundTiming {
  double partition_and_extract = 0.0;  // driver: plan + slicing
  double encode = 0.0;                 // driver: slices into frames
  double wait = 0.0;                   // driver: from the first send to the last reply
  double trainer_compute = 0.0;        // max over trainers of their training time
  double trainer_decode = 0.0;         // max over trainers of their frame decoding time
  double trainer_compute_sum = 0.0;    // sum over trainers of their training time (vs. max: overlap)
  double decode_and_merge = 0.0;       // driver: replies into slices, merge
  double merge = 0.0;                  // driver: the merge alone (part of decode_and_merge)
  double evaluate = 0.0;
};

class Driver {
 public:
  // `test` is the test set as loaded; the driver standardizes it like the trainers standardize their shards.
  Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test);

  // Spawns trainer w (w < training.workers) on nodes[w % nodes.size()] and waits for all to load their
  // shards. Errors: invalid_argument (config, no nodes), or the first spawn failure (naming the shard).
  Status start(const std::vector<rt::NodeId>& nodes);

  // Runs the configured rounds (or until the target accuracy). Errors: invalid_argument (data that does
  // not fit the widths), unavailable trainers (every trainer lost), or a merge failure.
  Result<RunResult> run(const RoundCallback& on_round = {});

  const std::vector<RoundTiming>& timings() const { return timings_; }
  // The number of rounds run() will take (known after start(): it depends on the shards' sizes).
  std::int64_t planned_rounds() const { return total_rounds(options_.training, train_size_); }

 private:
  struct Trainer {
    rt::ActorHandle handle;
    int shard = 0;
    BatchCursor cursor;
    bool alive = true;
  };

  Status run_ist_round(std::int64_t round, const LocalTrainingOptions& options, RoundRecord& record,
                       RoundTiming& timing);
  Status setup_replicas();
  Status run_baseline_round(std::int64_t round, const LocalTrainingOptions& options, bool want_model,
                            RoundRecord& record);
  std::vector<Trainer*> live_trainers();
  void lose_trainer(Trainer& trainer, const Status& why, RoundRecord& record);

  rt::ActorContext& ctx_;
  DriverOptions options_;
  Dataset test_;
  Mlp model_;
  std::vector<Trainer> trainers_;
  std::int64_t train_size_ = 0;
  std::vector<RoundTiming> timings_;
};

}  // namespace ist::actors
