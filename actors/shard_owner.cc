#include "actors/shard_owner.h"

#include <chrono>
#include <map>
#include <string>

#include "actors/train_request_checks.h"
#include "ist/local_training.h"
#include "ist/partition.h"
#include "ist/slice.h"
#include "ist/subnet_groups.h"

namespace ist::actors {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Tags of the round's pieces: a bit of their own (the ring's tags never set it), the round, the phase
// (0: owner -> trainer, 1: trainer -> owner) and the sender's index (owner or subnet).
constexpr int kPieceBit = 62, kRoundShift = 24, kPhaseShift = 20;
std::uint64_t piece_tag(std::int64_t round, int phase, int sender) {
  return (std::uint64_t{1} << kPieceBit) | (static_cast<std::uint64_t>(round) << kRoundShift) |
         (static_cast<std::uint64_t>(phase) << kPhaseShift) | static_cast<std::uint64_t>(sender);
}

// Whether `tag` is a piece of a round before `round` (phase 0 or 1; the notice's phase 3 is not a piece).
bool piece_of_an_earlier_round(std::uint64_t tag, std::int64_t round) {
  if ((tag >> kPieceBit) != 1) return false;
  const auto tag_round = static_cast<std::int64_t>((tag >> kRoundShift) & ((std::uint64_t{1} << (kPieceBit - kRoundShift)) - 1));
  const int phase = static_cast<int>((tag >> kPhaseShift) & 0xF);
  return phase < 2 && tag_round < round;
}

// A payload with one blob per piece buffer, and pointers to fill them (written once, before sending).
rt::Payload piece_payload(const std::vector<std::int64_t>& floats, std::vector<float*>& out) {
  rt::Payload payload;
  out.assign(floats.size(), nullptr);
  for (std::size_t i = 0; i < floats.size(); ++i) {
    payload.blobs.push_back(rt::Blob::make(sizeof(float) * static_cast<std::size_t>(floats[i]),
                                           [&](std::span<std::byte> b) { out[i] = reinterpret_cast<float*>(b.data()); }));
  }
  return payload;
}

Result<std::vector<const float*>> piece_views(const rt::Payload& payload, const std::vector<std::int64_t>& floats,
                                              const std::string& what) {
  if (payload.blobs.size() != floats.size()) {
    return Status::decode_failure(what + ": " + std::to_string(payload.blobs.size()) + " frames, expected " +
                                  std::to_string(floats.size()));
  }
  std::vector<const float*> views;
  for (std::size_t i = 0; i < floats.size(); ++i) {
    if (payload.blobs[i].size() != sizeof(float) * static_cast<std::size_t>(floats[i])) {
      return Status::decode_failure(what + ": frame " + std::to_string(i) + " holds " +
                                    std::to_string(payload.blobs[i].size()) + " bytes, expected " +
                                    std::to_string(4 * floats[i]));
    }
    views.push_back(payload.blobs[i].as<float>().data());
  }
  return views;
}

bool all_finite(const std::vector<const float*>& views, const std::vector<std::int64_t>& floats) {
  for (std::size_t i = 0; i < views.size(); ++i) {
    if (!ist::all_finite(views[i], floats[i])) return false;
  }
  return true;
}

// Tagged messages to this very actor stay here: the runtime's channel is for peers. A wait for a piece
// ends early when the driver abandons the round (round_abandoned_tag).
class PieceChannel {
 public:
  PieceChannel(rt::ActorContext& ctx, std::int64_t round, rt::Deadline deadline)
      : ctx_(ctx), round_(round), deadline_(deadline) {}
  void send(const rt::ActorHandle& to, std::uint64_t tag, rt::Payload payload) {
    if (to == ctx_.self()) {
      to_self_.emplace(tag, std::move(payload));
      return;
    }
    bytes_sent += static_cast<std::int64_t>(payload.byte_size());
    ctx_.send(to, tag, std::move(payload));
  }
  Result<rt::Payload> receive(std::uint64_t tag) {
    if (auto mine = to_self_.find(tag); mine != to_self_.end()) {
      rt::Payload payload = std::move(mine->second);
      to_self_.erase(mine);
      return payload;
    }
    for (;;) {
      auto message = ctx_.receive_either(tag, round_abandoned_tag(), deadline_);
      if (!message.ok()) return message.status();
      if (message->first == tag) {
        bytes_received += static_cast<std::int64_t>(message->second.byte_size());
        return std::move(message->second);
      }
      const Result<std::int64_t> abandoned = rt::unpack_one<std::int64_t>(message->second);
      if (!abandoned.ok() || *abandoned < round_) continue;  // an older round's notice, left over
      return Status::cancelled("the driver abandoned round " + std::to_string(round_ + 1) +
                               " (another participant failed)");
    }
  }
  std::int64_t bytes_sent = 0;
  std::int64_t bytes_received = 0;

 private:
  rt::ActorContext& ctx_;
  std::int64_t round_;
  rt::Deadline deadline_;
  std::map<std::uint64_t, rt::Payload> to_self_;
};

Status check_request(const ModelShard* shard, const Dataset& data, const PartitionedRoundRequest& r) {
  IST_RETURN_IF_ERROR(validate_widths(r.widths));
  if (r.widths.size() < 3) return Status::invalid_argument("a partitioned round needs a hidden layer");
  if (r.owners.empty() || r.trainers.empty()) return Status::invalid_argument("a partitioned round needs owners and trainers");
  if (r.owners.size() >= (std::size_t{1} << 20) || r.trainers.size() >= (std::size_t{1} << 20)) {
    return Status::invalid_argument("too many owners or trainers");
  }
  if (r.scaling < 0 || r.scaling > static_cast<int>(SubnetScaling::kSqrt)) {
    return Status::invalid_argument("unknown subnet scaling " + std::to_string(r.scaling));
  }
  if (r.round < 0 || r.round >= (std::int64_t{1} << 38)) return Status::invalid_argument("round out of range");
  if (r.subnets < 0 || r.subnets > static_cast<int>(r.trainers.size())) {
    return Status::invalid_argument("subnets " + std::to_string(r.subnets) + " outside 0.." + std::to_string(r.trainers.size()));
  }
  if (r.owner_index >= static_cast<int>(r.owners.size()) || r.position >= static_cast<int>(r.trainers.size())) {
    return Status::invalid_argument("owner index or position outside the round's lists");
  }
  if (r.owner_index >= 0) {
    if (shard == nullptr) return Status::invalid_argument("asked to serve shard " + std::to_string(r.owner_index) + " but holds none");
    if (shard->owner != r.owner_index || shard->owners != static_cast<int>(r.owners.size()) || shard->widths != r.widths) {
      return Status::invalid_argument("asked to serve shard " + std::to_string(r.owner_index) + " of " +
                                      std::to_string(r.owners.size()) + " but holds shard " + std::to_string(shard->owner) +
                                      " of " + std::to_string(shard->owners));
    }
  }
  if (r.position >= 0) {
    if (r.widths.front() != data.feature_count()) {
      return Status::invalid_argument("the model takes " + std::to_string(r.widths.front()) +
                                      " inputs but this trainer's data has " + std::to_string(data.feature_count()) +
                                      " features");
    }
    IST_RETURN_IF_ERROR(check_labels(data, r.widths.back()));
    IST_RETURN_IF_ERROR(check_train_options(r.options, data.size()));
    IST_RETURN_IF_ERROR(check_cursor(r.cursor, data.size()));
  }
  return Status::ok_status();
}

}  // namespace

std::uint64_t round_abandoned_tag() { return piece_tag(0, 3, 0); }
std::uint64_t shard_handover_tag() { return piece_tag(0, 4, 0); }

rt::Payload handover_payload(const rt::ActorHandle& owner, const ModelShard& shard) {
  rt::Payload encoded = encode_shard(shard);
  rt::Payload payload = rt::pack_args(owner, encoded.args);
  payload.blobs = std::move(encoded.blobs);
  return payload;
}

Result<std::pair<rt::ActorHandle, ModelShard>> read_handover(const rt::Payload& payload) {
  IST_ASSIGN_OR_RETURN(auto header, (rt::unpack_args<rt::ActorHandle, std::string>(payload)));
  rt::Payload shard_payload;
  shard_payload.args = std::move(std::get<1>(header));
  shard_payload.blobs = payload.blobs;
  IST_ASSIGN_OR_RETURN(ModelShard shard, decode_shard(shard_payload));
  return std::make_pair(std::move(std::get<0>(header)), std::move(shard));
}

rt::Payload encode_shard(const ModelShard& shard) {
  rt::Payload payload = rt::pack_args(ShardHeader{shard.owner, shard.owners, shard.widths});
  const auto add = [&](const float* data, Index count) {
    payload.blobs.push_back(rt::Blob::copy_of(data, sizeof(float) * static_cast<std::size_t>(count)));
  };
  for (const Linear& layer : shard.hidden) {
    add(layer.weight.data(), layer.weight.size());
    add(layer.bias.data(), layer.bias.size());
  }
  add(shard.output_columns.data(), shard.output_columns.size());
  add(shard.output_bias.data(), shard.output_bias.size());
  return payload;
}

Result<ModelShard> decode_shard(const rt::Payload& payload) {
  IST_ASSIGN_OR_RETURN(ShardHeader header, rt::unpack_one<ShardHeader>(payload));
  IST_RETURN_IF_ERROR(validate_widths(header.widths));
  const int hidden = static_cast<int>(header.widths.size()) - 2;
  if (hidden < 1) return Status::decode_failure("a shard of a model without hidden layers");
  if (header.owners < 1 || header.owner < 0 || header.owner >= header.owners) {
    return Status::decode_failure("shard " + std::to_string(header.owner) + " of " + std::to_string(header.owners));
  }
  ModelShard shard;
  shard.owner = header.owner;
  shard.owners = header.owners;
  shard.widths = header.widths;
  std::vector<std::int64_t> floats;
  for (int l = 0; l < hidden; ++l) {
    const OwnedRange r = owned_range(header.widths[static_cast<std::size_t>(l) + 1], header.owner, header.owners);
    floats.push_back(static_cast<std::int64_t>(r.size()) * header.widths[static_cast<std::size_t>(l)]);
    floats.push_back(r.size());
  }
  const OwnedRange top = owned_range(header.widths[static_cast<std::size_t>(hidden)], header.owner, header.owners);
  const Index classes = header.widths.back();
  floats.push_back(classes * top.size());
  floats.push_back(header.owner == 0 ? classes : 0);
  IST_ASSIGN_OR_RETURN(std::vector<const float*> views, piece_views(payload, floats, "shard"));
  for (int l = 0; l < hidden; ++l) {
    const OwnedRange r = owned_range(header.widths[static_cast<std::size_t>(l) + 1], header.owner, header.owners);
    Linear layer;
    layer.weight = Eigen::Map<const Matrix>(views[2 * static_cast<std::size_t>(l)], r.size(), header.widths[static_cast<std::size_t>(l)]);
    layer.bias = Eigen::Map<const Vector>(views[2 * static_cast<std::size_t>(l) + 1], r.size());
    shard.hidden.push_back(std::move(layer));
  }
  shard.output_columns = Eigen::Map<const Matrix>(views[2 * static_cast<std::size_t>(hidden)], classes, top.size());
  shard.output_bias = Eigen::Map<const Vector>(views.back(), floats.back());
  return shard;
}

Result<PartitionedRoundReply> run_partitioned_part(rt::ActorContext& ctx, ModelShard* shard, const Dataset& data,
                                                   const PartitionedRoundRequest& request) {
  IST_RETURN_IF_ERROR(check_request(shard, data, request));
  const std::vector<int>& widths = request.widths;
  const int owners = static_cast<int>(request.owners.size());
  const int trainers = static_cast<int>(request.trainers.size());
  const int subnets = subnets_for_round(request.subnets, trainers);
  IST_ASSIGN_OR_RETURN(const SubnetPlan plan,
                       make_partition({widths.begin() + 1, widths.end() - 1}, subnets, request.seed, request.round));
  // Pieces of an abandoned round that were never received (or came after it ended) go now.
  ctx.drop_tagged([&](std::uint64_t tag) { return piece_of_an_earlier_round(tag, request.round); });
  PieceChannel channel(ctx, request.round, rt::deadline_in(std::chrono::milliseconds(request.deadline_ms)));
  PartitionedRoundReply reply;
  reply.round = request.round;

  // 1. Owner: its piece of every subnet, to each trainer of that subnet (one cut, shared by the frames).
  if (request.owner_index >= 0) {
    for (int s = 0; s < subnets; ++s) {
      std::vector<float*> out;
      rt::Payload piece = piece_payload(piece_shape(widths, plan, s, shard->owner, owners).buffer_floats(), out);
      cut_piece_from_shard(*shard, plan, s, out);
      for (int p = s; p < trainers; p += subnets) {
        channel.send(request.trainers[static_cast<std::size_t>(p)], piece_tag(request.round, 0, shard->owner), piece);
      }
    }
  }

  // 2. Trainer: assemble, train, return each owner's piece.
  if (request.position >= 0) {
    const int s = subnet_of_trainer(request.position, subnets);
    Mlp subnet = empty_subnet(widths, plan, s, static_cast<SubnetScaling>(request.scaling));
    for (int o = 0; o < owners; ++o) {
      const PieceShape shape = piece_shape(widths, plan, s, o, owners);
      Result<rt::Payload> piece = channel.receive(piece_tag(request.round, 0, o));
      if (!piece.ok()) return piece.status().with_context("waiting for owner " + std::to_string(o) + "'s piece of subnet " + std::to_string(s));
      IST_ASSIGN_OR_RETURN(std::vector<const float*> in,
                           piece_views(*piece, shape.buffer_floats(), "owner " + std::to_string(o) + "'s piece"));
      write_piece_into_subnet(shape, in, subnet);
    }
    const auto compute_start = std::chrono::steady_clock::now();
    BatchSampler sampler(data, from_wire(request.cursor));
    const LocalTrainingReport report = train_locally(subnet, sampler, from_wire(request.options));
    reply.compute_seconds = seconds_since(compute_start);
    reply.trained = true;
    reply.mean_loss = report.mean_loss;
    reply.cursor = to_wire(sampler.cursor());
    for (int o = 0; o < owners; ++o) {
      const PieceShape shape = piece_shape(widths, plan, s, o, owners);
      std::vector<float*> out;
      rt::Payload piece = piece_payload(shape.buffer_floats(), out);
      cut_piece_from_subnet(shape, subnet, out);
      channel.send(request.owners[static_cast<std::size_t>(o)], piece_tag(request.round, 1, request.position), std::move(piece));
    }
  }

  // 3. Owner: the trained pieces into its shard, subnet by subnet (a group's members averaged first, in
  // trainer order, as average_groups does); the output bias averaged over the subnets.
  if (request.owner_index >= 0) {
    std::vector<rt::Payload> kept;                   // the output biases of groups of one point into these
    std::vector<std::vector<float>> averaged_biases;  // ... and of larger groups into these
    averaged_biases.reserve(static_cast<std::size_t>(subnets));
    std::vector<const float*> biases;
    for (int s = 0; s < subnets; ++s) {
      const PieceShape shape = piece_shape(widths, plan, s, shard->owner, owners);
      const std::vector<std::int64_t> floats = shape.buffer_floats();
      std::vector<rt::Payload> members;
      std::vector<std::vector<const float*>> member_views;
      for (int p = s; p < trainers; p += subnets) {
        Result<rt::Payload> piece = channel.receive(piece_tag(request.round, 1, p));
        if (!piece.ok()) return piece.status().with_context("waiting for the trained piece of subnet " + std::to_string(s));
        IST_ASSIGN_OR_RETURN(std::vector<const float*> in,
                             piece_views(*piece, floats, "the trained piece of subnet " + std::to_string(s)));
        if (!all_finite(in, floats)) {
          ++reply.non_finite_pieces;  // never written, as the driver never merges such a slice
          continue;
        }
        member_views.push_back(std::move(in));
        members.push_back(std::move(piece).value());
      }
      if (member_views.empty()) continue;  // every member lost: the subnet keeps its start-of-round values
      if (member_views.size() == 1) {
        write_piece_into_shard(*shard, plan, s, member_views.front());
        biases.push_back(member_views.front().back());
        kept.push_back(std::move(members.front()));
        continue;
      }
      const SliceShape subnet_shape = slice_shape(widths, plan, s, static_cast<SubnetScaling>(request.scaling));
      const std::int64_t length = slice_length(subnet_shape);
      std::vector<std::vector<float>> mean(floats.size());
      for (std::size_t b = 0; b < floats.size(); ++b) mean[b].resize(static_cast<std::size_t>(floats[b]));
      for (const PieceRun& run : piece_runs(shape, subnet_shape)) {
        std::vector<const float*> at;
        for (const std::vector<const float*>& m : member_views) at.push_back(m[run.buffer] + run.buffer_offset);
        ring_mean_run(length, run.flat_begin, run.count, at, mean[run.buffer].data() + run.buffer_offset);
      }
      std::vector<const float*> in;
      for (const std::vector<float>& m : mean) in.push_back(m.data());
      write_piece_into_shard(*shard, plan, s, in);
      averaged_biases.push_back(std::move(mean.back()));
      biases.push_back(averaged_biases.back().data());
    }
    average_output_bias(*shard, biases);
  }
  reply.piece_bytes_sent = channel.bytes_sent;
  reply.piece_bytes_received = channel.bytes_received;
  return reply;
}

}  // namespace ist::actors
