#include "actors/trainer_pool.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "actors/trainer_placement.h"
#include "ist/random.h"

namespace ist::actors {

TrainerPool::TrainerPool(TrainerBackend& backend, const TrainingConfig& training, PoolOptions options)
    : backend_(backend), training_(training), options_(std::move(options)) {}

void TrainerPool::restore(PoolState state) {
  state_ = std::move(state);
  restored_ = true;
}

PoolState TrainerPool::state() const { return state_; }

TrainerSpec TrainerPool::spec_for(int shard, int num_shards) const {
  TrainerSpec spec;
  spec.data = to_wire(options_.data);
  spec.shard = shard;
  spec.num_shards = num_shards;
  spec.shard_policy = shard_policy_name(training_.shard_policy);
  spec.shard_seed = training_.seed;
  spec.classes = training_.widths.back();
  if (training_.standardize == Standardize::kGiven) {
    spec.input_mean = training_.input_mean;
    spec.input_std = training_.input_std;
    spec.feature_mean = training_.feature_mean;
    spec.feature_std = training_.feature_std;
  }  // else loaded as they are (mean 0, std 1), to be measured (measure_standardization)
  if (workers_own_data(options_.data)) {  // each trainer finds its node's own file (hosted_data.h), whole
    spec.shard = 0;
    spec.num_shards = 1;
  } else if (per_worker_files(options_.data)) {
    // Worker w's own files, whole: data that was never pooled is never cut either.
    spec.data.path = file_of_worker(options_.data.path, shard);
    spec.data.labels_path = file_of_worker(options_.data.labels_path, shard);
    spec.shard = 0;
    spec.num_shards = 1;
  }
  return spec;
}

BatchCursor TrainerPool::fresh_cursor(int shard) const {
  const std::uint64_t seed = training_.seed;
  // The first cut uses the reference's seeds, so an undisturbed run equals run_reference bit for bit.
  if (state_.generation == 0) return BatchCursor{batch_seed_for_shard(seed, shard), 0, 0};
  return BatchCursor{derive_seed(seed, {kSeedBatchOrder, static_cast<std::uint64_t>(shard),
                                        static_cast<std::uint64_t>(state_.generation)}),
                     0, 0};
}

Status TrainerPool::start(const std::vector<rt::NodeId>& nodes) {
  if (nodes.empty()) return Status::invalid_argument("no worker nodes to place trainers on");
  if (!restored_) {
    state_.num_shards = training_.workers;
    for (int s = 0; s < state_.num_shards; ++s) state_.cursors.push_back(fresh_cursor(s));
  }
  // Start all trainers at once (each loads its shard in parallel), then check them in order.
  std::vector<TrainerPlacement> placements;
  for (int w = 0; w < training_.workers; ++w) {
    placements.push_back(TrainerPlacement{nodes[static_cast<std::size_t>(w) % nodes.size()],
                                          spec_for(w % state_.num_shards, state_.num_shards)});
  }
  const std::vector<Result<StartedTrainer>> started = backend_.start_trainers(placements);
  train_size_ = state_.lost_examples;
  for (int w = 0; w < training_.workers; ++w) {
    const Result<StartedTrainer>& t = started[static_cast<std::size_t>(w)];
    if (!t.ok()) return t.status().with_context("starting the trainer of shard " + std::to_string(w));
    if (t->shard_size < training_.batch_size) {
      return Status::invalid_argument("shard " + std::to_string(w) + " holds " + std::to_string(t->shard_size) +
                                      " examples, fewer than one batch of " + std::to_string(training_.batch_size));
    }
    trainers_.push_back(PooledTrainer{t->id, t->node, w % state_.num_shards, t->shard_size, true});
    if (w < state_.num_shards) train_size_ += t->shard_size;
  }
  // A resumed run whose cut had another number of shards re-cuts before its first round.
  membership_changed_ = state_.num_shards != training_.workers;
  return measure_standardization();
}

Status TrainerPool::measure_standardization() {
  if (training_.standardize == Standardize::kGiven) return Status::ok_status();
  // The parts in shard order, as the reference combines its shards: the first num_shards trainers.
  std::vector<TrainerId> measured;
  for (int s = 0; s < state_.num_shards && s < static_cast<int>(trainers_.size()); ++s) {
    measured.push_back(trainers_[static_cast<std::size_t>(s)].id);
  }
  std::vector<FeatureMoments> parts;
  const std::vector<Result<FeatureMoments>> moments = backend_.shard_moments(measured);
  for (std::size_t s = 0; s < moments.size(); ++s) {
    if (!moments[s].ok()) return moments[s].status().with_context("measuring the standardization on shard " + std::to_string(s));
    parts.push_back(*moments[s]);
  }
  IST_ASSIGN_OR_RETURN(FeatureMoments total, combine_moments(parts));
  apply_measured_standardization(training_, total);
  IST_RETURN_IF_ERROR(validate(training_).with_context("the measured standardization"));
  // Every trainer reloads its shard, standardized.
  std::vector<std::pair<TrainerId, TrainerSpec>> loads;
  for (const PooledTrainer& t : trainers_) loads.emplace_back(t.id, spec_for(t.shard, state_.num_shards));
  const std::vector<Result<std::int64_t>> sizes = backend_.load_shards(loads);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (!sizes[i].ok()) {
      return sizes[i].status().with_context("standardizing the shard of trainer " + std::to_string(i));
    }
  }
  return Status::ok_status();
}

std::vector<PooledTrainer*> TrainerPool::live() {
  std::vector<PooledTrainer*> live;
  for (PooledTrainer& t : trainers_) {
    if (t.alive) live.push_back(&t);
  }
  return live;
}

std::vector<PooledTrainer*> TrainerPool::ready() {
  std::vector<PooledTrainer*> ready;
  for (PooledTrainer* t : live()) {
    if (!backend_.busy(t->id)) ready.push_back(t);
  }
  return ready;
}

void TrainerPool::lose(PooledTrainer& trainer, const Status& why, RoundRecord& record) {
  if (!trainer.alive) return;
  trainer.alive = false;
  membership_changed_ = true;
  RoundEvent lost{RoundEvent::Kind::kTrainerLost, -1, trainer.shard, trainer.node, 0, why.to_string()};
  record.events.push_back(lost);
  if (options_.placement == "private") {
    state_.lost_examples += trainer.shard_size;
    char share[32];
    std::snprintf(share, sizeof(share), "%.1f%%",
                  100.0 * static_cast<double>(trainer.shard_size) / static_cast<double>(train_size_));
    record.events.push_back(
        RoundEvent{RoundEvent::Kind::kPrivateShardLost, -1, trainer.shard, trainer.node, trainer.shard_size, share});
  }
}

BatchCursor TrainerPool::cursor_of(const PooledTrainer& trainer) const {
  return state_.cursors[static_cast<std::size_t>(trainer.shard)];
}

void TrainerPool::set_cursor(const PooledTrainer& trainer, const BatchCursor& cursor) {
  state_.cursors[static_cast<std::size_t>(trainer.shard)] = cursor;
}

Status TrainerPool::add_trainer_on(rt::NodeId node, RoundRecord& record) {
  if (options_.placement == "private") {
    record.events.push_back(RoundEvent{RoundEvent::Kind::kJoinNotUsed, -1, -1, node, 0, ""});
    return Status::ok_status();
  }
  // Shard 0 of the current cut for now: the re-cut before the next round gives it its own.
  const std::vector<Result<StartedTrainer>> started =
      backend_.start_trainers({TrainerPlacement{node, spec_for(0, state_.num_shards)}});
  if (!started.front().ok()) {
    record.events.push_back(RoundEvent{RoundEvent::Kind::kJoinFailed, -1, -1, node, 0, started.front().status().to_string()});
    return Status::ok_status();
  }
  trainers_.push_back(PooledTrainer{started.front()->id, node, 0, started.front()->shard_size, true});
  membership_changed_ = true;
  record.events.push_back(RoundEvent{RoundEvent::Kind::kTrainerJoined, -1, -1, node, 0, ""});
  return Status::ok_status();
}

bool TrainerPool::may_host(rt::NodeId node) const {
  const std::vector<rt::NodeId>& only = options_.only_nodes;
  return only.empty() || std::find(only.begin(), only.end(), node) != only.end();
}

Status TrainerPool::admit_membership_events(RoundRecord& record, rt::Deadline wait_until, int joins_wanted) {
  if (!backend_.watches_membership()) {
    if (joins_wanted > 0) return Status::invalid_argument("waiting for joins needs a membership subscription");
    return Status::ok_status();
  }
  // Joins held back while a round waited for news of a loss come first.
  while (!deferred_joins_.empty()) {
    const rt::MembershipEvent event = std::move(deferred_joins_.front());
    deferred_joins_.pop_front();
    IST_RETURN_IF_ERROR(take_in(event, record, joins_wanted, false));
  }
  for (;;) {
    auto event = backend_.next_membership_event(joins_wanted > 0 ? wait_until : rt::Clock::now());
    if (!event.ok()) return event.status().code() == ErrorCode::kCancelled ? event.status() : Status::ok_status();
    IST_RETURN_IF_ERROR(take_in(*event, record, joins_wanted, false));
  }
}

Status TrainerPool::admit_losses(RoundRecord& record) { return await_loss({}, record, rt::Clock::now()).status(); }

const PooledTrainer& TrainerPool::trainer(TrainerId id) const {
  return *std::find_if(trainers_.begin(), trainers_.end(), [&](const PooledTrainer& t) { return t.id == id; });
}

Result<bool> TrainerPool::await_loss(const std::vector<TrainerId>& trainers, RoundRecord& record,
                                     rt::Deadline deadline) {
  const auto any_lost = [&] {
    return std::any_of(trainers_.begin(), trainers_.end(), [&](const PooledTrainer& t) {
      return !t.alive && std::find(trainers.begin(), trainers.end(), t.id) != trainers.end();
    });
  };
  if (!backend_.watches_membership()) return any_lost();
  int joins_wanted = 0;
  for (;;) {
    if (any_lost()) return true;
    auto event = backend_.next_membership_event(deadline);
    if (!event.ok()) {
      if (event.status().code() == ErrorCode::kCancelled) return event.status();
      return false;  // no news before the deadline
    }
    // Mid-round, a joined worker would get a trainer on a shard of the current cut; it waits for the next
    // round, whose start re-cuts the data.
    IST_RETURN_IF_ERROR(take_in(*event, record, joins_wanted, true));
  }
}

Status TrainerPool::take_in(const rt::MembershipEvent& event, RoundRecord& record, int& joins_wanted,
                            bool defer_joins) {
  const rt::Member& m = event.member;
  if (defer_joins && event.change == rt::MembershipChange::kJoined) {
    deferred_joins_.push_back(event);
    return Status::ok_status();
  }
  if (event.change == rt::MembershipChange::kSelfDeclaredDead) {
    return Status::node_dead(
        "the head declared this driver's node dead (silent past the death deadline: paused, or cut off?); "
        "every trainer it started was stopped");
  }
  if (event.change == rt::MembershipChange::kHeadLost || event.change == rt::MembershipChange::kHeadRejoined) {
    head_lost_ = event.change == rt::MembershipChange::kHeadLost;
    record.events.push_back(RoundEvent{head_lost_ ? RoundEvent::Kind::kHeadLost : RoundEvent::Kind::kHeadRejoined,
                                       -1, -1, m.id, 0, m.endpoint});
    if (joins_wanted > 0 && head_lost_ && live().empty()) return lost_head_and_trainers();
    return Status::ok_status();
  }
  if (event.change == rt::MembershipChange::kJoined) {
    if (!hosts_trainers(m) || !may_host(m.id)) return Status::ok_status();
    const bool known = std::any_of(trainers_.begin(), trainers_.end(), [&](const PooledTrainer& t) { return t.node == m.id; });
    if (known) return Status::ok_status();
    IST_RETURN_IF_ERROR(add_trainer_on(m.id, record));
    --joins_wanted;
    return Status::ok_status();
  }
  const bool left = event.change == rt::MembershipChange::kLeft;
  for (PooledTrainer& t : trainers_) {
    if (t.node != m.id) continue;
    t.left = t.left || left;  // also for a trainer a round already counted lost: its node left, it did not die
    if (t.alive) lose(t, Status::node_dead(left ? "its node left" : "its node died"), record);
  }
  return Status::ok_status();
}

Status TrainerPool::recut_shards(RoundRecord& record) {
  for (int attempt = 0; attempt < 3 && membership_changed_; ++attempt) {
    std::vector<PooledTrainer*> trainers = live();
    if (trainers.empty()) {
      // Trainers refuse a driver the head declared dead (it was paused): that news, if it is in, says why.
      IST_RETURN_IF_ERROR(admit_membership_events(record, rt::Clock::now(), 0));
      return Status::node_dead("no trainer left to give the data to");
    }
    const int n = static_cast<int>(trainers.size());
    std::vector<std::pair<TrainerId, TrainerSpec>> loads;
    for (int i = 0; i < n; ++i) loads.emplace_back(trainers[static_cast<std::size_t>(i)]->id, spec_for(i, n));
    const std::vector<Result<std::int64_t>> sizes = backend_.load_shards(loads);
    membership_changed_ = false;
    for (int i = 0; i < n; ++i) {
      PooledTrainer& t = *trainers[static_cast<std::size_t>(i)];
      const Result<std::int64_t>& size = sizes[static_cast<std::size_t>(i)];
      if (!size.ok()) {
        lose(t, size.status().with_context("loading its new shard"), record);
        continue;
      }
      t.shard = i;
      t.shard_size = *size;
    }
    if (membership_changed_) continue;  // someone died while loading: cut again for the survivors
    ++state_.generation;
    state_.num_shards = n;
    state_.cursors.clear();
    for (int i = 0; i < n; ++i) state_.cursors.push_back(fresh_cursor(i));
    record.events.push_back(
        RoundEvent{RoundEvent::Kind::kDataRecut, -1, -1, 0, n, "cut " + std::to_string(state_.generation)});
  }
  return Status::ok_status();
}

Status TrainerPool::lost_head_and_trainers() const {
  return Status::node_dead(
      "lost the head and every trainer: no worker can join without a head (is the cluster down? start its "
      "head again, then resume the run)");
}

Status TrainerPool::prepare_round(std::int64_t round, RoundRecord& record) {
  IST_RETURN_IF_ERROR(admit_membership_events(record, rt::Clock::now(), 0));
  const int needed = std::max(1, options_.min_workers);
  if (static_cast<int>(live().size()) < needed) {
    // Joins come through the head: with neither a head nor a trainer, waiting join_wait helps nobody.
    if (head_lost_ && live().empty()) return lost_head_and_trainers();
    record.events.push_back(RoundEvent{RoundEvent::Kind::kBelowMinWorkers, -1, -1, 0, needed, ""});
    IST_RETURN_IF_ERROR(admit_membership_events(record, rt::deadline_in(options_.join_wait),
                                                needed - static_cast<int>(live().size())));
    if (static_cast<int>(live().size()) < needed) {
      return Status::node_dead("only " + std::to_string(live().size()) + " trainer(s) left before round " +
                               std::to_string(round + 1) + ", fewer than min_workers = " + std::to_string(needed) +
                               ", and no worker joined in time");
    }
  }
  if (membership_changed_ && options_.placement == "shared") IST_RETURN_IF_ERROR(recut_shards(record));
  return Status::ok_status();
}

}  // namespace ist::actors
