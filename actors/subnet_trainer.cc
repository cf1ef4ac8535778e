#include "actors/subnet_trainer.h"

#include <signal.h>

#include <chrono>
#include <thread>
#include <tuple>
#include <utility>
#include <unistd.h>

#include "actors/hosted_data.h"
#include "actors/ring.h"
#include "actors/shard_checkpoint.h"
#include "actors/shard_owner.h"
#include "actors/tensor_frames.h"
#include "actors/train_request_checks.h"
#include "ist/flat_parameters.h"
#include "ist/local_training.h"
#include "ist/training_config.h"

namespace ist::actors {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// How long a peer may take to deliver its part of one all-reduce before the round is abandoned.
constexpr auto kRingDeadline = std::chrono::seconds(120);

}  // namespace

Result<Dataset> SubnetTrainer::load(const TrainerSpec& spec) {
  IST_ASSIGN_OR_RETURN(ShardPolicy policy, parse_shard_policy(spec.shard_policy));
  DataSource source = from_wire(spec.data);
  if (workers_own_data(source)) {
    IST_ASSIGN_OR_RETURN(DataSource own, with_hosted_data(std::move(source)));
    source = std::move(own);
  }
  auto shard = load_dataset(source, Split::kTrain, ShardSpec{spec.shard, spec.num_shards, policy, spec.shard_seed});
  if (!shard.ok()) return shard.status().with_context("trainer for shard " + std::to_string(spec.shard));
  if (spec.classes > 0) {
    IST_RETURN_IF_ERROR(check_labels(*shard, spec.classes).with_context("trainer for shard " + std::to_string(spec.shard)));
  }
  IST_RETURN_IF_ERROR(standardize_as_specified(spec, *shard).with_context("trainer for shard " + std::to_string(spec.shard)));
  return shard;
}

Result<std::unique_ptr<SubnetTrainer>> SubnetTrainer::create(rt::ActorContext&, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(TrainerSpec spec, rt::unpack_one<TrainerSpec>(args));
  IST_ASSIGN_OR_RETURN(Dataset shard, load(spec));
  return std::unique_ptr<SubnetTrainer>(new SubnetTrainer(std::move(shard), std::move(spec)));
}

Result<rt::Payload> SubnetTrainer::load_shard(rt::ActorContext&, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(TrainerSpec spec, rt::unpack_one<TrainerSpec>(args));
  if (only_standardization_differs(loaded_by_, spec)) {
    // Checked before it changes anything: on error the raw shard stays.
    IST_RETURN_IF_ERROR(standardize_as_specified(spec, shard_).with_context("trainer for shard " + std::to_string(spec.shard)));
  } else {
    IST_ASSIGN_OR_RETURN(shard_, load(spec));
  }
  loaded_by_ = std::move(spec);
  return rt::pack_args(static_cast<std::int64_t>(shard_.size()));
}

Result<rt::Payload> SubnetTrainer::arm_fault(rt::ActorContext&, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(armed_fault_, rt::unpack_one<FaultPlan>(args));
  return rt::Payload{};
}

Result<rt::Payload> SubnetTrainer::shard_size(rt::ActorContext&, const rt::Payload&) {
  return rt::pack_args(static_cast<std::int64_t>(shard_.size()));
}

Result<rt::Payload> SubnetTrainer::shard_moments(rt::ActorContext&, const rt::Payload&) {
  return rt::pack_args(to_wire(measure_moments(shard_)));
}

Result<rt::Payload> SubnetTrainer::train_ist(rt::ActorContext&, rt::Payload&& args) {
  const auto decode_start = std::chrono::steady_clock::now();
  IST_ASSIGN_OR_RETURN(IstTrainRequest request, rt::unpack_one<IstTrainRequest>(args));
  IST_ASSIGN_OR_RETURN(Mlp * subnet_buffers, subnet_.fill_from(args, request.layer_shapes));
  args.blobs.clear();  // the subnet holds the slice now: the frames would be a second copy through training
  Mlp& subnet = *subnet_buffers;
  if (subnet.layers.empty()) return Status::decode_failure("train request carries no layers");
  if (request.input_scales.size() != subnet.layers.size()) {
    return Status::decode_failure("train request has " + std::to_string(request.input_scales.size()) +
                                  " input scales for " + std::to_string(subnet.layers.size()) + " layers");
  }
  for (std::size_t l = 0; l < subnet.layers.size(); ++l) subnet.layers[l].input_scale = request.input_scales[l];
  if (subnet.layers.front().inputs() != shard_.feature_count()) {
    return Status::invalid_argument("the subnet takes " + std::to_string(subnet.layers.front().inputs()) +
                                    " inputs but this trainer's data has " + std::to_string(shard_.feature_count()) +
                                    " features");
  }
  IST_RETURN_IF_ERROR(check_layers(subnet, shard_.feature_count()));
  // A label at or above the subnet's outputs would write past its logits: refuse, whatever the spec said.
  IST_RETURN_IF_ERROR(check_labels(shard_, static_cast<int>(subnet.layers.back().outputs())));
  IST_RETURN_IF_ERROR(check_train_options(request.options, shard_.size()));
  IST_RETURN_IF_ERROR(check_cursor(request.cursor, shard_.size()));
  const LocalTrainingOptions options = from_wire(request.options);
  TrainReply reply;
  reply.decode_seconds = seconds_since(decode_start);
  const auto compute_start = std::chrono::steady_clock::now();
  BatchSampler sampler(shard_, from_wire(request.cursor));
  // A scripted fault armed for this call (see FaultPlan): die halfway as kill -9 would, leave gracefully,
  // or run slow.
  const FaultPlan fault = std::exchange(armed_fault_, FaultPlan{});
  const auto faults = [&fault, half = options.steps / 2](int step) {
    if (fault.crash_midway && step == half) _exit(137);
    if (fault.leave_midway && step == half) kill(getpid(), SIGTERM);  // the node drains, then leaves
    if (fault.step_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(fault.step_delay_ms));
  };
  const LocalTrainingReport report =
      train_locally(subnet, sampler, options, training_,
                    fault.empty() ? std::function<void(int)>() : std::function<void(int)>(faults));
  reply.compute_seconds = seconds_since(compute_start);
  // The momentum is zero again at the next round's start, and keeping it allocated meanwhile would hold
  // one subnet more while the next slice arrives (measured at 784-8192-8192-10, S = 2: 4.1x the subnet
  // beyond the trainer's resting memory instead of 3.1x, over CURVE): it is allocated per round.
  training_.optimizer.free_momentum();
  reply.round = request.round;
  reply.subnet = request.subnet;
  reply.mean_loss = report.mean_loss;
  reply.steps = report.steps;
  reply.cursor = to_wire(sampler.cursor());
  rt::Payload out;
  // A large subnet is not kept between rounds either: kept, it would be resident while the next slice
  // arrives (and, over CURVE, while that slice is decrypted into a second copy). A small one is kept, so
  // the next round allocates nothing.
  const bool large = static_cast<std::size_t>(subnet.parameter_count()) * sizeof(float) > kKeepSubnetBuffersUpTo;
  reply.layer_shapes = subnet_.lend_to(out, large ? LentNet::AfterLending::kRelease : LentNet::AfterLending::kKeep);
  rt::Payload header = rt::pack_args(reply);
  header.blobs = std::move(out.blobs);
  return header;
}

Result<rt::Payload> SubnetTrainer::setup_replica(rt::ActorContext&, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(ReplicaSetup setup, rt::unpack_one<ReplicaSetup>(args));
  IST_ASSIGN_OR_RETURN(Mlp model, read_layers(args, setup.layer_shapes));
  if (model.layers.empty()) return Status::decode_failure("replica setup carries no layers");
  IST_RETURN_IF_ERROR(check_layers(model, shard_.feature_count()));
  if (setup.rank < 0 || setup.rank >= static_cast<int>(setup.ring.size())) {
    return Status::invalid_argument("rank " + std::to_string(setup.rank) + " outside a ring of " +
                                    std::to_string(setup.ring.size()));
  }
  IST_RETURN_IF_ERROR(check_labels(shard_, static_cast<int>(model.layers.back().outputs())));
  replica_ = std::move(model);
  ring_ = std::move(setup.ring);
  rank_ = setup.rank;
  optimizer_ = std::make_unique<SgdOptimizer>(setup.momentum, setup.weight_decay);
  allreduce_sequence_ = 0;
  return rt::Payload{};
}

Result<TrainReply> SubnetTrainer::data_parallel_round(rt::ActorContext& ctx, const BaselineRoundRequest& request) {
  const LocalTrainingOptions options = from_wire(request.options);
  BatchSampler sampler(shard_, from_wire(request.cursor));
  TrainReply reply;
  RingStats ring;
  // Kept from step to step and round to round: nothing here is allocated again while the shapes stay.
  DataParallelBuffers& b = data_parallel_;
  Workspace& ws = b.workspace;
  Gradients& grads = b.gradients;
  Matrix& x = b.batch;
  std::vector<std::int32_t>& y = b.labels;
  std::vector<float>& flat = b.flat_gradient;
  double compute = 0.0;
  for (int step = 0; step < options.steps; ++step) {
    auto t = std::chrono::steady_clock::now();
    sampler.next(options.batch_size, x, y);
    reply.mean_loss += compute_gradients(*replica_, x, y, ws, grads) / options.steps;
    flatten_gradients(grads, flat);
    compute += seconds_since(t);
    IST_RETURN_IF_ERROR(ring_allreduce_sum(ctx, ring_, rank_, allreduce_sequence_++, flat,
                                           rt::deadline_in(kRingDeadline), &ring, &b.ring_send));
    t = std::chrono::steady_clock::now();
    scale_to_mean(flat, static_cast<int>(ring_.size()));
    unflatten_gradients(flat, grads);
    optimizer_->apply(*replica_, grads, options.learning_rate);
    compute += seconds_since(t);
  }
  reply.steps = options.steps;
  reply.cursor = to_wire(sampler.cursor());
  reply.compute_seconds = compute;
  reply.ring_seconds = ring.seconds;
  reply.ring_bytes_sent = ring.bytes_sent;
  return reply;
}

Result<TrainReply> SubnetTrainer::local_sgd_round(rt::ActorContext& ctx, const BaselineRoundRequest& request) {
  const LocalTrainingOptions options = from_wire(request.options);
  BatchSampler sampler(shard_, from_wire(request.cursor));
  TrainReply reply;
  auto t = std::chrono::steady_clock::now();
  const LocalTrainingReport report = train_locally(*replica_, sampler, options);
  std::vector<float>& flat = data_parallel_.flat_parameters;  // kept across rounds: allocated once
  flatten_parameters(*replica_, flat);
  reply.compute_seconds = seconds_since(t);
  RingStats ring;
  IST_RETURN_IF_ERROR(ring_allreduce_sum(ctx, ring_, rank_, allreduce_sequence_++, flat,
                                         rt::deadline_in(kRingDeadline), &ring, &data_parallel_.ring_send));
  scale_to_mean(flat, static_cast<int>(ring_.size()));
  unflatten_parameters(flat, *replica_);
  reply.mean_loss = report.mean_loss;
  reply.steps = report.steps;
  reply.cursor = to_wire(sampler.cursor());
  reply.ring_seconds = ring.seconds;
  reply.ring_bytes_sent = ring.bytes_sent;
  return reply;
}

Result<rt::Payload> SubnetTrainer::train_baseline(rt::ActorContext& ctx, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(BaselineRoundRequest request, rt::unpack_one<BaselineRoundRequest>(args));
  if (!replica_) return Status::invalid_argument("train_baseline before setup_replica");
  IST_RETURN_IF_ERROR(check_train_options(request.options, shard_.size()));
  IST_RETURN_IF_ERROR(check_cursor(request.cursor, shard_.size()));
  Result<TrainReply> reply = Status::invalid_argument("unknown baseline '" + request.algorithm + "'");
  if (request.algorithm == algorithm_name(Algorithm::kDataParallel)) reply = data_parallel_round(ctx, request);
  if (request.algorithm == algorithm_name(Algorithm::kLocalSgd)) reply = local_sgd_round(ctx, request);
  if (!reply.ok()) return reply.status();
  reply->round = request.round;
  reply->subnet = rank_;
  rt::Payload model_frames;
  if (request.return_model) reply->layer_shapes = append_layers(*replica_, model_frames);
  rt::Payload out = rt::pack_args(*reply);
  out.blobs = std::move(model_frames.blobs);
  return out;
}

Result<rt::Payload> SubnetTrainer::install_shard(rt::ActorContext& ctx, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(model_shard_, decode_shard(args));
  shard_from_ = ctx.caller();
  return rt::Payload{};
}

Result<rt::Payload> SubnetTrainer::hand_over(rt::ActorContext& ctx, const rt::Payload&) {
  if (model_shard_ && shard_from_) ctx.send(*shard_from_, shard_handover_tag(), handover_payload(ctx.self(), *model_shard_));
  return rt::Payload{};
}

Result<rt::Payload> SubnetTrainer::fetch_shard(rt::ActorContext&, const rt::Payload&) {
  if (!model_shard_) return Status::invalid_argument("this trainer holds no shard of the model");
  return encode_shard(*model_shard_);
}

Result<rt::Payload> SubnetTrainer::save_model_shard(rt::ActorContext&, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(SaveShardRequest request, rt::unpack_one<SaveShardRequest>(args));
  if (!model_shard_) return Status::invalid_argument("this trainer holds no shard of the model");
  IST_ASSIGN_OR_RETURN(ShardFileRef ref,
                       save_shard_file(request.directory, *model_shard_, request.next_round, request.tag));
  return rt::pack_args(ref);
}

Result<rt::Payload> SubnetTrainer::restore_model_shard(rt::ActorContext& ctx, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(RestoreShardRequest r, rt::unpack_one<RestoreShardRequest>(args));
  IST_ASSIGN_OR_RETURN(model_shard_, load_shard_file(r.path, r.expected));
  shard_from_ = ctx.caller();
  return rt::Payload{};
}

Result<rt::Payload> SubnetTrainer::train_partitioned(rt::ActorContext& ctx, const rt::Payload& args) {
  IST_ASSIGN_OR_RETURN(PartitionedRoundRequest request, rt::unpack_one<PartitionedRoundRequest>(args));
  IST_ASSIGN_OR_RETURN(PartitionedRoundReply reply,
                       run_partitioned_part(ctx, model_shard_ ? &*model_shard_ : nullptr, shard_, request));
  return rt::pack_args(reply);
}

Status register_trainer_actor_types() {
  static const Status registered =
      rt::ActorTypeBuilder<SubnetTrainer>(kSubnetTrainerType)
          .factory([](rt::ActorContext& ctx, const rt::Payload& p) { return SubnetTrainer::create(ctx, p); })
          .method("train_ist", &SubnetTrainer::train_ist)
          .method("setup_replica", &SubnetTrainer::setup_replica)
          .method("train_baseline", &SubnetTrainer::train_baseline)
          .method("arm_fault", &SubnetTrainer::arm_fault)
          .method("shard_size", &SubnetTrainer::shard_size)
          .method("load_shard", &SubnetTrainer::load_shard)
          .method("shard_moments", &SubnetTrainer::shard_moments)
          .method("install_shard", &SubnetTrainer::install_shard)
          .method("fetch_shard", &SubnetTrainer::fetch_shard)
          .method("train_partitioned", &SubnetTrainer::train_partitioned)
          .method("save_model_shard", &SubnetTrainer::save_model_shard)
          .method("restore_model_shard", &SubnetTrainer::restore_model_shard)
          .method("hand_over", &SubnetTrainer::hand_over)
          .on_node_leaving("hand_over")
          .spawner_only()  // a trainer takes work (and faults to arm) only from the driver that spawned it
          .max_live_per_spawner(kMaxTrainersPerDriverOnANode)
          .register_type();
  return registered;
}

}  // namespace ist::actors
