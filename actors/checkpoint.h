// Driver checkpoints: everything a driver needs to continue a run as if it had never stopped — the
// model, the next round, the epochs done, the data cut (generation, shard count) and every shard's batch
// cursor, the data lost so far — plus a tag (the config's hash) so a run never resumes under another
// config. One safetensors file (the model's tensors, the rest as metadata), written atomically: write,
// fsync, rename. Doubles are stored as hexadecimal floats so a resumed run continues bit for bit. A CRC-32
// over the tensors and the metadata (ist/checksum.h) is stored with them and checked on load, so a
// damaged file is refused instead of resuming into a different run.
//
// Under partitioned ownership the file is a manifest instead: the same state, no tensors, and the names
// and checksums of the owners' shard files beside it (shard_checkpoint.h), committed after they are all
// written. load_checkpoint reads either kind; assemble_checkpoint_model makes the model of a manifest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "actors/shard_checkpoint.h"
#include "ist/mlp.h"

namespace ist::actors {

struct DriverCheckpoint {
  Mlp model;                  // empty in a manifest (shards not empty)
  std::vector<int> widths;    // the model's (load_checkpoint fills it for either kind)
  std::vector<ShardFileRef> shards;  // a manifest's shard files, one per owner in owner order
  std::string shard_dir;             // where they are (load_checkpoint fills it: beside the manifest)
  std::int64_t next_round = 0;  // rounds completed
  double epochs_done = 0.0;
  int generation = 0;  // how many times the data was re-cut
  int num_shards = 0;
  std::vector<BatchCursor> cursors;  // one per shard of the current cut
  std::int64_t lost_examples = 0;    // private placement: examples that left with their workers
  std::string tag;                   // the config hash
};

// Writes a model checkpoint, or a manifest when checkpoint.shards is not empty (then the model is not
// read; checkpoint.widths names the model's widths). Atomic. Errors: io_error.
Status save_checkpoint(const std::string& path, const DriverCheckpoint& checkpoint);
// Errors: not_found; corrupt_data naming the file and the problem: not a checkpoint, no checksum or one
// that disagrees with the contents (any flipped bit), a missing field, a number that is not exactly a
// number of its type ("12abc", " 12", an int field above 2^31), a non-finite weight, cursors that do not
// match the shard count; in a manifest, shard files not listed once per owner in order, or names that are
// not this format's (a manifest never points outside its shard folder).
Result<DriverCheckpoint> load_checkpoint(const std::string& path);

}  // namespace ist::actors
