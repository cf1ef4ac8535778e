// A decompressed copy of a gzip data file, kept once per host so that the trainers on it do not each
// inflate the whole file (Fashion-MNIST's training images: 26 MB of gzip, about 0.28 CPU-s per trainer,
// whose shard is a seeded random tenth to half of the rows, spread over the whole file).
//
// The copy is named by the source's absolute path, size and modification time, so a changed source gets
// a new copy (older copies of the same source are removed). Before each use it is checked against the
// source's gzip trailer (length and CRC-32 of the data), so a truncated or damaged copy is rebuilt, never
// read. It is built under an exclusive lock on a file beside it and written to a temporary file renamed
// into place, so trainers starting at once on one host inflate the file once and none reads half a copy;
// the lock dies with its holder. A cache that cannot be used is never an error for a load: the loader
// reads the source itself.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace ist {

// The cache's folder: $IST_DATA_CACHE if set ("" or "off": no cache), else $XDG_CACHE_HOME/ist/data, else
// $HOME/.cache/ist/data; nothing when none applies. Any thread.
std::optional<std::string> default_data_cache_dir();

struct DecompressedCopy {
  std::string path;    // a plain file holding the source's decompressed bytes, verified just now
  bool built = false;  // false: an existing copy was used
};

// A verified decompressed copy of gz_path in cache_dir (created if missing), built when there is none or
// it does not verify. Errors: io_error / invalid_argument naming what failed (the folder cannot be made,
// the source is not a single-member gzip file whose trailer the data matches, a write fails). Blocks while
// another process builds the same copy. Any thread.
Result<DecompressedCopy> decompressed_copy(const std::string& gz_path, const std::string& cache_dir);

}  // namespace ist
