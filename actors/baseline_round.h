// The baselines' rounds (data parallel, local SGD): every trainer holds a replica and the trainers
// all-reduce among themselves peer to peer; the driver only starts rounds and fetches the model when it
// evaluates or checkpoints. The ring needs every member: a lost trainer ends a baseline run with an error.
#pragma once

#include <cstdint>

#include "actors/trainer_backend.h"
#include "actors/trainer_pool.h"
#include "base/status.h"
#include "ist/mlp.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist::actors {

// Gives every trainer of the pool (in start order: its rank) a replica of `model`. Errors: the first
// trainer's that failed, naming its rank.
Status setup_replicas(const TrainingConfig& config, TrainerBackend& backend, const TrainerPool& pool, const Mlp& model);

// Runs round `round` (0-based) of config.algorithm on every trainer. With want_model, `model` becomes
// rank 0's replica after the round. Errors: the first failed trainer's, naming it and the round.
Status run_baseline_round(std::int64_t round, const LocalTrainingOptions& options, bool want_model,
                          const TrainingConfig& config, TrainerBackend& backend, TrainerPool& pool, Mlp& model,
                          RoundRecord& record);

}  // namespace ist::actors
