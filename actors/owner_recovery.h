// Partitioned ownership after owners were lost (cluster.model_owner = "partitioned"): their shards come
// back and the run goes on. The model is gathered into the driver from the surviving owners; each lost
// shard is cut from the last checkpoint's model (its shard files assembled, or the model of a driver-owned
// checkpoint the run resumed from; the rounds since are lost for those neurons only) or,
// with no checkpoint yet, from the initial model (its neurons start over); then the model is cut anew over
// the live trainers, who own it from then on. The whole model passes through the driver once each way,
// as for an evaluation's gather, and the driver holds it (and the checkpoint's, while it is read) for the
// time of the restore: a model too large for the driver cannot be restored in the run (resume instead).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "actors/checkpoint.h"
#include "actors/trainer_backend.h"
#include "base/status.h"
#include "ist/mlp.h"
#include "ist/model_shard.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist::actors {

// Hears of trainers lost while the restore ran: given the trainers a gather or install that failed because
// a peer was gone involved, the trainers that can own the model now (the driver: its ready ones), or
// nullopt when no loss among them is heard of (the failure then ends the restore). Its errors (e.g. the
// driver's node declared dead, or stopping) end the restore with them.
using LossNews = std::function<Result<std::optional<std::vector<TrainerId>>>(const std::vector<TrainerId>& involved)>;

struct OwnerRestore {
  const std::vector<TrainerId>* owners = nullptr;      // the owners before the loss (owner o: shard o)
  std::vector<int> lost;                               // indices into owners, sorted
  std::vector<TrainerId> new_owners;                   // the live trainers that own the model from now on
  const DriverCheckpoint* last_checkpoint = nullptr;   // a manifest of owners' shard files, a model, or null
  // Shards lost owners handed over as their nodes left (by owner index, of the cut `owners` held): they
  // come back as they were, not from the checkpoint.
  std::map<int, ModelShard> handed_over;
  // Without it, a trainer lost during the restore ends it. With it: an owner lost during the gather is
  // restored like the others (from the checkpoint); a new owner lost during the install drops out and the
  // model (whole in the driver by then) is cut over the ones left.
  LossNews loss_news;
};

// Installs `model` cut over `owners` (TrainerBackend::install_shards); an owner lost meanwhile, as
// loss_news hears, drops out and the model is cut over the rest. Returns the owners it was installed over.
// Errors: node_dead (every one lost), the install's failure when it is no heard loss, or loss_news's.
Result<std::vector<TrainerId>> install_over_survivors(TrainerBackend& backend, std::vector<TrainerId> owners,
                                                      const Mlp& model, const LossNews& loss_news);

// Restores the lost shards into `model` (the driver's, filled by the gather) and installs the model cut
// over the new owners; returns them (r.new_owners less any lost on the way). One kShardRestored event per
// lost shard in `record`. Errors: invalid_argument (no live trainer left); node_dead (every new owner lost
// during the install); the gather's, the checkpoint's (its files unreadable or damaged), the install's
// (naming the owner) or loss_news's; the model is then not installed and the run cannot go on.
Result<std::vector<TrainerId>> restore_lost_owners(TrainerBackend& backend, const OwnerRestore& r,
                                                   const TrainingConfig& config, Mlp& model, RoundRecord& record);

}  // namespace ist::actors
