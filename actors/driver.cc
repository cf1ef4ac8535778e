#include "actors/driver.h"

#include <chrono>
#include <string>

#include "actors/subnet_trainer.h"
#include "actors/tensor_frames.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist::actors {

namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::vector<int> hidden_widths(const std::vector<int>& widths) { return {widths.begin() + 1, widths.end() - 1}; }

}  // namespace

Driver::Driver(rt::ActorContext& ctx, DriverOptions options, Dataset test)
    : ctx_(ctx), options_(std::move(options)), test_(std::move(test)) {
  normalize_inputs(options_.training, test_);
}

Status Driver::start(const std::vector<rt::NodeId>& nodes) {
  const TrainingConfig& config = options_.training;
  IST_RETURN_IF_ERROR(validate(config));
  IST_RETURN_IF_ERROR(check_data_fits(config.widths, test_, "the test data"));
  if (nodes.empty()) return Status::invalid_argument("no worker nodes to place trainers on");
  IST_ASSIGN_OR_RETURN(model_, make_mlp(config.widths, config.seed));
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::ActorHandle>> spawns;
  for (int w = 0; w < config.workers; ++w) {
    TrainerSpec spec{options_.data_dir, w,           config.workers, shard_policy_name(config.shard_policy),
                     config.seed,       config.input_mean, config.input_std};
    spawns.push_back(ctx_.spawn(kSubnetTrainerType, nodes[static_cast<std::size_t>(w) % nodes.size()],
                                rt::pack_args(spec), deadline));
  }
  for (int w = 0; w < config.workers; ++w) {
    auto handle = spawns[static_cast<std::size_t>(w)].get();
    if (!handle.ok()) return handle.status().with_context("starting the trainer of shard " + std::to_string(w));
    trainers_.push_back(Trainer{*handle, w, BatchCursor{batch_seed_for_shard(config.seed, w), 0, 0}, true});
  }
  train_size_ = 0;
  for (Trainer& t : trainers_) {
    auto reply = ctx_.call(t.handle, "shard_size", rt::Payload{}, deadline).get();
    if (!reply.ok()) return reply.status().with_context("asking shard " + std::to_string(t.shard) + " its size");
    IST_ASSIGN_OR_RETURN(std::int64_t size, rt::unpack_one<std::int64_t>(*reply));
    if (size < config.batch_size) {
      return Status::invalid_argument("shard " + std::to_string(t.shard) + " holds " + std::to_string(size) +
                                      " examples, fewer than one batch of " + std::to_string(config.batch_size));
    }
    train_size_ += size;
  }
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

void Driver::lose_trainer(Trainer& trainer, const Status& why, RoundRecord& record) {
  trainer.alive = false;
  record.events.push_back("trainer of shard " + std::to_string(trainer.shard) + " lost: " + why.to_string());
}

Status Driver::run_ist_round(std::int64_t round, const LocalTrainingOptions& options, RoundRecord& record,
                             RoundTiming& timing) {
  std::vector<Trainer*> live = live_trainers();
  const int subnets = static_cast<int>(live.size());
  auto t = SteadyClock::now();
  IST_ASSIGN_OR_RETURN(SubnetPlan plan,
                       make_partition(hidden_widths(options_.training.widths), subnets, options_.training.seed, round));
  std::vector<Slice> slices;
  for (int s = 0; s < subnets; ++s) slices.push_back(extract_slice(model_, plan, s, options_.training.scaling));
  timing.partition_and_extract = seconds_since(t);

  t = SteadyClock::now();
  std::vector<rt::Payload> requests;
  for (int s = 0; s < subnets; ++s) {
    const Slice& slice = slices[static_cast<std::size_t>(s)];
    IstTrainRequest request;
    request.round = round;
    request.subnet = s;
    request.options = to_wire(options);
    request.cursor = to_wire(live[static_cast<std::size_t>(s)]->cursor);
    request.neurons = slice.neurons;
    for (const Linear& layer : slice.model.layers) request.input_scales.push_back(layer.input_scale);
    rt::Payload frames;
    request.layer_shapes = append_layers(slice.model, frames);
    rt::Payload payload = rt::pack_args(request);
    payload.blobs = std::move(frames.blobs);
    requests.push_back(std::move(payload));
  }
  timing.encode = seconds_since(t);

  t = SteadyClock::now();
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<rt::Future<rt::Payload>> replies;
  double bytes_to_trainers = 0.0;
  for (int s = 0; s < subnets; ++s) {
    bytes_to_trainers += static_cast<double>(requests[static_cast<std::size_t>(s)].byte_size());
    replies.push_back(ctx_.call(live[static_cast<std::size_t>(s)]->handle, "train_ist",
                                std::move(requests[static_cast<std::size_t>(s)]), deadline));
  }
  std::vector<Result<rt::Payload>> outcomes;
  for (auto& reply : replies) outcomes.push_back(reply.get());
  timing.wait = seconds_since(t);

  t = SteadyClock::now();
  std::vector<Slice> trained;
  trained.reserve(static_cast<std::size_t>(subnets));
  double loss_sum = 0.0;
  double bytes_from_trainers = 0.0;
  for (int s = 0; s < subnets; ++s) {
    Trainer& trainer = *live[static_cast<std::size_t>(s)];
    const Result<rt::Payload>& outcome = outcomes[static_cast<std::size_t>(s)];
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
    trainer.cursor = from_wire(reply->cursor);
    loss_sum += reply->mean_loss;
    timing.trainer_compute = std::max(timing.trainer_compute, reply->compute_seconds);
    timing.trainer_decode = std::max(timing.trainer_decode, reply->decode_seconds);
    timing.trainer_compute_sum += reply->compute_seconds;
    Slice slice;
    slice.subnet = s;
    slice.neurons = std::move(slices[static_cast<std::size_t>(s)].neurons);
    slice.model = std::move(subnet).value();
    trained.push_back(std::move(slice));
  }
  std::vector<const Slice*> returned;
  for (const Slice& slice : trained) returned.push_back(&slice);
  const auto merge_start = SteadyClock::now();
  IST_RETURN_IF_ERROR(merge_slices(model_, plan, returned));
  timing.merge = seconds_since(merge_start);
  timing.decode_and_merge = seconds_since(t);

  const auto survivors = static_cast<double>(trained.size());
  record.live_workers = static_cast<int>(trained.size());
  record.train_loss = survivors > 0 ? loss_sum / survivors : 0.0;
  record.bytes_received_per_worker = bytes_to_trainers / subnets;
  record.bytes_sent_per_worker = survivors > 0 ? bytes_from_trainers / survivors : 0.0;
  if (static_cast<int>(trained.size()) < std::max(1, options_.min_workers)) {
    return Status::node_dead("only " + std::to_string(trained.size()) + " trainer(s) left after round " +
                             std::to_string(round + 1) + ", fewer than min_workers = " +
                             std::to_string(std::max(1, options_.min_workers)));
  }
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
                                 to_wire(trainers_[rank].cursor), want_model && rank == 0};
    replies.push_back(ctx_.call(trainers_[rank].handle, "train_baseline", rt::pack_args(request), deadline));
  }
  double loss_sum = 0.0;
  double ring_bytes = 0.0;
  for (std::size_t rank = 0; rank < trainers_.size(); ++rank) {
    auto outcome = replies[rank].get();
    // The ring needs every member: a baseline cannot continue without one (IST can).
    if (!outcome.ok()) return outcome.status().with_context("trainer " + std::to_string(rank) + " in round " + std::to_string(round + 1));
    IST_ASSIGN_OR_RETURN(TrainReply reply, rt::unpack_one<TrainReply>(*outcome));
    trainers_[rank].cursor = from_wire(reply.cursor);
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

Result<RunResult> Driver::run(const RoundCallback& on_round) {
  if (trainers_.empty()) return Status::invalid_argument("run() before start()");
  const TrainingConfig& config = options_.training;
  RunResult result;
  const std::int64_t rounds = total_rounds(config, train_size_);
  const auto start = SteadyClock::now();
  double epochs_done = 0.0;
  for (std::int64_t round = 0; round < rounds; ++round) {
    const LocalTrainingOptions options = local_options_at(config, epochs_done);
    const bool last = round + 1 == rounds;
    const bool evaluate_now = (round + 1) % config.eval_every == 0 || last;
    RoundRecord record;
    record.round = round + 1;
    record.learning_rate = options.learning_rate;
    RoundTiming timing;
    if (config.algorithm == Algorithm::kIst) {
      IST_RETURN_IF_ERROR(run_ist_round(round, options, record, timing));
      epochs_done += static_cast<double>(record.live_workers) * config.local_steps * config.batch_size /
                     static_cast<double>(train_size_);
    } else {
      IST_RETURN_IF_ERROR(run_baseline_round(round, options, evaluate_now, record));
      epochs_done += static_cast<double>(samples_per_round(config)) / static_cast<double>(train_size_);
    }
    record.epochs = epochs_done;
    if (evaluate_now) {
      const auto t = SteadyClock::now();
      record.test_accuracy = accuracy(model_, test_.features, test_.labels);
      result.final_test_accuracy = record.test_accuracy;
      timing.evaluate = seconds_since(t);
    }
    record.wall_seconds = seconds_since(start);
    timings_.push_back(timing);
    result.records.push_back(record);
    if (on_round) on_round(record);
    if (config.target_accuracy > 0.0 && record.test_accuracy && *record.test_accuracy >= config.target_accuracy) break;
  }
  result.model = model_;
  return result;
}

}  // namespace ist::actors
