#include "actors/driver.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <string>

#include "actors/subnet_trainer.h"
#include "actors/trainer_placement.h"
#include "actors/tensor_frames.h"
#include "ist/partition.h"
#include "ist/random.h"
#include "ist/slice.h"

namespace ist::actors {

namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::vector<int> hidden_widths(const std::vector<int>& widths) { return {widths.begin() + 1, widths.end() - 1}; }

std::string node_name(rt::NodeId id) {
  char text[32];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(id));
  return text;
}

}  // namespace

Driver::Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test)
    : ctx_(ctx), options_(std::move(options)), test_(std::move(test)) {
  normalize_inputs(options_.training, test_);
}

Status Driver::resume_from(DriverCheckpoint c) {
  if (!options_.checkpoint_tag.empty() && c.tag != options_.checkpoint_tag) {
    return Status::invalid_argument("the checkpoint was written under another config (tag " + c.tag + ", this run " +
                                    options_.checkpoint_tag + ")");
  }
  if (c.model.widths() != options_.training.widths) {
    return Status::invalid_argument("the checkpoint's model has other widths than the config's");
  }
  if (options_.training.algorithm == Algorithm::kDataParallel) {
    return Status::invalid_argument("data_parallel runs cannot resume: their momentum lives in the trainers");
  }
  model_ = std::move(c.model);
  next_round_ = c.next_round;
  epochs_done_ = c.epochs_done;
  generation_ = c.generation;
  num_shards_ = c.num_shards;
  cursors_ = std::move(c.cursors);
  lost_examples_ = c.lost_examples;
  resumed_ = true;
  return Status::ok_status();
}

TrainerSpec Driver::spec_for(int shard, int num_shards) const {
  const TrainingConfig& c = options_.training;
  return TrainerSpec{options_.data_dir, shard, num_shards, shard_policy_name(c.shard_policy),
                     c.seed,            c.input_mean, c.input_std};
}

BatchCursor Driver::fresh_cursor(int shard) const {
  const std::uint64_t seed = options_.training.seed;
  // The first cut uses the reference's seeds, so an undisturbed run equals run_reference bit for bit.
  if (generation_ == 0) return BatchCursor{batch_seed_for_shard(seed, shard), 0, 0};
  return BatchCursor{derive_seed(seed, {kSeedBatchOrder, static_cast<std::uint64_t>(shard),
                                        static_cast<std::uint64_t>(generation_)}),
                     0, 0};
}

Result<rt::ActorHandle> Driver::spawn_trainer(rt::NodeId node, int shard, int num_shards, std::int64_t* size) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  IST_ASSIGN_OR_RETURN(rt::ActorHandle handle,
                       ctx_.spawn(kSubnetTrainerType, node, rt::pack_args(spec_for(shard, num_shards)), deadline).get());
  IST_ASSIGN_OR_RETURN(rt::Payload reply, ctx_.call(handle, "shard_size", rt::Payload{}, deadline).get());
  IST_ASSIGN_OR_RETURN(*size, rt::unpack_one<std::int64_t>(reply));
  return handle;
}

Status Driver::start(const std::vector<rt::NodeId>& nodes) {
  const TrainingConfig& config = options_.training;
  IST_RETURN_IF_ERROR(validate(config));
  IST_RETURN_IF_ERROR(check_data_fits(config.widths, test_, "the test data"));
  if (nodes.empty()) return Status::invalid_argument("no worker nodes to place trainers on");
  if (options_.placement != "shared" && options_.placement != "private") {
    return Status::invalid_argument("placement must be shared or private, got '" + options_.placement + "'");
  }
  if (!resumed_) {
    IST_ASSIGN_OR_RETURN(model_, make_mlp(config.widths, config.seed));
    num_shards_ = config.workers;
    for (int s = 0; s < num_shards_; ++s) cursors_.push_back(fresh_cursor(s));
  }
  // Spawn all trainers at once (each loads its shard in parallel), then check them in order.
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::ActorHandle>> spawns;
  for (int w = 0; w < config.workers; ++w) {
    spawns.push_back(ctx_.spawn(kSubnetTrainerType, nodes[static_cast<std::size_t>(w) % nodes.size()],
                                rt::pack_args(spec_for(w % num_shards_, num_shards_)), deadline));
  }
  train_size_ = lost_examples_;
  for (int w = 0; w < config.workers; ++w) {
    auto handle = spawns[static_cast<std::size_t>(w)].get();
    if (!handle.ok()) return handle.status().with_context("starting the trainer of shard " + std::to_string(w));
    auto reply = ctx_.call(*handle, "shard_size", rt::Payload{}, deadline).get();
    if (!reply.ok()) return reply.status().with_context("asking shard " + std::to_string(w) + " its size");
    IST_ASSIGN_OR_RETURN(std::int64_t size, rt::unpack_one<std::int64_t>(*reply));
    if (size < config.batch_size) {
      return Status::invalid_argument("shard " + std::to_string(w) + " holds " + std::to_string(size) +
                                      " examples, fewer than one batch of " + std::to_string(config.batch_size));
    }
    trainers_.push_back(Trainer{*handle, w % num_shards_, size, true, 0, 0, std::nullopt});
    if (w < num_shards_) train_size_ += size;
  }
  // A resumed run whose cut had another number of shards re-cuts before its first round.
  membership_changed_ = num_shards_ != config.workers;
  if (config.algorithm != Algorithm::kIst) IST_RETURN_IF_ERROR(setup_replicas());
  return Status::ok_status();
}

std::vector<Driver::Trainer*> Driver::live_trainers() {
  std::vector<Trainer*> live;
  for (Trainer& t : trainers_) {
    if (t.alive) live.push_back(&t);
  }
  return live;
}

std::vector<Driver::Trainer*> Driver::ready_trainers() {
  std::vector<Trainer*> ready;
  for (Trainer* t : live_trainers()) {
    if (t->outstanding && t->outstanding->ready()) t->outstanding.reset();
    if (!t->outstanding) ready.push_back(t);
  }
  return ready;
}

void Driver::lose_trainer(Trainer& trainer, const Status& why, RoundRecord& record) {
  if (!trainer.alive) return;
  trainer.alive = false;
  membership_changed_ = true;
  record.events.push_back("trainer on node " + node_name(trainer.handle.node_id) + " (shard " +
                          std::to_string(trainer.shard) + ") lost: " + why.to_string());
  if (options_.placement == "private") {
    lost_examples_ += trainer.shard_size;
    char text[160];
    std::snprintf(text, sizeof(text), "private data: shard %d (%lld examples, %.1f%% of the training set) left with its worker",
                  trainer.shard, static_cast<long long>(trainer.shard_size),
                  100.0 * static_cast<double>(trainer.shard_size) / static_cast<double>(train_size_));
    record.events.push_back(text);
  }
}

Status Driver::add_trainer_on(rt::NodeId node, RoundRecord& record) {
  if (options_.placement == "private") {
    record.events.push_back("node " + node_name(node) + " joined; private placement has no data for it: not used");
    return Status::ok_status();
  }
  std::int64_t size = 0;
  auto handle = spawn_trainer(node, 0, num_shards_, &size);
  if (!handle.ok()) {
    record.events.push_back("node " + node_name(node) + " joined but its trainer did not start: " +
                            handle.status().to_string());
    return Status::ok_status();
  }
  trainers_.push_back(Trainer{*handle, 0, size, true, 0, 0, std::nullopt});
  membership_changed_ = true;
  record.events.push_back("node " + node_name(node) + " joined: trainer added");
  return Status::ok_status();
}

Status Driver::apply_membership_events(RoundRecord& record, rt::Deadline wait_until, int joins_wanted) {
  if (!options_.membership) {
    if (joins_wanted > 0) return Status::invalid_argument("waiting for joins needs a membership subscription");
    return Status::ok_status();
  }
  for (;;) {
    auto event = options_.membership->next(joins_wanted > 0 ? wait_until : rt::Clock::now());
    if (!event.ok()) return event.status().code() == ErrorCode::kCancelled ? event.status() : Status::ok_status();
    const rt::Member& m = event->member;
    if (event->change == rt::MembershipChange::kJoined) {
      if (!hosts_trainers(m)) continue;
      const bool known = std::any_of(trainers_.begin(), trainers_.end(),
                                     [&](const Trainer& t) { return t.handle.node_id == m.id; });
      if (known) continue;
      IST_RETURN_IF_ERROR(add_trainer_on(m.id, record));
      --joins_wanted;
    } else {
      for (Trainer& t : trainers_) {
        if (t.alive && t.handle.node_id == m.id) {
          lose_trainer(t, Status::node_dead(event->change == rt::MembershipChange::kLeft ? "its node left" : "its node died"),
                       record);
        }
      }
    }
  }
}

Status Driver::recut_shards(RoundRecord& record) {
  for (int attempt = 0; attempt < 3 && membership_changed_; ++attempt) {
    std::vector<Trainer*> live = live_trainers();
    if (live.empty()) return Status::node_dead("no trainer left to give the data to");
    const int n = static_cast<int>(live.size());
    const auto deadline = rt::deadline_in(options_.spawn_deadline);
    std::vector<rt::Future<rt::Payload>> loads;
    for (int i = 0; i < n; ++i) loads.push_back(ctx_.call(live[static_cast<std::size_t>(i)]->handle, "load_shard",
                                                          rt::pack_args(spec_for(i, n)), deadline));
    membership_changed_ = false;
    for (int i = 0; i < n; ++i) {
      Trainer& t = *live[static_cast<std::size_t>(i)];
      auto reply = loads[static_cast<std::size_t>(i)].get();
      auto size = reply.ok() ? rt::unpack_one<std::int64_t>(*reply) : Result<std::int64_t>(reply.status());
      if (!size.ok()) {
        lose_trainer(t, size.status().with_context("loading its new shard"), record);
        continue;
      }
      t.shard = i;
      t.shard_size = *size;
    }
    if (membership_changed_) continue;  // someone died while loading: cut again for the survivors
    ++generation_;
    num_shards_ = n;
    cursors_.clear();
    for (int i = 0; i < n; ++i) cursors_.push_back(fresh_cursor(i));
    record.events.push_back("shared data re-cut into " + std::to_string(n) + " shards (cut " + std::to_string(generation_) + ")");
  }
  return Status::ok_status();
}

Status Driver::prepare_round(std::int64_t round, RoundRecord& record) {
  for (const ScriptedEvent& e : options_.events) {
    if (e.round != round + 1) continue;
    if (e.kind == ScriptedEvent::Kind::kAddWorkers) {
      if (!options_.add_workers) return Status::invalid_argument("a scripted add of workers needs an embedded cluster");
      IST_RETURN_IF_ERROR(options_.add_workers(e.count).with_context("scripted add of workers"));
      record.events.push_back("scripted: " + std::to_string(e.count) + " worker node(s) started");
      IST_RETURN_IF_ERROR(apply_membership_events(record, rt::deadline_in(options_.spawn_deadline), e.count));
    }
  }
  IST_RETURN_IF_ERROR(apply_membership_events(record, rt::Clock::now(), 0));
  const int needed = std::max(1, options_.min_workers);
  if (static_cast<int>(live_trainers().size()) < needed) {
    record.events.push_back("below min_workers (" + std::to_string(needed) + "): waiting for joins");
    IST_RETURN_IF_ERROR(apply_membership_events(record, rt::deadline_in(options_.join_wait),
                                                needed - static_cast<int>(live_trainers().size())));
    if (static_cast<int>(live_trainers().size()) < needed) {
      return Status::node_dead("only " + std::to_string(live_trainers().size()) + " trainer(s) left before round " +
                               std::to_string(round + 1) + ", fewer than min_workers = " + std::to_string(needed) +
                               ", and no worker joined in time");
    }
  }
  if (membership_changed_ && options_.placement == "shared") IST_RETURN_IF_ERROR(recut_shards(record));
  std::vector<Trainer*> live = live_trainers();
  for (const ScriptedEvent& e : options_.events) {
    if (e.round != round + 1 || e.kind != ScriptedEvent::Kind::kSlowWorker) continue;
    if (e.worker < 0 || e.worker >= static_cast<int>(live.size())) continue;
    live[static_cast<std::size_t>(e.worker)]->slow_ms = e.delay_ms;
    live[static_cast<std::size_t>(e.worker)]->slow_until = round + e.rounds;
    record.events.push_back("scripted: trainer " + std::to_string(e.worker) + " slowed by " + std::to_string(e.delay_ms) +
                            " ms per step for " + std::to_string(e.rounds) + " round(s)");
  }
  return Status::ok_status();
}

rt::Payload Driver::encode_ist_request(std::int64_t round, int subnet, const Slice& slice, const Trainer& trainer,
                                       const LocalTrainingOptions& options, RoundRecord& record) const {
  IstTrainRequest request;
  request.round = round;
  request.subnet = subnet;
  request.options = to_wire(options);
  request.cursor = to_wire(cursors_[static_cast<std::size_t>(trainer.shard)]);
  request.step_delay_ms = trainer.slow_until > round ? trainer.slow_ms : 0;
  for (const ScriptedEvent& e : options_.events) {
    if (e.round != round + 1 || e.worker != subnet) continue;
    if (e.kind == ScriptedEvent::Kind::kKillWorker) {
      request.crash_midway = true;
      record.events.push_back("scripted: trainer " + std::to_string(subnet) + " dies halfway through round " +
                              std::to_string(round + 1));
    }
    if (e.kind == ScriptedEvent::Kind::kLeaveWorker) {
      request.leave_midway = true;
      record.events.push_back("scripted: trainer " + std::to_string(subnet) + "'s node leaves halfway through round " +
                              std::to_string(round + 1));
    }
  }
  request.neurons = slice.neurons;
  for (const Linear& layer : slice.model.layers) request.input_scales.push_back(layer.input_scale);
  rt::Payload frames;
  request.layer_shapes = append_layers(slice.model, frames);
  rt::Payload payload = rt::pack_args(request);
  payload.blobs = std::move(frames.blobs);
  return payload;
}

Status Driver::run_ist_round(std::int64_t round, const LocalTrainingOptions& options, RoundRecord& record,
                             RoundTiming& timing) {
  std::vector<Trainer*> live = ready_trainers();
  if (live.empty()) return Status::node_dead("no trainer is free to take a slice in round " + std::to_string(round + 1));
  const int subnets = static_cast<int>(live.size());
  auto t = SteadyClock::now();
  IST_ASSIGN_OR_RETURN(SubnetPlan plan,
                       make_partition(hidden_widths(options_.training.widths), subnets, options_.training.seed, round));
  timing.partition_and_extract = seconds_since(t);

  // Pipelined: slice s is extracted, encoded and sent before slice s+1 is extracted, so the first
  // trainers start computing while the driver still slices for the others.
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<std::vector<std::vector<std::int32_t>>> neurons(static_cast<std::size_t>(subnets));
  std::vector<rt::Future<rt::Payload>> replies;
  double bytes_to_trainers = 0.0;
  for (int s = 0; s < subnets; ++s) {
    t = SteadyClock::now();
    Slice slice = extract_slice(model_, plan, s, options_.training.scaling);
    timing.partition_and_extract += seconds_since(t);
    t = SteadyClock::now();
    const Trainer& trainer = *live[static_cast<std::size_t>(s)];
    rt::Payload payload = encode_ist_request(round, s, slice, trainer, options, record);
    bytes_to_trainers += static_cast<double>(payload.byte_size());
    neurons[static_cast<std::size_t>(s)] = std::move(slice.neurons);
    timing.encode += seconds_since(t);
    replies.push_back(ctx_.call(trainer.handle, "train_ist", std::move(payload), deadline));
  }

  // Each reply is decoded as soon as it is in, while the later ones are still on their way.
  std::vector<Slice> trained;
  trained.reserve(static_cast<std::size_t>(subnets));
  double loss_sum = 0.0;
  double bytes_from_trainers = 0.0;
  double decode_seconds = 0.0;
  for (int s = 0; s < subnets; ++s) {
    Trainer& trainer = *live[static_cast<std::size_t>(s)];
    if (s > 0) decode_seconds += seconds_since(t);  // the previous reply's decoding
    t = SteadyClock::now();
    const Result<rt::Payload> outcome = replies[static_cast<std::size_t>(s)].get();
    timing.wait += seconds_since(t);
    t = SteadyClock::now();
    // A call that missed the deadline keeps running on its trainer. A cheap marker call queues behind it in
    // the trainer's mailbox and completes when the stale work is done (see Trainer::outstanding).
    if (!outcome.ok() && outcome.status().code() == ErrorCode::kTimeout) {
      trainer.outstanding = ctx_.call(trainer.handle, "shard_size", rt::Payload{}, rt::deadline_in(options_.round_deadline * 10));
    }
    if (!outcome.ok() && outcome.status().code() == ErrorCode::kTimeout) {
      // A straggler: its slice keeps its start-of-round values; it stays for the next round.
      record.events.push_back("slice of trainer " + std::to_string(s) + " late (round deadline " +
                              std::to_string(options_.round_deadline.count()) + " ms): dropped for this round");
      continue;
    }
    if (!outcome.ok()) {
      lose_trainer(trainer, outcome.status(), record);
      continue;
    }
    auto reply = rt::unpack_one<TrainReply>(*outcome);
    Result<Mlp> subnet = reply.ok() ? read_layers(*outcome, reply->layer_shapes) : Result<Mlp>(reply.status());
    if (!subnet.ok()) {
      lose_trainer(trainer, subnet.status().with_context("undecodable reply"), record);
      continue;
    }
    bytes_from_trainers += static_cast<double>(outcome->byte_size());
    cursors_[static_cast<std::size_t>(trainer.shard)] = from_wire(reply->cursor);
    loss_sum += reply->mean_loss;
    timing.trainer_compute = std::max(timing.trainer_compute, reply->compute_seconds);
    timing.trainer_decode = std::max(timing.trainer_decode, reply->decode_seconds);
    timing.trainer_compute_sum += reply->compute_seconds;
    Slice slice;
    slice.subnet = s;
    slice.neurons = std::move(neurons[static_cast<std::size_t>(s)]);
    slice.model = std::move(subnet).value();
    trained.push_back(std::move(slice));
  }
  std::vector<const Slice*> returned;
  for (const Slice& slice : trained) returned.push_back(&slice);
  decode_seconds += seconds_since(t);
  const auto merge_start = SteadyClock::now();
  IST_RETURN_IF_ERROR(merge_slices(model_, plan, returned));
  timing.merge = seconds_since(merge_start);
  timing.decode_and_merge = decode_seconds + timing.merge;

  const auto survivors = static_cast<double>(trained.size());
  record.live_workers = static_cast<int>(trained.size());
  record.train_loss = survivors > 0 ? loss_sum / survivors : 0.0;
  record.bytes_received_per_worker = bytes_to_trainers / subnets;
  record.bytes_sent_per_worker = survivors > 0 ? bytes_from_trainers / survivors : 0.0;

  return Status::ok_status();
}

Status Driver::setup_replicas() {
  std::vector<rt::ActorHandle> ring;
  for (const Trainer& t : trainers_) ring.push_back(t.handle);
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> acks;
  for (std::size_t rank = 0; rank < trainers_.size(); ++rank) {
    ReplicaSetup setup{ring, static_cast<int>(rank), options_.training.sgd.momentum,
                       options_.training.sgd.weight_decay, {}};
    rt::Payload frames;
    setup.layer_shapes = append_layers(model_, frames);
    rt::Payload payload = rt::pack_args(setup);
    payload.blobs = std::move(frames.blobs);
    acks.push_back(ctx_.call(trainers_[rank].handle, "setup_replica", std::move(payload), deadline));
  }
  for (std::size_t rank = 0; rank < acks.size(); ++rank) {
    IST_RETURN_IF_ERROR(acks[rank].wait().with_context("setting up replica " + std::to_string(rank)));
  }
  return Status::ok_status();
}

Status Driver::run_baseline_round(std::int64_t round, const LocalTrainingOptions& options, bool want_model,
                                  RoundRecord& record) {
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<rt::Future<rt::Payload>> replies;
  for (std::size_t rank = 0; rank < trainers_.size(); ++rank) {
    BaselineRoundRequest request{round, algorithm_name(options_.training.algorithm), to_wire(options),
                                 to_wire(cursors_[static_cast<std::size_t>(trainers_[rank].shard)]), want_model && rank == 0};
    replies.push_back(ctx_.call(trainers_[rank].handle, "train_baseline", rt::pack_args(request), deadline));
  }
  double loss_sum = 0.0;
  double ring_bytes = 0.0;
  for (std::size_t rank = 0; rank < trainers_.size(); ++rank) {
    auto outcome = replies[rank].get();
    // The ring needs every member: a baseline cannot continue without one (IST can).
    if (!outcome.ok()) return outcome.status().with_context("trainer " + std::to_string(rank) + " in round " + std::to_string(round + 1));
    IST_ASSIGN_OR_RETURN(TrainReply reply, rt::unpack_one<TrainReply>(*outcome));
    cursors_[static_cast<std::size_t>(trainers_[rank].shard)] = from_wire(reply.cursor);
    loss_sum += reply.mean_loss;
    ring_bytes += static_cast<double>(reply.ring_bytes_sent);
    if (rank == 0 && want_model) {
      IST_ASSIGN_OR_RETURN(model_, read_layers(*outcome, reply.layer_shapes));
    }
  }
  const auto workers = static_cast<double>(trainers_.size());
  record.live_workers = static_cast<int>(trainers_.size());
  record.train_loss = loss_sum / workers;
  record.bytes_sent_per_worker = ring_bytes / workers;
  record.bytes_received_per_worker = ring_bytes / workers;  // a ring receives what it sends
  return Status::ok_status();
}

Status Driver::write_checkpoint(std::int64_t next_round) const {
  DriverCheckpoint c{model_, next_round, epochs_done_, generation_, num_shards_, cursors_, lost_examples_,
                     options_.checkpoint_tag};
  return save_checkpoint(options_.checkpoint_path, c);
}

Result<RunResult> Driver::run(const RoundCallback& on_round) {
  if (trainers_.empty()) return Status::invalid_argument("run() before start()");
  const TrainingConfig& config = options_.training;
  const bool ist = config.algorithm == Algorithm::kIst;
  RunResult result;
  const std::int64_t rounds = planned_rounds();
  const auto start = SteadyClock::now();
  // A run of `epochs` ends when the epochs are done, however many trainers did them (elastic runs); a run
  // of `rounds` after that many rounds. With constant membership both give total_rounds() rounds.
  const bool by_epochs = config.rounds <= 0;
  const auto samples = [&](int trainers) {
    return static_cast<double>(static_cast<std::int64_t>(trainers) * config.local_steps * config.batch_size) /
           static_cast<double>(train_size_);
  };
  for (std::int64_t round = next_round_; by_epochs ? epochs_done_ < config.epochs - 1e-9 : round < rounds; ++round) {
    RoundRecord record;
    record.round = round + 1;
    if (ist) IST_RETURN_IF_ERROR(prepare_round(round, record));
    const LocalTrainingOptions options = local_options_at(config, epochs_done_);
    const int trainers = static_cast<int>(ist ? ready_trainers().size() : trainers_.size());
    const bool last = by_epochs ? epochs_done_ + samples(trainers) >= config.epochs - 1e-9 : round + 1 == rounds;
    const bool evaluate_now = (round + 1) % config.eval_every == 0 || last;
    const bool checkpoint_now = options_.checkpoint_every > 0 && (round + 1) % options_.checkpoint_every == 0;
    record.learning_rate = options.learning_rate;
    RoundTiming timing;
    if (ist) {
      IST_RETURN_IF_ERROR(run_ist_round(round, options, record, timing));
    } else {
      IST_RETURN_IF_ERROR(run_baseline_round(round, options, evaluate_now || checkpoint_now, record));
    }
    // Samples the live trainers processed this round, over the full training set.
    epochs_done_ += samples(record.live_workers);
    record.epochs = epochs_done_;
    if (evaluate_now) {
      const auto t = SteadyClock::now();
      record.test_accuracy = accuracy(model_, test_.features, test_.labels);
      result.final_test_accuracy = record.test_accuracy;
      timing.evaluate = seconds_since(t);
    }
    next_round_ = round + 1;
    if (checkpoint_now && !options_.checkpoint_path.empty()) {
      Status saved = write_checkpoint(next_round_);
      record.events.push_back(saved.ok() ? "checkpoint written" : "checkpoint failed: " + saved.to_string());
    }
    record.wall_seconds = seconds_since(start);
    timings_.push_back(timing);
    result.records.push_back(record);
    if (on_round) on_round(record);
    // A resumed run is the recovery from this very event: it does not die again.
    for (const ScriptedEvent& e : options_.events) {
      if (e.kind == ScriptedEvent::Kind::kKillDriver && e.round == round + 1 && !resumed_) raise(SIGKILL);
    }
    if (config.target_accuracy > 0.0 && record.test_accuracy && *record.test_accuracy >= config.target_accuracy) break;
  }
  if (!result.records.empty() && !result.records.back().test_accuracy) {
    // The last round came out shorter than planned (a slice lost): evaluate the final model anyway.
    result.final_test_accuracy = accuracy(model_, test_.features, test_.labels);
  }
  result.model = model_;
  return result;
}

}  // namespace ist::actors
