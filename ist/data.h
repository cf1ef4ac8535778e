// Data sets for training: the IDX format of (Fashion-)MNIST (gzip or plain), CSV, sharding into W shards
// (iid or label-skewed), and a seeded batch cursor. A trainer loads only its own shard: the shard is
// decided from the labels alone, and only that shard's feature rows are kept in memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/tensor.h"

namespace ist {

struct Dataset {
  Matrix features;                   // (examples x features), float32
  std::vector<std::int32_t> labels;  // one class index per example, in [0, num_classes)
  int num_classes = 0;
  // Where the examples came from, for error messages: the labels file (IDX) or the CSV file, and for a
  // shard each row's example index in that file (empty: row i is example i). Empty origin: made in memory.
  std::string origin;
  std::vector<std::int64_t> origin_rows;
  Index size() const { return features.rows(); }
  Index feature_count() const { return features.cols(); }
  // The example index in the origin file of row `row`.
  std::int64_t example_index(Index row) const {
    return origin_rows.empty() ? static_cast<std::int64_t>(row) : origin_rows[static_cast<std::size_t>(row)];
  }
};

// ok when every label is in [0, classes), the model's output width. Errors: invalid_argument naming the
// origin file (when known) and the example index of the first label outside, e.g. "d/train-labels-idx1-ubyte: example
// 1234 has label 200, but the model has 10 outputs (labels 0 to 9)". Reads every label once.
Status check_labels(const Dataset& data, int classes);

enum class ShardPolicy {
  kIid,        // a seeded random permutation cut into W near-equal parts
  kLabelSkew,  // examples sorted by label (ties in seeded random order) and cut into W contiguous parts:
               // each shard sees only a few classes (non-iid)
};

// A seeded share of a file's examples kept out of training to test on (data.holdout), for data without a
// test file. Which examples depends on the fraction, the seed and the example count only, so the driver's
// test set and every trainer's shard are disjoint without any coordination, in process or distributed.
struct Holdout {
  double fraction = 0.0;  // in (0, 1): round(fraction x examples) are held out; 0: none
  std::uint64_t seed = 0;
  bool held_out_part = false;  // select the held-out examples (the test set) instead of the rest
};

struct ShardSpec {
  int shard = 0;       // which shard, in [0, num_shards)
  int num_shards = 1;  // W
  ShardPolicy policy = ShardPolicy::kIid;
  std::uint64_t seed = 0;
  Holdout holdout = {};  // with a fraction: the shards cut the examples not held out (or, held_out_part, those)
};

// Indices (ascending) of the examples that belong to spec.shard. Shard sizes differ by at most one.
// With a holdout, the held-out examples (a seeded random round(fraction x n) of them) are in no shard:
// the shards cut the rest exactly as they would cut a file of only those, and held_out_part selects the
// held-out examples themselves (the shard and num_shards are then not used).
// Errors: invalid_argument if num_shards < 1, shard out of range, more shards than examples, or a holdout
// fraction outside (0, 1) or one that leaves either part empty (naming data.holdout).
Result<std::vector<std::int64_t>> shard_indices(const std::vector<std::int32_t>& labels, const ShardSpec& spec);

enum class Split { kTrain, kTest };

// Loads Fashion-MNIST (or MNIST) from a directory holding train-images-idx3-ubyte[.gz],
// train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz].
// Pixels are scaled to [0, 1]. With a shard spec only that shard's rows are kept (labels are read
// whole, images are streamed); num_classes is still that of the whole file, so all shards agree.
// Errors name the file and the problem: not_found (missing file), invalid_argument (not a regular file:
// a FIFO would block forever), corrupt_data (wrong magic number, truncated data, image and label counts
// that disagree). Labels are bytes, so any value 0..255; check_labels tells whether they fit a model.
Result<Dataset> load_idx_dataset(const std::string& directory, Split split,
                                 const std::optional<ShardSpec>& shard = std::nullopt);

// Loads one images file and one labels file in IDX format (gzip-compressed or not, decided by content).
Result<Dataset> load_idx_files(const std::string& images_path, const std::string& labels_path,
                               const std::optional<ShardSpec>& shard = std::nullopt);

struct CsvOptions {
  int label_column = 0;       // which column holds the integer class label
  bool has_header = false;    // skip the first line
  float feature_scale = 1.0f; // features are multiplied by this (e.g. 1/255 for pixel CSVs)
  std::string label_name;     // with has_header: the label column is the header's column of this name
  bool label_last = false;    // the label column is the last one (label_column and label_name unused)
  bool no_labels = false;     // every column is a feature: a set without labels (labels empty, num_classes 0)
};

// Loads a CSV file of numbers, one example per line; blank lines are skipped. num_classes = max label + 1
// over the whole file. For small data sets: the whole file is parsed before a shard's rows are picked.
// Errors name the file, the line and the column: not_found, invalid_argument (not a regular file),
// corrupt_data (a non-number, a row of another width, a negative or non-integer label, an empty file).
Result<Dataset> load_csv_dataset(const std::string& path, const CsvOptions& options = {},
                                 const std::optional<ShardSpec>& shard = std::nullopt);

// Where a seeded walk over a data set stands: epoch e visits a permutation of all rows seeded by
// (seed, e); position is the next row of that permutation. Plain data, so it can be checkpointed or sent.
struct BatchCursor {
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  std::int64_t position = 0;
  friend bool operator==(const BatchCursor&, const BatchCursor&) = default;
};

// Draws minibatches from a data set in seeded epochs. The whole state is the cursor: two samplers on the
// same data with equal cursors produce the same batches. Keeps a reference to data (must outlive it) and
// caches the current epoch's permutation. One thread at a time.
class BatchSampler {
 public:
  BatchSampler(const Dataset& data, BatchCursor start);
  // Fills x (batch x features) and y (batch) with the next batch and advances the cursor. An epoch's last
  // rows that do not fill a whole batch are skipped; the next epoch starts a new permutation.
  // REQUIRES: 0 < batch_size <= data.size().
  void next(int batch_size, Matrix& x, std::vector<std::int32_t>& y);
  const BatchCursor& cursor() const { return cursor_; }

 private:
  const Dataset& data_;
  BatchCursor cursor_;
  std::int64_t permutation_epoch_ = -1;
  std::vector<std::int64_t> permutation_;
};

}  // namespace ist
