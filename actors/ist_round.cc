#include "actors/ist_round.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ist/partition.h"
#include "ist/slice.h"
#include "ist/subnet_groups.h"

namespace ist::actors {

namespace {
using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::vector<int> hidden_widths(const std::vector<int>& widths) { return {widths.begin() + 1, widths.end() - 1}; }
}  // namespace

Status run_ist_round(std::int64_t round, const LocalTrainingOptions& options, int configured_subnets, const TrainingConfig& config,
                     std::chrono::milliseconds round_deadline, TrainerBackend& backend, TrainerPool& pool,
                     const BeforeSend& before_send, const std::function<void()>& before_merge, Mlp& model,
                     RoundRecord& record, RoundTiming& timing) {
  const std::vector<PooledTrainer*> trainers = pool.ready();
  if (trainers.empty()) return Status::node_dead("no trainer is free to take a slice in round " + std::to_string(round + 1));
  const int positions = static_cast<int>(trainers.size());
  const int subnets = subnets_for_round(configured_subnets, positions);
  auto t = SteadyClock::now();
  IST_ASSIGN_OR_RETURN(SubnetPlan plan, make_partition(hidden_widths(config.widths), subnets, config.seed, round));
  timing.partition = seconds_since(t);

  // Pipelined: trainer s's slice is cut into its frames and sent before trainer s+1's is cut, so the first
  // trainers start computing while the driver still slices for the others. Trainer s trains subnet
  // s mod S (subnet_groups.h).
  std::vector<bool> sent(static_cast<std::size_t>(positions), false);
  double bytes_to_trainers = 0.0;
  for (int s = 0; s < positions; ++s) {
    PooledTrainer& trainer = *trainers[static_cast<std::size_t>(s)];
    if (before_send) {
      if (Status ready = before_send(s, trainer, record); !ready.ok()) {
        pool.lose(trainer, ready, record);
        continue;
      }
    }
    t = SteadyClock::now();
    const IstWork work{round, subnet_of_trainer(s, subnets), &model, &plan, config.scaling, options, pool.cursor_of(trainer)};
    bytes_to_trainers += static_cast<double>(backend.send_ist(trainer.id, work));
    sent[static_cast<std::size_t>(s)] = true;
    timing.extract_and_encode += seconds_since(t);
  }

  // Each reply is read as soon as it is in, while the later ones are still on their way.
  std::vector<TrainedSlice> trained;
  trained.reserve(static_cast<std::size_t>(positions));
  double loss_sum = 0.0;
  double bytes_from_trainers = 0.0;
  double decode_seconds = 0.0;
  int diverged = 0;  // slices not merged because their trainer's loss diverged
  for (int s = 0; s < positions; ++s) {
    if (!sent[static_cast<std::size_t>(s)]) continue;
    PooledTrainer& trainer = *trainers[static_cast<std::size_t>(s)];
    t = SteadyClock::now();
    Result<TrainedSlice> outcome = backend.collect_ist(trainer.id);
    timing.wait += seconds_since(t);
    t = SteadyClock::now();
    if (!outcome.ok() && outcome.status().code() == ErrorCode::kTimeout) {
      // A straggler: its slice keeps its start-of-round values; it stays for the next rounds.
      record.events.push_back(RoundEvent{RoundEvent::Kind::kSliceLate, s, trainer.shard, trainer.node,
                                         static_cast<std::int64_t>(round_deadline.count()), ""});
      continue;
    }
    if (outcome.ok()) {
      if (Status fits = check_slice_view(model, plan, outcome->slice); !fits.ok()) outcome = fits;
    }
    if (outcome.ok()) {
      if (const auto bad = first_non_finite(outcome->slice)) {
        // Never merged. A trainer whose own loss diverged too reports it (the run then fails naming the
        // divergence); one that claims a finite loss with a non-finite slice is lost, like a garbled reply.
        if (!std::isfinite(outcome->mean_loss)) {
          loss_sum += outcome->mean_loss;
          ++diverged;
          continue;
        }
        outcome = Status::invalid_argument("its slice holds a NaN or infinite value (" + *bad + "): not merged");
      }
    }
    if (!outcome.ok()) {
      const Status& why = outcome.status();
      const bool garbled = why.code() == ErrorCode::kDecodeFailure || why.code() == ErrorCode::kInvalidArgument;
      pool.lose(trainer, garbled ? why.with_context("undecodable reply") : why, record);
      continue;
    }
    bytes_from_trainers += static_cast<double>(outcome->bytes);
    record.examples_per_worker.push_back(trainer.shard_size);
    pool.set_cursor(trainer, outcome->cursor);
    loss_sum += outcome->mean_loss;
    timing.trainer_compute = std::max(timing.trainer_compute, outcome->compute_seconds);
    timing.trainer_decode = std::max(timing.trainer_decode, outcome->decode_seconds);
    timing.trainer_compute_sum += outcome->compute_seconds;
    trained.push_back(std::move(outcome).value());
    decode_seconds += seconds_since(t);
  }
  std::vector<SliceView> returned;
  for (const TrainedSlice& slice : trained) returned.push_back(slice.slice);
  if (before_merge) before_merge();
  const auto merge_start = SteadyClock::now();
  // A lost or late group member costs only its own contribution: the group averages those that returned.
  IST_ASSIGN_OR_RETURN(GroupedSlices grouped, average_groups(model, plan, returned));
  IST_RETURN_IF_ERROR(merge_slice_views(model, plan, grouped.views));
  timing.merge = seconds_since(merge_start);
  timing.decode_and_merge = decode_seconds + timing.merge;

  const auto survivors = static_cast<double>(trained.size());
  record.live_workers = static_cast<int>(trained.size());
  record.subnets = subnets;
  record.compute_seconds = timing.trainer_compute;
  if (survivors + diverged > 0) record.train_loss = loss_sum / (survivors + diverged);
  record.bytes_received_per_worker = bytes_to_trainers / positions;
  record.bytes_sent_per_worker = survivors > 0 ? bytes_from_trainers / survivors : 0.0;
  return Status::ok_status();
}

}  // namespace ist::actors
