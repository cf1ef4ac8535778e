// The backends' side of partitioned ownership: the TrainerBackend defaults (none) and the runtime's
// (SubnetTrainer actors that own shards, actors/shard_owner.h). Kept apart from runtime_trainer_backend.cc,
// whose slices travel through the driver.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "actors/runtime_trainer_backend.h"
#include "actors/shard_owner.h"
#include "runtime/log.h"

namespace ist::actors {

namespace {
Status no_partitioned_ownership() {
  return Status::invalid_argument("this trainer backend has no partitioned model ownership");
}
}  // namespace

Status TrainerBackend::install_shards(const std::vector<TrainerId>&, const Mlp&) { return no_partitioned_ownership(); }

PartitionedOutcome TrainerBackend::run_partitioned_round(const PartitionedWork& work) {
  PartitionedOutcome outcome;
  outcome.participants = work.trainers;
  outcome.replies.assign(work.trainers.size(), no_partitioned_ownership());
  return outcome;
}

TrainerBackend::ShardGather TrainerBackend::begin_gather_shards(const std::vector<TrainerId>&, const std::vector<int>&) {
  return [](Mlp&) { return no_partitioned_ownership(); };
}

Result<std::vector<ShardFileRef>> TrainerBackend::save_shards(const std::vector<TrainerId>&, const SaveShardRequest&) {
  return no_partitioned_ownership();
}

Status TrainerBackend::restore_shards(const std::vector<TrainerId>&, const std::vector<RestoreShardRequest>&) {
  return no_partitioned_ownership();
}

std::vector<std::optional<ModelShard>> TrainerBackend::handed_over_shards(const std::vector<TrainerId>& trainers,
                                                                          rt::Deadline) {
  return std::vector<std::optional<ModelShard>>(trainers.size());
}

std::vector<std::optional<ModelShard>> RuntimeTrainerBackend::handed_over_shards(const std::vector<TrainerId>& trainers,
                                                                                 rt::Deadline deadline) {
  const auto all_here = [&] {
    return std::all_of(trainers.begin(), trainers.end(), [&](TrainerId t) { return handovers_.count(t) > 0; });
  };
  while (!all_here()) {
    Result<rt::Payload> message = ctx_.receive(shard_handover_tag(), deadline);
    if (!message.ok()) break;  // the deadline (or the driver stopping): the rest did not come
    Result<std::pair<rt::ActorHandle, ModelShard>> handover = read_handover(*message);
    if (!handover.ok()) {
      rt::log(rt::LogLevel::kWarn, "a shard handover that does not decode was dropped: ", handover.status().to_string());
      continue;
    }
    for (std::size_t t = 0; t < remotes_.size(); ++t) {
      if (remotes_[t].handle == handover->first) handovers_[static_cast<TrainerId>(t)] = std::move(handover->second);
    }
  }
  std::vector<std::optional<ModelShard>> shards;
  for (TrainerId t : trainers) {
    auto it = handovers_.find(t);
    if (it == handovers_.end()) {
      shards.emplace_back();
      continue;
    }
    shards.emplace_back(std::move(it->second));
    handovers_.erase(it);
  }
  return shards;
}

Status RuntimeTrainerBackend::install_shards(const std::vector<TrainerId>& owners, const Mlp& model) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> acks;
  for (std::size_t o = 0; o < owners.size(); ++o) {
    IST_ASSIGN_OR_RETURN(const ModelShard shard, cut_shard(model, static_cast<int>(o), static_cast<int>(owners.size())));
    acks.push_back(ctx_.call(remote(owners[o]).handle, "install_shard", encode_shard(shard), deadline));
  }
  for (std::size_t o = 0; o < acks.size(); ++o) {
    IST_RETURN_IF_ERROR(acks[o].wait().with_context("installing shard " + std::to_string(o) + " of the model"));
  }
  drop_stale_handovers();
  return Status::ok_status();
}

void RuntimeTrainerBackend::drop_stale_handovers() {
  handovers_.clear();
  ctx_.drop_tagged([](std::uint64_t tag) { return tag == shard_handover_tag(); });
}

TrainerBackend::ShardGather RuntimeTrainerBackend::begin_gather_shards(const std::vector<TrainerId>& owners,
                                                                       const std::vector<int>& skip) {
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<std::optional<rt::Future<rt::Payload>>> replies(owners.size());
  for (std::size_t o = 0; o < owners.size(); ++o) {
    if (std::find(skip.begin(), skip.end(), static_cast<int>(o)) != skip.end()) continue;
    replies[o] = ctx_.call(remote(owners[o]).handle, "fetch_shard", rt::Payload{}, deadline);
  }
  return [replies = std::move(replies)](Mlp& model) -> Status {
    for (std::size_t o = 0; o < replies.size(); ++o) {
      if (!replies[o]) continue;
      const std::string which = "gathering shard " + std::to_string(o) + " of the model";
      Result<rt::Payload> reply = replies[o]->get();
      if (!reply.ok()) return reply.status().with_context(which);
      Result<ModelShard> shard = decode_shard(*reply);
      if (!shard.ok()) return shard.status().with_context(which);
      if (shard->owner != static_cast<int>(o) || shard->owners != static_cast<int>(replies.size())) {
        return Status::decode_failure(which + ": the owner sent shard " + std::to_string(shard->owner) + " of " +
                                      std::to_string(shard->owners));
      }
      IST_RETURN_IF_ERROR(place_shard(*shard, model).with_context(which));
    }
    return Status::ok_status();
  };
}

Result<std::vector<ShardFileRef>> RuntimeTrainerBackend::save_shards(const std::vector<TrainerId>& owners,
                                                                        const SaveShardRequest& request) {
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<rt::Future<rt::Payload>> calls;
  for (std::size_t o = 0; o < owners.size(); ++o) {
    calls.push_back(ctx_.call(remote(owners[o]).handle, "save_model_shard", rt::pack_args(request), deadline));
  }
  std::vector<ShardFileRef> saved;
  Status first = Status::ok_status();
  for (std::size_t o = 0; o < calls.size(); ++o) {
    const std::string which = "checkpointing shard " + std::to_string(o) + " of the model";
    Result<rt::Payload> reply = calls[o].get();  // every call is awaited: none is left writing behind us
    Result<ShardFileRef> header = reply.ok() ? rt::unpack_one<ShardFileRef>(*reply) : Result<ShardFileRef>(reply.status());
    if (!header.ok()) {
      if (first.ok()) first = header.status().with_context(which);
      continue;
    }
    saved.push_back(std::move(header).value());
  }
  if (!first.ok()) return first;
  return saved;
}

Status RuntimeTrainerBackend::restore_shards(const std::vector<TrainerId>& owners,
                                             const std::vector<RestoreShardRequest>& requests) {
  if (requests.size() != owners.size()) return Status::invalid_argument("one shard file per owner is needed");
  const auto deadline = rt::deadline_in(options_.spawn_deadline);
  std::vector<rt::Future<rt::Payload>> acks;
  for (std::size_t o = 0; o < owners.size(); ++o) {
    acks.push_back(ctx_.call(remote(owners[o]).handle, "restore_model_shard", rt::pack_args(requests[o]), deadline));
  }
  Status first = Status::ok_status();
  for (std::size_t o = 0; o < acks.size(); ++o) {
    const Status s = acks[o].wait();
    if (!s.ok() && first.ok()) first = s.with_context("restoring shard " + std::to_string(o) + " of the model");
  }
  if (first.ok()) drop_stale_handovers();
  return first;
}

PartitionedOutcome RuntimeTrainerBackend::run_partitioned_round(const PartitionedWork& work) {
  PartitionedOutcome outcome;
  outcome.participants = work.trainers;
  for (TrainerId owner : work.owners) {
    if (std::find(work.trainers.begin(), work.trainers.end(), owner) == work.trainers.end()) {
      outcome.participants.push_back(owner);
    }
  }
  PartitionedRoundRequest request;
  request.round = work.round;
  request.seed = work.seed;
  request.widths = work.widths;
  request.scaling = static_cast<int>(work.scaling);
  request.options = to_wire(work.options);
  request.deadline_ms = options_.round_deadline.count();
  request.subnets = work.subnets;
  for (TrainerId owner : work.owners) request.owners.push_back(remote(owner).handle);
  for (TrainerId trainer : work.trainers) request.trainers.push_back(remote(trainer).handle);
  const auto deadline = rt::deadline_in(options_.round_deadline);
  std::vector<rt::Future<rt::Payload>> calls;
  for (TrainerId id : outcome.participants) {
    const auto owner = std::find(work.owners.begin(), work.owners.end(), id);
    const auto trainer = std::find(work.trainers.begin(), work.trainers.end(), id);
    request.owner_index = owner == work.owners.end() ? -1 : static_cast<int>(owner - work.owners.begin());
    request.position = trainer == work.trainers.end() ? -1 : static_cast<int>(trainer - work.trainers.begin());
    request.cursor = request.position >= 0 ? to_wire(work.cursors[static_cast<std::size_t>(request.position)]) : WireCursor{};
    rt::Payload payload = rt::pack_args(request);
    outcome.driver_bytes_sent += static_cast<std::int64_t>(payload.byte_size());
    calls.push_back(ctx_.call(remote(id).handle, "train_partitioned", std::move(payload), deadline));
  }
  // Every participant waits for the others' pieces: once one failed (lost, or refused the request), the
  // rest would only wait out the round deadline. So the calls are watched together, and when one fails
  // the round is abandoned: every participant still at work is told (it stops waiting for pieces and
  // answers kCancelled), and its answer is awaited, so none is left busy with this round.
  bool abandoned = false;
  for (;;) {
    bool all_ready = true;
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (!calls[i].ready()) {
        all_ready = false;
      } else if (!abandoned && !calls[i].wait().ok()) {
        abandoned = true;
        for (std::size_t j = 0; j < calls.size(); ++j) {
          if (!calls[j].ready()) ctx_.send(remote(outcome.participants[j]).handle, round_abandoned_tag(), rt::pack_args(work.round));
        }
      }
    }
    if (all_ready) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& call : calls) {
    Result<rt::Payload> reply = call.get();
    if (!reply.ok()) {
      outcome.replies.push_back(reply.status());
      continue;
    }
    outcome.driver_bytes_received += static_cast<std::int64_t>(reply->byte_size());
    Result<PartitionedRoundReply> header = rt::unpack_one<PartitionedRoundReply>(*reply);
    if (header.ok() && header->round != work.round) {
      header = Status::decode_failure("a reply for round " + std::to_string(header->round + 1) + " came back for round " +
                                      std::to_string(work.round + 1));
    }
    outcome.replies.push_back(std::move(header));
  }
  return outcome;
}

}  // namespace ist::actors
