#include "tests/actors/scripted_trainer_backend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>

#include "ist/local_training.h"
#include "ist/training_config.h"

namespace ist::actors::testing {

Result<Dataset> shard_as_trainer_loads(const Dataset& data, const TrainerSpec& spec) {
  IST_ASSIGN_OR_RETURN(ShardPolicy policy, parse_shard_policy(spec.shard_policy));
  IST_ASSIGN_OR_RETURN(std::vector<std::int64_t> rows,
                       shard_indices(data.labels, ShardSpec{spec.shard, spec.num_shards, policy, spec.shard_seed}));
  Dataset shard;
  shard.num_classes = data.num_classes;
  shard.features.resize(static_cast<Index>(rows.size()), data.feature_count());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    shard.features.row(static_cast<Index>(i)) = data.features.row(rows[i]);
    shard.labels.push_back(data.labels[static_cast<std::size_t>(rows[i])]);
  }
  IST_RETURN_IF_ERROR(standardize_as_specified(spec, shard));
  return shard;
}

Dataset clustered_dataset(int examples, int features, int classes, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Matrix centres(classes, features);
  for (Index i = 0; i < centres.size(); ++i) centres.data()[i] = 2.0f * normal(random);
  Dataset data;
  data.num_classes = classes;
  data.features.resize(examples, features);
  for (int e = 0; e < examples; ++e) {
    const int label = e % classes;
    data.labels.push_back(label);
    for (int f = 0; f < features; ++f) data.features(e, f) = centres(label, f) + normal(random);
  }
  return data;
}

ScriptedTrainerBackend::ScriptedTrainerBackend(Dataset data, std::chrono::milliseconds round_deadline)
    : data_(std::move(data)), round_deadline_(round_deadline) {}

rt::NodeId ScriptedTrainerBackend::new_node() { return next_node_++; }

std::vector<rt::NodeId> ScriptedTrainerBackend::worker_nodes(int count) {
  std::vector<rt::NodeId> nodes;
  for (int i = 0; i < count; ++i) nodes.push_back(new_node());
  return nodes;
}

void ScriptedTrainerBackend::announce(rt::MembershipChange change, rt::NodeId node) {
  rt::MembershipEvent event;
  event.change = change;
  event.member.id = node;
  event.member.name = "worker";
  event.member.state = change == rt::MembershipChange::kJoined ? rt::MemberState::kAlive : rt::MemberState::kDead;
  events_.push_back(event);
}

void ScriptedTrainerBackend::lose_in_round(TrainerId t, std::int64_t round) { lost_.insert({t, round - 1}); }
void ScriptedTrainerBackend::poison_in_round(TrainerId t, std::int64_t round) { poisoned_.insert({t, round - 1}); }

void ScriptedTrainerBackend::late_in_round(TrainerId t, std::int64_t round, std::int64_t free_from) {
  late_[{t, round - 1}] = free_from - 1;
}

rt::NodeId ScriptedTrainerBackend::join_node() {
  const rt::NodeId node = new_node();
  announce(rt::MembershipChange::kJoined, node);
  return node;
}

void ScriptedTrainerBackend::join_when_waited() { ++joins_when_waited_; }

void ScriptedTrainerBackend::node_leaves(rt::NodeId node) {
  dead_nodes_.insert(node);
  announce(rt::MembershipChange::kLeft, node);
}

void ScriptedTrainerBackend::node_dies(rt::NodeId node) {
  dead_nodes_.insert(node);
  announce(rt::MembershipChange::kDead, node);
}

std::vector<std::int64_t> ScriptedTrainerBackend::rounds_trained_by(TrainerId t) const {
  return trainers_.at(static_cast<std::size_t>(t)).rounds;
}

std::vector<FaultPlan> ScriptedTrainerBackend::faults_armed_on(TrainerId t) const {
  return trainers_.at(static_cast<std::size_t>(t)).faults;
}

const Slice& ScriptedTrainerBackend::last_slice_sent_to(TrainerId t) const {
  return trainers_.at(static_cast<std::size_t>(t)).last_sent;
}

const Slice* ScriptedTrainerBackend::last_slice_trained_by(TrainerId t) const {
  return trainers_.at(static_cast<std::size_t>(t)).last_trained.get();
}

std::vector<Result<StartedTrainer>> ScriptedTrainerBackend::start_trainers(const std::vector<TrainerPlacement>& placements) {
  std::vector<Result<StartedTrainer>> started;
  for (const TrainerPlacement& p : placements) {
    if (dead_nodes_.count(p.node) != 0) {
      started.push_back(Status::node_dead("node " + std::to_string(p.node) + " is gone"));
      continue;
    }
    auto shard = shard_as_trainer_loads(data_, p.spec);
    if (!shard.ok()) {
      started.push_back(shard.status());
      continue;
    }
    Trainer t;
    t.node = p.node;
    t.shard = std::move(shard).value();
    const std::int64_t size = t.shard.size();
    trainers_.push_back(std::move(t));
    started.push_back(StartedTrainer{static_cast<TrainerId>(trainers_.size() - 1), p.node, size});
  }
  return started;
}

std::vector<Result<std::int64_t>> ScriptedTrainerBackend::load_shards(
    const std::vector<std::pair<TrainerId, TrainerSpec>>& loads) {
  std::vector<Result<std::int64_t>> sizes;
  for (const auto& [id, spec] : loads) {
    Trainer& t = trainer(id);
    if (!t.alive || dead_nodes_.count(t.node) != 0) {
      sizes.push_back(Status::node_dead("its node is gone"));
      continue;
    }
    auto shard = shard_as_trainer_loads(data_, spec);
    if (!shard.ok()) {
      sizes.push_back(shard.status());
      continue;
    }
    ++shard_loads_;
    t.shard = std::move(shard).value();
    sizes.push_back(static_cast<std::int64_t>(t.shard.size()));
  }
  return sizes;
}

std::vector<Result<FeatureMoments>> ScriptedTrainerBackend::shard_moments(const std::vector<TrainerId>& trainers) {
  std::vector<Result<FeatureMoments>> moments;
  for (TrainerId id : trainers) moments.push_back(measure_moments(trainer(id).shard));
  return moments;
}

std::int64_t ScriptedTrainerBackend::send_ist(TrainerId id, const IstWork& work) {
  Trainer& t = trainer(id);
  last_round_sent_ = std::max(last_round_sent_, work.round);
  t.rounds.push_back(work.round);
  t.last_sent = extract_slice(*work.model, *work.plan, work.subnet, work.scaling);
  const FaultPlan fault = std::exchange(t.armed, FaultPlan{});
  const std::int64_t bytes = 4 * slice_parameter_count(work.model->widths(), *work.plan, work.subnet);
  const double delay_ms = static_cast<double>(fault.step_delay_ms) * work.options.steps;
  const auto late = late_.find({id, work.round});
  if (!t.alive || dead_nodes_.count(t.node) != 0) {
    t.outcome = Status::node_dead("its node is gone");
  } else if (lost_.count({id, work.round}) != 0) {
    t.alive = false;
    t.outcome = Status::actor_died("scripted: lost in round " + std::to_string(work.round + 1));
  } else if (fault.crash_midway) {
    t.alive = false;
    node_dies(t.node);
    t.outcome = Status::node_dead("its process exited halfway through the round");
  } else if (late != late_.end()) {
    t.busy_until_round = late->second;
    t.outcome = Status::timeout("scripted: late");
  } else if (delay_ms > static_cast<double>(round_deadline_.count())) {
    t.busy_until_round = work.round + static_cast<std::int64_t>(std::ceil(delay_ms / static_cast<double>(round_deadline_.count())));
    t.outcome = Status::timeout("slowed past the round deadline");
  } else {
    auto slice = std::make_shared<Slice>(t.last_sent);
    BatchSampler sampler(t.shard, work.cursor);
    TrainedSlice trained;
    trained.mean_loss = train_locally(slice->model, sampler, work.options).mean_loss;
    if (poisoned_.count({id, work.round}) != 0) {
      slice->model.layers.back().bias(0) = std::numeric_limits<float>::quiet_NaN();  // and says its loss is fine
    }
    trained.cursor = sampler.cursor();
    trained.slice = view_of(*slice);
    trained.bytes = bytes;
    t.last_trained = slice;
    trained.owner = std::move(slice);
    t.outcome = std::move(trained);
    if (fault.leave_midway) node_leaves(t.node);  // a graceful leave: the round's work is done first
  }
  return bytes;
}

Result<TrainedSlice> ScriptedTrainerBackend::collect_ist(TrainerId id) {
  Trainer& t = trainer(id);
  if (!t.outcome) return Status::internal("collect_ist without send_ist");
  Result<TrainedSlice> outcome = std::move(*t.outcome);
  t.outcome.reset();
  return outcome;
}

bool ScriptedTrainerBackend::busy(TrainerId id) { return last_round_sent_ + 1 < trainer(id).busy_until_round; }

Status ScriptedTrainerBackend::arm_fault(TrainerId id, const FaultPlan& plan) {
  Trainer& t = trainer(id);
  if (!t.alive) return Status::node_dead("its node is gone");
  t.armed = plan;
  t.faults.push_back(plan);
  return Status::ok_status();
}

Status ScriptedTrainerBackend::setup_replicas(const std::vector<TrainerId>&, const Mlp&, float, float) {
  return Status::invalid_argument("the scripted backend runs IST only");
}

std::vector<Result<BaselineOutcome>> ScriptedTrainerBackend::run_baseline_round(const std::vector<BaselineWork>& work) {
  return std::vector<Result<BaselineOutcome>>(work.size(), Status::invalid_argument("the scripted backend runs IST only"));
}

Result<rt::MembershipEvent> ScriptedTrainerBackend::next_membership_event(rt::Deadline deadline) {
  if (events_.empty() && joins_when_waited_ > 0 && deadline > rt::Clock::now()) {
    --joins_when_waited_;
    join_node();
  }
  if (events_.empty()) return Status::timeout("no membership event");
  rt::MembershipEvent event = events_.front();
  events_.pop_front();
  return event;
}

Status ScriptedTrainerBackend::add_workers(int count) {
  for (int i = 0; i < count; ++i) join_node();
  return Status::ok_status();
}

}  // namespace ist::actors::testing
