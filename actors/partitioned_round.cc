#include "actors/partitioned_round.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "ist/subnet_groups.h"

namespace ist::actors {

namespace {

bool is_lost(const Status& s) { return is_peer_lost(s.code()); }

}  // namespace

Result<PartitionedRoundResult> run_partitioned_round(std::int64_t round, const LocalTrainingOptions& options,
                                                     int configured_subnets, const TrainingConfig& config,
                                                     TrainerBackend& backend, TrainerPool& pool,
                                                     const std::vector<TrainerId>& owners, RoundRecord& record,
                                                     RoundTiming& timing) {
  const std::vector<PooledTrainer*> trainers = pool.ready();
  PartitionedRoundResult result;
  std::vector<int>& lost_owners = result.lost_owners;
  for (std::size_t o = 0; o < owners.size(); ++o) {
    const auto ready = std::find_if(trainers.begin(), trainers.end(), [&](const PooledTrainer* t) { return t->id == owners[o]; });
    if (ready != trainers.end()) continue;
    const PooledTrainer& owner = pool.trainer(owners[o]);
    if (!owner.alive) {
      lost_owners.push_back(static_cast<int>(o));
      continue;
    }
    return Status::node_dead("round " + std::to_string(round + 1) + ": the owner of shard " + std::to_string(o) +
                             " of the model (the trainer on node " + std::to_string(owner.node) +
                             ") is still busy with a late call; with cluster.model_owner = \"partitioned\" the "
                             "round cannot go on without its shard");
  }
  if (!lost_owners.empty()) return result;
  result.ran = true;
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
  int counted = 0;
  // A lost participant abandons the round (the others answer kCancelled); any other failure is the run's.
  const bool any_lost = std::any_of(outcome.replies.begin(), outcome.replies.end(),
                                    [](const auto& r) { return !r.ok() && is_lost(r.status()); });
  // The failure to tell: the first that is neither a loss nor a cancellation (the others were cancelled
  // because of it); without a loss, a cancellation if nothing else.
  const auto first_failure = [&](auto&& which) {
    for (std::size_t i = 0; i < outcome.participants.size(); ++i) {
      if (!outcome.replies[i].ok() && !is_lost(outcome.replies[i].status()) && which(outcome.replies[i].status())) return i;
    }
    return outcome.participants.size();
  };
  std::size_t failed = first_failure([](const Status& s) { return s.code() != ErrorCode::kCancelled; });
  if (failed == outcome.participants.size() && !any_lost) failed = first_failure([](const Status&) { return true; });
  if (failed < outcome.participants.size()) {
    const TrainerId id = outcome.participants[failed];
    const PooledTrainer& who = pool.trainer(id);
    const auto owner = std::find(owners.begin(), owners.end(), id);
    const std::string role = owner == owners.end() ? "the trainer on node " + std::to_string(who.node)
                                                   : "the owner of shard " + std::to_string(owner - owners.begin()) +
                                                         " of the model (on node " + std::to_string(who.node) + ")";
    return outcome.replies[failed].status().with_context("partitioned round " + std::to_string(round + 1) + ", " + role);
  }
  for (std::size_t i = 0; i < outcome.participants.size(); ++i) {
    const Result<PartitionedRoundReply>& reply = outcome.replies[i];
    if (reply.ok()) {
      sent += static_cast<double>(reply->piece_bytes_sent);
      received += static_cast<double>(reply->piece_bytes_received);
      non_finite_pieces += reply->non_finite_pieces;
      continue;
    }
    if (!is_lost(reply.status())) continue;
    for (PooledTrainer* t : pool.live()) {
      if (t->id == outcome.participants[i]) pool.lose(*t, reply.status(), record);
    }
    const auto owner = std::find(owners.begin(), owners.end(), outcome.participants[i]);
    if (owner != owners.end()) lost_owners.push_back(static_cast<int>(owner - owners.begin()));
  }
  std::sort(lost_owners.begin(), lost_owners.end());
  // Trainers come first among the participants, in position order: the loss sums as run_ist_round's does.
  // A trainer whose round was abandoned did not count (its data cursor stays: it replays those batches).
  for (std::size_t p = 0; p < trainers.size(); ++p) {
    if (!outcome.replies[p].ok()) continue;
    const PartitionedRoundReply& reply = *outcome.replies[p];
    ++counted;
    loss_sum += reply.mean_loss;
    pool.set_cursor(*trainers[p], from_wire(reply.cursor));
    record.examples_per_worker.push_back(trainers[p]->shard_size);
    timing.trainer_compute = std::max(timing.trainer_compute, reply.compute_seconds);
    timing.trainer_compute_sum += reply.compute_seconds;
  }
  const double losses = counted > 0 ? loss_sum / static_cast<double>(counted) : 0.0;
  if (non_finite_pieces > 0 && (counted == 0 || std::isfinite(losses))) {
    return Status::invalid_argument("partitioned round " + std::to_string(round + 1) + ": " +
                                    std::to_string(non_finite_pieces) +
                                    " trained pieces held NaN or inf although every trainer's loss was finite");
  }
  const auto participants = static_cast<double>(outcome.participants.size());
  record.live_workers = counted;
  record.subnets = work.subnets;
  record.compute_seconds = timing.trainer_compute;
  if (counted > 0) record.train_loss = losses;
  record.bytes_sent_per_worker = sent / participants;
  record.bytes_received_per_worker = received / participants;
  record.driver_bytes = static_cast<double>(outcome.driver_bytes_sent + outcome.driver_bytes_received);
  return result;
}

}  // namespace ist::actors
