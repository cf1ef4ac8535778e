// One IST round under partitioned ownership (cluster.model_owner = "partitioned"): the driver sends every
// owner and every ready trainer the round's plan inputs (a few hundred bytes each) and waits; the pieces of
// the model move peer to peer between owners and trainers (actors/shard_owner.h). Trainer p of the round
// trains subnet p, so the plan, the subnets and the merge are those of run_ist_round with S = trainers,
// bit for bit.
//
// What is not done yet: a lost or late owner fails the run with a named error (its shard is not restored
// here; resume from the last checkpoint instead).
#pragma once

#include <cstdint>
#include <vector>

#include "actors/ist_round.h"
#include "actors/trainer_backend.h"
#include "actors/trainer_pool.h"
#include "base/status.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist::actors {

// Runs round `round` (0-based). `owners`: the trainers holding shards 0..O-1 (installed with
// TrainerBackend::install_shards). Fills the record's loss, bytes (the trainers' peer-to-peer bytes per
// worker; driver_bytes: the driver's own), live_workers, examples, and `timing`. Errors: node_dead naming
// the owner when an owner is lost (before or during the round) or still busy with a late call; else the
// first participant's failure;
// invalid_argument when a trainer sent NaN or inf with a finite loss.
Status run_partitioned_round(std::int64_t round, const LocalTrainingOptions& options, int configured_subnets,
                             const TrainingConfig& config,
                             TrainerBackend& backend, TrainerPool& pool, const std::vector<TrainerId>& owners,
                             RoundRecord& record, RoundTiming& timing);

}  // namespace ist::actors
