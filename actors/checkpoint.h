// Driver checkpoints: everything a driver needs to continue a run as if it had never stopped — the
// model, the next round, the epochs done, the data cut (generation, shard count) and every shard's batch
// cursor, the data lost so far — plus a tag (the config's hash) so a run never resumes under another
// config. One safetensors file (the model's tensors, the rest as metadata), written atomically: write,
// fsync, rename. Doubles are stored as hexadecimal floats so a resumed run continues bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"

namespace ist::actors {

struct DriverCheckpoint {
  Mlp model;
  std::int64_t next_round = 0;  // rounds completed
  double epochs_done = 0.0;
  int generation = 0;  // how many times the data was re-cut
  int num_shards = 0;
  std::vector<BatchCursor> cursors;  // one per shard of the current cut
  std::int64_t lost_examples = 0;    // private placement: examples that left with their workers
  std::string tag;                   // the config hash
};

Status save_checkpoint(const std::string& path, const DriverCheckpoint& checkpoint);
// Errors: not_found, corrupt_data (naming the missing or malformed field).
Result<DriverCheckpoint> load_checkpoint(const std::string& path);

}  // namespace ist::actors
