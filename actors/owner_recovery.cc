#include "actors/owner_recovery.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "actors/shard_checkpoint.h"
#include "ist/model_shard.h"

namespace ist::actors {

namespace {

template <typename T>
bool contains(const std::vector<T>& values, T value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Whether `failed` (from a call to every one of `involved`) is a loss one can go on past: the news says
// who is alive now, and at least one of `involved` is not. nullopt: it cannot (no news, or no loss).
Result<std::optional<std::vector<TrainerId>>> alive_after(const LossNews& loss_news, const Status& failed,
                                                          const std::vector<TrainerId>& involved) {
  if (!loss_news || !is_peer_lost(failed.code())) return std::optional<std::vector<TrainerId>>();
  IST_ASSIGN_OR_RETURN(std::optional<std::vector<TrainerId>> alive, loss_news(involved));
  if (!alive) return alive;
  const bool one_lost = std::any_of(involved.begin(), involved.end(), [&](TrainerId id) { return !contains(*alive, id); });
  if (!one_lost) return std::optional<std::vector<TrainerId>>();
  return alive;
}

}  // namespace

Result<std::vector<TrainerId>> install_over_survivors(TrainerBackend& backend, std::vector<TrainerId> owners,
                                                      const Mlp& model, const LossNews& loss_news) {
  for (;;) {
    if (owners.empty()) return Status::node_dead("every trainer was lost while the model was installed");
    const Status installed = backend.install_shards(owners, model);
    if (installed.ok()) return owners;
    IST_ASSIGN_OR_RETURN(const std::optional<std::vector<TrainerId>> alive, alive_after(loss_news, installed, owners));
    if (!alive) return installed;
    std::erase_if(owners, [&](TrainerId id) { return !contains(*alive, id); });
  }
}

Result<std::vector<TrainerId>> restore_lost_owners(TrainerBackend& backend, const OwnerRestore& r,
                                                   const TrainingConfig& config, Mlp& model, RoundRecord& record) {
  if (r.new_owners.empty()) return Status::invalid_argument("no live trainer left to own the model");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<TrainerId>& owners = *r.owners;
  const int old_count = static_cast<int>(owners.size());
  std::vector<int> lost = r.lost;
  std::vector<TrainerId> new_owners = r.new_owners;
  if (model.widths() != config.widths) model = unfilled_model(config.widths);
  // The survivors' shards; an owner lost meanwhile joins the lost (each pass loses one more: this ends).
  for (;;) {
    const Status gathered = backend.gather_shards(owners, model, lost);
    if (gathered.ok()) break;
    std::vector<TrainerId> asked;
    for (int o = 0; o < old_count; ++o) {
      if (!contains(lost, o)) asked.push_back(owners[static_cast<std::size_t>(o)]);
    }
    IST_ASSIGN_OR_RETURN(const std::optional<std::vector<TrainerId>> alive, alive_after(r.loss_news, gathered, asked));
    if (!alive) return gathered.with_context("gathering the surviving owners' shards");
    for (int o = 0; o < old_count; ++o) {
      if (!contains(*alive, owners[static_cast<std::size_t>(o)]) && !contains(lost, o)) lost.push_back(o);
    }
    std::sort(lost.begin(), lost.end());
    std::erase_if(new_owners, [&](TrainerId id) { return !contains(*alive, id); });
  }
  // Where the lost neurons come from: the last checkpoint's model (assembled from its shard files, whatever
  // their number), else the initial one.
  // A shard its owner handed over as it left comes back as it was (when it is of this cut).
  std::vector<int> handed_over;
  for (int o : lost) {
    auto it = r.handed_over.find(o);
    if (it == r.handed_over.end() || it->second.owner != o || it->second.owners != old_count) continue;
    if (!place_shard(it->second, model).ok()) continue;  // not of this model's shapes: restored as the others
    handed_over.push_back(o);
  }
  const DriverCheckpoint* last = r.last_checkpoint;
  const bool from_checkpoint = last != nullptr && (!last->shards.empty() || !last->model.layers.empty());
  if (handed_over.size() < lost.size()) {
    Result<Mlp> source = !from_checkpoint         ? make_mlp(config.widths, config.seed)
                         : last->shards.empty() ? Result<Mlp>(last->model)
                                                : assemble_checkpoint_model(*last);
    if (!source.ok()) {
      return source.status().with_context(from_checkpoint ? "reading the last checkpoint to restore a lost shard"
                                                          : "making the initial model to restore a lost shard");
    }
    for (int o : lost) {
      if (contains(handed_over, o)) continue;
      IST_ASSIGN_OR_RETURN(const ModelShard shard, cut_shard(*source, o, old_count));
      IST_RETURN_IF_ERROR(place_shard(shard, model));
    }
  }  // the source model is released here: one model resident again before the install
  // The whole model is in `model` now: a new owner lost during the install drops out, and the model is cut
  // over the ones left.
  Result<std::vector<TrainerId>> installed = install_over_survivors(backend, std::move(new_owners), model, r.loss_news);
  if (!installed.ok()) return installed.status().with_context("installing the restored model");
  new_owners = std::move(installed).value();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int o : lost) {
    const bool was_handed_over = contains(handed_over, o);
    char detail[160];
    std::snprintf(detail, sizeof(detail), "%s; the model re-cut over %zu owner(s) in %.2f s",
                  was_handed_over     ? "nothing lost"
                  : !from_checkpoint  ? "no checkpoint yet"
                  : last->shards.empty() ? "cut from the checkpoint's model"
                                         : "cut from the checkpoint's shard files",
                  new_owners.size(), seconds);
    const std::int64_t round = was_handed_over ? -1 : from_checkpoint ? last->next_round : 0;
    record.events.push_back(RoundEvent{RoundEvent::Kind::kShardRestored, -1, o, 0, round, detail});
  }
  return new_owners;
}

}  // namespace ist::actors
