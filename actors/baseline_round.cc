#include "actors/baseline_round.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ist::actors {

Status setup_replicas(const TrainingConfig& config, TrainerBackend& backend, const TrainerPool& pool, const Mlp& model) {
  std::vector<TrainerId> ring;
  for (const PooledTrainer& t : pool.all()) ring.push_back(t.id);
  return backend.setup_replicas(ring, model, config.sgd.momentum, config.sgd.weight_decay);
}

Status run_baseline_round(std::int64_t round, const LocalTrainingOptions& options, bool want_model,
                          const TrainingConfig& config, TrainerBackend& backend, TrainerPool& pool, Mlp& model,
                          RoundRecord& record) {
  const std::vector<PooledTrainer>& ring = pool.all();
  std::vector<BaselineWork> work;
  for (std::size_t rank = 0; rank < ring.size(); ++rank) {
    BaselineRoundRequest request{round, algorithm_name(config.algorithm), to_wire(options),
                                 to_wire(pool.cursor_of(ring[rank])), want_model && rank == 0};
    work.push_back(BaselineWork{ring[rank].id, request});
  }
  std::vector<Result<BaselineOutcome>> outcomes = backend.run_baseline_round(work);
  double loss_sum = 0.0;
  double ring_bytes = 0.0;
  for (std::size_t rank = 0; rank < ring.size(); ++rank) {
    Result<BaselineOutcome>& outcome = outcomes[rank];
    // The ring needs every member: a baseline cannot continue without one (IST can).
    if (!outcome.ok()) {
      return outcome.status().with_context("trainer " + std::to_string(rank) + " in round " + std::to_string(round + 1));
    }
    pool.set_cursor(ring[rank], outcome->cursor);
    record.examples_per_worker.push_back(ring[rank].shard_size);
    loss_sum += outcome->mean_loss;
    ring_bytes += static_cast<double>(outcome->ring_bytes_sent);
    record.compute_seconds = std::max(record.compute_seconds, outcome->compute_seconds);
    if (rank == 0 && want_model) {
      if (!outcome->model) return Status::decode_failure("rank 0 did not return the model in round " + std::to_string(round + 1));
      model = std::move(*outcome->model);
    }
  }
  const auto workers = static_cast<double>(ring.size());
  record.live_workers = static_cast<int>(ring.size());
  record.train_loss = loss_sum / workers;
  record.bytes_sent_per_worker = ring_bytes / workers;
  record.bytes_received_per_worker = ring_bytes / workers;  // a ring receives what it sends
  return Status::ok_status();
}

}  // namespace ist::actors
