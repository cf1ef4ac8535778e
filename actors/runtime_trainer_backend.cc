#include "actors/runtime_trainer_backend.h"

#include <string>

#include "actors/subnet_trainer.h"
#include "actors/tensor_frames.h"

namespace ist::actors {

RuntimeTrainerBackend::RuntimeTrainerBackend(rt::ActorContext& ctx, RuntimeBackendOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

std::vector<Result<StartedTrainer>> RuntimeTrainerBackend::start_trainers(const std::vector<TrainerPlacement>& placements) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::ActorHandle>> spawns;
  for (const TrainerPlacement& p : placements) {
    spawns.push_back(ctx_.spawn(kSubnetTrainerType, p.node, rt::pack_args(p.spec), deadline));
  }
  std::vector<Result<StartedTrainer>> started;
  for (std::size_t i = 0; i < placements.size(); ++i) {
    auto handle = spawns[i].get();
    if (!handle.ok()) {
      started.push_back(handle.status());
      continue;
    }
    auto reply = ctx_.call(*handle, "shard_size", rt::Payload{}, deadline).get();
    auto size = reply.ok() ? rt::unpack_one<std::int64_t>(*reply) : Result<std::int64_t>(reply.status());
    if (!size.ok()) {
      started.push_back(size.status().with_context("asking its shard's size"));
      continue;
    }
    remotes_.push_back(Remote{*handle, std::nullopt, 0, 0, std::nullopt});
    started.push_back(StartedTrainer{static_cast<TrainerId>(remotes_.size() - 1), placements[i].node, *size});
  }
  return started;
}

std::vector<Result<std::int64_t>> RuntimeTrainerBackend::load_shards(
    const std::vector<std::pair<TrainerId, TrainerSpec>>& loads) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> replies;
  for (const auto& [trainer, spec] : loads) {
    replies.push_back(ctx_.call(remote(trainer).handle, "load_shard", rt::pack_args(spec), deadline));
  }
  std::vector<Result<std::int64_t>> sizes;
  for (auto& reply : replies) {
    auto payload = reply.get();
    sizes.push_back(payload.ok() ? rt::unpack_one<std::int64_t>(*payload) : Result<std::int64_t>(payload.status()));
  }
  return sizes;
}

std::vector<Result<FeatureMoments>> RuntimeTrainerBackend::shard_moments(const std::vector<TrainerId>& trainers) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> replies;
  for (TrainerId trainer : trainers) replies.push_back(ctx_.call(remote(trainer).handle, "shard_moments", rt::Payload{}, deadline));
  std::vector<Result<FeatureMoments>> moments;
  for (auto& reply : replies) {
    auto payload = reply.get();
    auto wire = payload.ok() ? rt::unpack_one<WireMoments>(*payload) : Result<WireMoments>(payload.status());
    moments.push_back(wire.ok() ? Result<FeatureMoments>(from_wire(*wire)) : Result<FeatureMoments>(wire.status()));
  }
  return moments;
}

rt::Payload encode_ist_request(const IstWork& work) {
  const SliceShape shape = slice_shape(*work.model, *work.plan, work.subnet, work.scaling);
  IstTrainRequest request;
  request.round = work.round;
  request.subnet = work.subnet;
  request.options = to_wire(work.options);
  request.cursor = to_wire(work.cursor);
  request.input_scales = shape.input_scales;
  std::vector<MutableLayerView> views(shape.rows.size());
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    request.layer_shapes.push_back(shape.rows[l]);
    request.layer_shapes.push_back(shape.cols[l]);
  }
  rt::Payload payload = rt::pack_args(request);
  // Each frame is written once, by the extraction itself, before anyone else holds it.
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    views[l].rows = shape.rows[l];
    views[l].cols = shape.cols[l];
    payload.blobs.push_back(rt::Blob::make(sizeof(float) * static_cast<std::size_t>(shape.rows[l] * shape.cols[l]),
                                           [&](std::span<std::byte> b) { views[l].weight = reinterpret_cast<float*>(b.data()); }));
    payload.blobs.push_back(rt::Blob::make(sizeof(float) * static_cast<std::size_t>(shape.rows[l]),
                                           [&](std::span<std::byte> b) { views[l].bias = reinterpret_cast<float*>(b.data()); }));
  }
  extract_slice_into(*work.model, *work.plan, work.subnet, views);
  return payload;
}

std::int64_t RuntimeTrainerBackend::send_ist(TrainerId trainer, const IstWork& work) {
  rt::Payload payload = encode_ist_request(work);
  const auto bytes = static_cast<std::int64_t>(payload.byte_size());
  Remote& r = remote(trainer);
  r.pending = ctx_.call(r.handle, "train_ist", std::move(payload), rt::deadline_in(options_.round_deadline));
  r.pending_round = work.round;
  r.pending_subnet = work.subnet;
  return bytes;
}

Result<TrainedSlice> decode_ist_reply(rt::Payload reply, std::int64_t round, int subnet) {
  IST_ASSIGN_OR_RETURN(TrainReply header, rt::unpack_one<TrainReply>(reply));
  if (header.round != round || header.subnet != subnet) {
    return Status::decode_failure("a reply for round " + std::to_string(header.round + 1) + ", subnet " +
                                  std::to_string(header.subnet) + " came back for round " + std::to_string(round + 1) +
                                  ", subnet " + std::to_string(subnet));
  }
  IST_ASSIGN_OR_RETURN(std::vector<FrameLayer> layers, frame_layers(reply, header.layer_shapes));
  TrainedSlice trained;
  trained.slice.subnet = subnet;
  for (const FrameLayer& layer : layers) {
    trained.slice.layers.push_back(LayerView{layer.weight, layer.bias, layer.rows, layer.cols});
  }
  trained.mean_loss = header.mean_loss;
  trained.cursor = from_wire(header.cursor);
  trained.compute_seconds = header.compute_seconds;
  trained.decode_seconds = header.decode_seconds;
  trained.bytes = static_cast<std::int64_t>(reply.byte_size());
  trained.owner = std::make_shared<const rt::Payload>(std::move(reply));
  return trained;
}

Result<TrainedSlice> RuntimeTrainerBackend::collect_ist(TrainerId trainer) {
  Remote& r = remote(trainer);
  if (!r.pending) return Status::internal("collect_ist without send_ist");
  Result<rt::Payload> outcome = r.pending->get();
  r.pending.reset();
  if (!outcome.ok() && outcome.status().code() == ErrorCode::kTimeout) {
    // A call that missed the deadline keeps running on its trainer. A cheap marker call queues behind it in
    // the trainer's mailbox and completes when the stale work is done.
    r.outstanding = ctx_.call(r.handle, "shard_size", rt::Payload{}, rt::deadline_in(options_.round_deadline * 10));
  }
  if (!outcome.ok()) return outcome.status();
  return decode_ist_reply(std::move(outcome).value(), r.pending_round, r.pending_subnet);
}

bool RuntimeTrainerBackend::busy(TrainerId trainer) {
  Remote& r = remote(trainer);
  if (r.outstanding && r.outstanding->ready()) r.outstanding.reset();
  return r.outstanding.has_value();
}

Status RuntimeTrainerBackend::arm_fault(TrainerId trainer, const FaultPlan& plan) {
  return ctx_.call(remote(trainer).handle, "arm_fault", rt::pack_args(plan), rt::deadline_in(options_.spawn_deadline))
      .wait();
}

Status RuntimeTrainerBackend::setup_replicas(const std::vector<TrainerId>& ring, const Mlp& model, float momentum,
                                             float weight_decay) {
  std::vector<rt::ActorHandle> handles;
  for (TrainerId t : ring) handles.push_back(remote(t).handle);
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> acks;
  for (std::size_t rank = 0; rank < ring.size(); ++rank) {
    ReplicaSetup setup{handles, static_cast<int>(rank), momentum, weight_decay, {}};
    rt::Payload frames;
    setup.layer_shapes = append_layers(model, frames);
    rt::Payload payload = rt::pack_args(setup);
    payload.blobs = std::move(frames.blobs);
    acks.push_back(ctx_.call(handles[rank], "setup_replica", std::move(payload), deadline));
  }
  for (std::size_t rank = 0; rank < acks.size(); ++rank) {
    IST_RETURN_IF_ERROR(acks[rank].wait().with_context("setting up replica " + std::to_string(rank)));
  }
  return Status::ok_status();
}

std::vector<Result<BaselineOutcome>> RuntimeTrainerBackend::run_baseline_round(const std::vector<BaselineWork>& work) {
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<rt::Future<rt::Payload>> replies;
  for (const BaselineWork& w : work) {
    replies.push_back(ctx_.call(remote(w.trainer).handle, "train_baseline", rt::pack_args(w.request), deadline));
  }
  std::vector<Result<BaselineOutcome>> outcomes;
  for (auto& reply : replies) {
    auto payload = reply.get();
    if (!payload.ok()) {
      outcomes.push_back(payload.status());
      continue;
    }
    auto header = rt::unpack_one<TrainReply>(*payload);
    if (!header.ok()) {
      outcomes.push_back(header.status());
      continue;
    }
    BaselineOutcome outcome{header->mean_loss, from_wire(header->cursor), header->ring_bytes_sent, std::nullopt,
                            header->compute_seconds};
    if (!header->layer_shapes.empty()) {
      auto model = read_layers(*payload, header->layer_shapes);
      if (!model.ok()) {
        outcomes.push_back(model.status());
        continue;
      }
      outcome.model = std::move(model).value();
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Result<rt::MembershipEvent> RuntimeTrainerBackend::next_membership_event(rt::Deadline deadline) {
  if (!options_.membership) return Status::timeout("no membership subscription");
  return options_.membership->next(deadline);
}

Status RuntimeTrainerBackend::add_workers(int count) {
  if (!options_.add_workers) return Status::invalid_argument("a scripted add of workers needs an embedded cluster");
  return options_.add_workers(count);
}

}  // namespace ist::actors
