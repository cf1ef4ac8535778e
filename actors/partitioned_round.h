// One IST round under partitioned ownership (cluster.model_owner = "partitioned"): the driver sends every
// owner and every ready trainer the round's plan inputs (a few hundred bytes each) and waits; the pieces of
// the model move peer to peer between owners and trainers (actors/shard_owner.h). Trainer p of the round
// trains subnet p, so the plan, the subnets and the merge are those of run_ist_round with S = trainers,
// bit for bit.
//
// A lost participant abandons the round: the others are told at once (they stop waiting for its pieces)
// and the round keeps what reached the owners by then, as a driver-owned round keeps the slices that came
// back. A lost owner's shard is then restored by the driver (owner_recovery.h).
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

struct PartitionedRoundResult {
  bool ran = false;               // false: an owner was already lost, and the round did not start
  std::vector<int> lost_owners;   // indices into owners, sorted: lost before or during the round
};

// Runs round `round` (0-based). `owners`: the trainers holding shards 0..O-1 (installed with
// TrainerBackend::install_shards). Fills the record's loss, bytes (the trainers' peer-to-peer bytes per
// worker; driver_bytes: the driver's own), live_workers, examples, and `timing`. Returns the owners that
// are lost: before the round (then it did not run; the caller restores them and runs it) or during it
// (then every participant lost is marked lost in the pool, and the round counts the trainers whose work
// was done). Errors: node_dead naming the owner when an owner is alive but
// still busy with a late call; a participant's failure other than being lost (e.g. a refused request);
// invalid_argument when a trainer sent NaN or inf with a finite loss.
Result<PartitionedRoundResult> run_partitioned_round(std::int64_t round, const LocalTrainingOptions& options,
                                                     int configured_subnets, const TrainingConfig& config,
                                                     TrainerBackend& backend, TrainerPool& pool,
                                                     const std::vector<TrainerId>& owners, RoundRecord& record,
                                                     RoundTiming& timing);

}  // namespace ist::actors
