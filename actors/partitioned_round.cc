#include "actors/partitioned_round.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "ist/subnet_groups.h"

namespace ist::actors {

Status run_partitioned_round(std::int64_t round, const LocalTrainingOptions& options, int configured_subnets,
                             const TrainingConfig& config,
                             TrainerBackend& backend, TrainerPool& pool, const std::vector<TrainerId>& owners,
                             RoundRecord& record, RoundTiming& timing) {
  const std::vector<PooledTrainer*> trainers = pool.ready();
  for (std::size_t o = 0; o < owners.size(); ++o) {
    const auto ready = std::find_if(trainers.begin(), trainers.end(), [&](const PooledTrainer* t) { return t->id == owners[o]; });
    if (ready == trainers.end()) {
      const auto owner = std::find_if(pool.all().begin(), pool.all().end(), [&](const PooledTrainer& t) { return t.id == owners[o]; });
      const std::string node = owner == pool.all().end() ? "?" : std::to_string(owner->node);
      return Status::node_dead("round " + std::to_string(round + 1) + ": the owner of shard " + std::to_string(o) +
                               " of the model (the trainer on node " + node +
                               ") is lost or late; with cluster.model_owner = \"partitioned\" its shard cannot be "
                               "restored in the run (resume from the last checkpoint)");
    }
  }
  const auto start = std::chrono::steady_clock::now();
  PartitionedWork work;
  work.round = round;
  work.seed = config.seed;
  work.widths = config.widths;
  work.scaling = config.scaling;
  work.options = options;
  work.owners = owners;
  for (PooledTrainer* t : trainers) {
    work.trainers.push_back(t->id);
    work.cursors.push_back(pool.cursor_of(*t));
  }
  work.subnets = subnets_for_round(configured_subnets, static_cast<int>(trainers.size()));
  const PartitionedOutcome outcome = backend.run_partitioned_round(work);
  timing.wait = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  double loss_sum = 0.0;
  double sent = 0.0;
  double received = 0.0;
  int non_finite_pieces = 0;
  // A lost participant's error names the round's failure (the others may only say they were not waited for).
  const auto is_lost = [](const Status& s) { return s.code() == ErrorCode::kNodeDead || s.code() == ErrorCode::kActorDied; };
  const auto first_error = [&](auto&& which) {
    for (std::size_t i = 0; i < outcome.participants.size(); ++i) {
      if (!outcome.replies[i].ok() && which(outcome.replies[i].status())) return i;
    }
    return outcome.participants.size();
  };
  std::size_t failed = first_error(is_lost);
  if (failed == outcome.participants.size()) failed = first_error([](const Status& s) { return s.code() != ErrorCode::kCancelled; });
  if (failed == outcome.participants.size()) failed = first_error([](const Status&) { return true; });
  if (failed < outcome.participants.size()) {
    const TrainerId id = outcome.participants[failed];
    const PooledTrainer& who =
        *std::find_if(pool.all().begin(), pool.all().end(), [&](const PooledTrainer& t) { return t.id == id; });
    const auto owner = std::find(owners.begin(), owners.end(), id);
    const std::string role = owner == owners.end() ? "the trainer on node " + std::to_string(who.node)
                                                   : "the owner of shard " + std::to_string(owner - owners.begin()) +
                                                         " of the model (on node " + std::to_string(who.node) + ")";
    const Status& why = outcome.replies[failed].status();
    const bool lost = is_lost(why);
    return why.with_context("partitioned round " + std::to_string(round + 1) + ", " + role +
                            (lost && owner != owners.end() ? " was lost during the round; its shard cannot be restored "
                                                             "in the run (resume from the last checkpoint)"
                                                           : ""));
  }
  for (std::size_t i = 0; i < outcome.participants.size(); ++i) {
    const Result<PartitionedRoundReply>& reply = outcome.replies[i];
    sent += static_cast<double>(reply->piece_bytes_sent);
    received += static_cast<double>(reply->piece_bytes_received);
    non_finite_pieces += reply->non_finite_pieces;
  }
  // Trainers come first among the participants, in position order: the loss sums as run_ist_round's does.
  for (std::size_t p = 0; p < trainers.size(); ++p) {
    const PartitionedRoundReply& reply = *outcome.replies[p];
    loss_sum += reply.mean_loss;
    pool.set_cursor(*trainers[p], from_wire(reply.cursor));
    record.examples_per_worker.push_back(trainers[p]->shard_size);
    timing.trainer_compute = std::max(timing.trainer_compute, reply.compute_seconds);
    timing.trainer_compute_sum += reply.compute_seconds;
  }
  const double losses = loss_sum / static_cast<double>(trainers.size());
  if (non_finite_pieces > 0 && std::isfinite(losses)) {
    return Status::invalid_argument("partitioned round " + std::to_string(round + 1) + ": " +
                                    std::to_string(non_finite_pieces) +
                                    " trained pieces held NaN or inf although every trainer's loss was finite");
  }
  const auto participants = static_cast<double>(outcome.participants.size());
  record.live_workers = static_cast<int>(trainers.size());
  record.subnets = work.subnets;
  record.compute_seconds = timing.trainer_compute;
  record.train_loss = losses;
  record.bytes_sent_per_worker = sent / participants;
  record.bytes_received_per_worker = received / participants;
  record.driver_bytes = static_cast<double>(outcome.driver_bytes_sent + outcome.driver_bytes_received);
  return Status::ok_status();
}

}  // namespace ist::actors
