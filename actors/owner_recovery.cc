#include "actors/owner_recovery.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "actors/shard_checkpoint.h"
#include "ist/model_shard.h"

namespace ist::actors {

Status restore_lost_owners(TrainerBackend& backend, const OwnerRestore& r, const TrainingConfig& config, Mlp& model,
                           RoundRecord& record) {
  if (r.new_owners.empty()) return Status::invalid_argument("no live trainer left to own the model");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<TrainerId>& owners = *r.owners;
  const int old_count = static_cast<int>(owners.size());
  if (model.widths() != config.widths) model = unfilled_model(config.widths);
  IST_RETURN_IF_ERROR(backend.gather_shards(owners, model, r.lost).with_context("gathering the surviving owners' shards"));
  // Where the lost neurons come from: the last checkpoint's model (assembled from its shard files, whatever
  // their number), else the initial one.
  const DriverCheckpoint* last = r.last_checkpoint;
  const bool from_checkpoint = last != nullptr && (!last->shards.empty() || !last->model.layers.empty());
  Result<Mlp> source = !from_checkpoint         ? make_mlp(config.widths, config.seed)
                       : last->shards.empty() ? Result<Mlp>(last->model)
                                              : assemble_checkpoint_model(*last);
  if (!source.ok()) {
    return source.status().with_context(from_checkpoint ? "reading the last checkpoint to restore a lost shard"
                                                        : "making the initial model to restore a lost shard");
  }
  for (int o : r.lost) {
    IST_ASSIGN_OR_RETURN(const ModelShard shard, cut_shard(*source, o, old_count));
    IST_RETURN_IF_ERROR(place_shard(shard, model));
  }
  source = Status::cancelled("released");  // one model resident again before the install
  IST_RETURN_IF_ERROR(backend.install_shards(r.new_owners, model).with_context("installing the restored model"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char detail[160];
  std::snprintf(detail, sizeof(detail), "%s; the model re-cut over %zu owner(s) in %.2f s",
                !from_checkpoint ? "no checkpoint yet" : last->shards.empty() ? "cut from the checkpoint's model" : "cut from the checkpoint's shard files", r.new_owners.size(), seconds);
  for (int o : r.lost) {
    record.events.push_back(RoundEvent{RoundEvent::Kind::kShardRestored, -1, o, 0,
                                       from_checkpoint ? last->next_round : 0, detail});
  }
  return Status::ok_status();
}

}  // namespace ist::actors
