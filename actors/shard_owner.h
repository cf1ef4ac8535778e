// Partitioned ownership, the trainers' side (cluster.model_owner = "partitioned"; the partition itself is
// ist/model_shard.h). Each SubnetTrainer that owns a shard keeps it between rounds. A round is one call
// from the driver to every owner and every trainer of the round, carrying only the plan's inputs (round,
// seed, widths, the owners' and trainers' handles: a few hundred bytes); inside it, peer to peer over the
// runtime's tagged channels:
//   1. each owner cuts its piece of every subnet and sends it to the trainers of that subnet;
//   2. each trainer assembles its subnet from one piece per owner, trains it, and sends each owner its
//      piece back;
//   3. each owner writes the trained pieces into its shard (a group's averaged first); owner 0 averages
//      the output bias in subnet order.
// No weight passes through the driver. Trainer p trains subnet p mod S; with subnet groups (S below the
// trainers) each owner averages a group's trained pieces before writing them, exactly as the driver-owned
// merge averages the group's slices (ist/subnet_groups.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "actors/shard_checkpoint.h"
#include "actors/wire.h"
#include "base/status.h"
#include "ist/data.h"
#include "ist/model_shard.h"
#include "runtime/actor.h"

namespace ist::actors {

// Header of an "install_shard" call and of a "fetch_shard" reply; the blobs are the shard's buffers: per
// hidden layer its weight rows and biases, then the output columns and the output bias (empty unless owner 0).
struct ShardHeader {
  int owner = 0;
  int owners = 1;
  std::vector<int> widths;
  MSGPACK_DEFINE(owner, owners, widths)
};

// A checkpoint of partitioned ownership, the owners' side (shard_checkpoint.h). "save_model_shard":
// args: pack_args(SaveShardRequest); the owner writes its shard into `directory` and answers
// pack_args(ShardFileRef). "restore_model_shard": args: pack_args(RestoreShardRequest); the owner reads
// and checks the file and keeps the shard (replacing any); reply: empty.
struct SaveShardRequest {
  std::string directory;   // the manifest's shard folder
  std::int64_t next_round = 0;
  std::string tag;
  MSGPACK_DEFINE(directory, next_round, tag)
};
struct RestoreShardRequest {
  std::string path;
  ShardExpectation expected;  // what the manifest says of the file
  MSGPACK_DEFINE(path, expected)
};

struct PartitionedRoundRequest {
  std::int64_t round = 0;
  std::uint64_t seed = 0;
  std::vector<int> widths;
  int scaling = 0;  // SubnetScaling
  WireTrainOptions options;
  WireCursor cursor;                      // the trainer's shard cursor (when position >= 0)
  std::vector<rt::ActorHandle> owners;    // owner o holds shard o
  std::vector<rt::ActorHandle> trainers;  // trainer p trains subnet p
  int owner_index = -1;                   // this actor's shard, or -1
  int position = -1;                      // this actor's subnet, or -1
  std::int64_t deadline_ms = 0;           // how long to wait for a peer's piece
  int subnets = 0;                        // S: trainer p trains subnet p mod S (subnet_groups.h); 0: one per trainer
  MSGPACK_DEFINE(round, seed, widths, scaling, options, cursor, owners, trainers, owner_index, position, deadline_ms,
                 subnets)
};

struct PartitionedRoundReply {
  std::int64_t round = 0;
  bool trained = false;  // this actor trained a subnet (then loss, cursor and compute_seconds are its)
  double mean_loss = 0.0;
  WireCursor cursor;
  double compute_seconds = 0.0;
  std::int64_t piece_bytes_sent = 0;      // to peers, both as owner and as trainer
  std::int64_t piece_bytes_received = 0;  // from peers
  int non_finite_pieces = 0;              // trained pieces this owner refused to write (NaN or inf)
  MSGPACK_DEFINE(round, trained, mean_loss, cursor, compute_seconds, piece_bytes_sent, piece_bytes_received,
                 non_finite_pieces)
};

// The shard as a payload (header + buffers) and back. Errors: decode_failure when the buffers do not
// hold the shapes the header implies.
rt::Payload encode_shard(const ModelShard& shard);
Result<ModelShard> decode_shard(const rt::Payload& payload);

// The tag of the driver's notice that it abandoned a round (a participant was lost): a tagged message,
// payload pack_args(std::int64_t round), sent to every participant still working on that round. One
// waiting for a peer's piece of that round stops at once (kCancelled); a notice of an older round, left
// over when its participant had already finished, is dropped.
std::uint64_t round_abandoned_tag();

// A shard handed over by its owner as the owner's node leaves gracefully (SubnetTrainer::hand_over): a
// tagged message with this tag to the driver that installed the shard, payload handover_payload(the
// owner's handle, the shard). read_handover errors: decode_failure (as decode_shard).
std::uint64_t shard_handover_tag();
rt::Payload handover_payload(const rt::ActorHandle& owner, const ModelShard& shard);
Result<std::pair<rt::ActorHandle, ModelShard>> read_handover(const rt::Payload& payload);

// Runs this actor's part of one partitioned round (see the top of this file), from inside its handler.
// `shard` is this actor's shard (required when request.owner_index >= 0), `data` its training shard.
// Errors: invalid_argument (a request that does not fit the shard or the data), timeout (a peer's piece
// did not come in time), decode_failure (a piece of the wrong size), cancelled (the driver abandoned the
// round; the subnets whose trained pieces this owner had written by then stay written).
Result<PartitionedRoundReply> run_partitioned_part(rt::ActorContext& ctx, ModelShard* shard, const Dataset& data,
                                                   const PartitionedRoundRequest& request);

}  // namespace ist::actors
