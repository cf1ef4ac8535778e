// One IST round over the pool's ready trainers: partition the hidden neurons into S subnets (one per
// trainer by default; with algorithm.subnets = S < trainers, trainer i takes subnet i mod S), send each
// trainer its slice as soon as it is cut (pipelined), collect the trained slices as they come back,
// average each group's slices (subnet_groups.h) and merge them. A lost trainer's slice (its work failed) and a late one (past the round deadline)
// keep their start-of-round values; the lost trainer leaves the pool, the late one stays and sits out
// until it is done (TrainerPool::ready()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "actors/trainer_backend.h"
#include "actors/trainer_pool.h"
#include "base/status.h"
#include "ist/mlp.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist::actors {

// Where the time of one round went, as seen by the driver (IST), for the round-breakdown benchmark.
struct RoundTiming {
  double partition = 0.0;              // driver: the plan
  double extract_and_encode = 0.0;     // driver: slices cut straight into their frames, and sent
  double wait = 0.0;                   // driver: from the first send to the last reply
  double trainer_compute = 0.0;        // max over trainers of their training time
  double trainer_compute_sum = 0.0;    // sum over trainers of their training time (vs. max: overlap)
  double trainer_decode = 0.0;         // max over trainers of their frame decoding time
  double decode_and_merge = 0.0;       // driver: replies into views, merge
  double merge = 0.0;                  // driver: the merge alone (part of decode_and_merge)
  double evaluate = 0.0;
};

// Called before trainer `trainer`, at `position` among the round's trainers (its subnet when S = W), is
// sent its work (the driver arms scripted faults here).
// An error loses the trainer for the run; its slice keeps its values.
using BeforeSend = std::function<Status(int position, const PooledTrainer& trainer, RoundRecord& record)>;

// Runs round `round` (0-based) of IST on `model` with `subnets` subnets (0: one per trainer; at most one
// per trainer). Fills the record's loss, bytes, live_workers (slices
// that returned and were averaged or merged) and events, and `timing`. Errors: node_dead when no trainer is free, a merge failure.
// round_deadline is only named in late-slice events (the backend enforces it). `before_merge` (may be
// empty) is called once the replies are in, before the first write to `model`; until then it is only read.
Status run_ist_round(std::int64_t round, const LocalTrainingOptions& options, int subnets, const TrainingConfig& config,
                     std::chrono::milliseconds round_deadline, TrainerBackend& backend, TrainerPool& pool,
                     const BeforeSend& before_send, const std::function<void()>& before_merge, Mlp& model,
                     RoundRecord& record, RoundTiming& timing);

}  // namespace ist::actors
