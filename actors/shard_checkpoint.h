// Checkpoints of partitioned ownership (cluster.model_owner = "partitioned"): no process writes or reads
// the whole model. Each owner writes its shard (ist/model_shard.h) to a file of its own, and the driver
// then commits a manifest (checkpoint.h: the run's state, the shard files' names and checksums, no
// tensors) over the previous one. Until that rename, the previous manifest and the shard files it names
// stay whole, so a driver or owner that dies mid-checkpoint leaves the last checkpoint readable.
//
// Files, beside the manifest (e.g. RUN_DIR/checkpoint.safetensors):
//   checkpoint-shards/r<next_round>-shard<owner>of<owners>.safetensors
// one safetensors file per owner: "hidden.<l>.weight" (the owned rows of hidden layer l, owned x inputs),
// "hidden.<l>.bias", "output.columns" (classes x owned neurons of the last hidden layer) and, owner 0 only,
// "output.bias"; metadata: "checkpoint": "ist-shard", owner, owners, widths, next_round, tag, and a
// CRC-32 (ist/checksum.h) that the manifest repeats, so a shard file from another checkpoint or a damaged
// one is refused. Written atomically (temporary file, fsync, rename).
//
// Each owner writes on its own host: with owners on several hosts the run directory must be on a file
// system they all see at the same path (as the data set must be), or the manifest names files that only
// those hosts hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/model_shard.h"

namespace ist::actors {

struct DriverCheckpoint;

// The folder of a manifest's shard files (beside the manifest).
std::string shard_directory(const std::string& manifest_path);
// The file name (in shard_directory) of owner's shard in the checkpoint taken before round next_round.
std::string shard_file_name(std::int64_t next_round, int owner, int owners);

// What a manifest says of one shard file.
// Also an owner's reply to "save_model_shard" (actors/shard_owner.h).
struct ShardFileRef {
  int owner = 0;
  std::string file;      // name within shard_directory(manifest)
  std::string checksum;  // "crc32:xxxxxxxx", as stored in the file
  MSGPACK_DEFINE(owner, file, checksum)
};

// Checks that `shards` name owners 0..O-1 in order, each with the file shard_file_name gives it for
// next_round (so a manifest cannot point anywhere else). Errors: corrupt_data naming the first mismatch.
Status check_shard_files(const std::vector<ShardFileRef>& shards, std::int64_t next_round);

// Writes shard as shard_dir/shard_file_name(...) (shard_dir created if missing). Refuses a shard holding
// NaN or inf (diverged: such a model is not checkpointed). Returns the file's reference.
// Errors: io_error naming the file.
Result<ShardFileRef> save_shard_file(const std::string& shard_dir, const ModelShard& shard, std::int64_t next_round,
                                     const std::string& tag);

// After a manifest naming `kept` was committed: removes every other shard file in shard_dir (older
// checkpoints', or those of one that failed before its commit). Files not named like shard files stay.
void remove_other_shard_files(const std::string& shard_dir, const std::vector<ShardFileRef>& kept);

// What the reader of a shard file expects (from the manifest).
struct ShardExpectation {
  int owner = 0;
  int owners = 1;
  std::vector<int> widths;
  std::int64_t next_round = 0;
  std::string tag;
  std::string checksum;
  MSGPACK_DEFINE(owner, owners, widths, next_round, tag, checksum)
};
// Reads and checks one shard file. Errors: not_found; corrupt_data naming the file: not a shard file, a
// checksum that disagrees with the contents or with the manifest's, another owner, round, tag or
// widths than expected, a tensor missing or mis-shaped, a value that is not finite.
Result<ModelShard> load_shard_file(const std::string& path, const ShardExpectation& expected);

// The full model of a partitioned checkpoint (a manifest from load_checkpoint), each shard file read in
// turn (one shard resident besides the model). Errors: as load_shard_file, naming the shard;
// invalid_argument when the manifest names no shard files.
Result<Mlp> assemble_checkpoint_model(const DriverCheckpoint& manifest);

// The expectation for manifest's shard `owner`.
ShardExpectation shard_expectation(const DriverCheckpoint& manifest, int owner);

}  // namespace ist::actors
