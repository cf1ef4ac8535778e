// Where a run's data is and in which format: the one place that turns a config's [data] section into
// data sets. Formats: "idx" (a directory in the (Fashion-)MNIST layout), "csv" (a header row, a label
// column named in it or the last column), "npy" (features and labels in separate files, as np.save
// writes them), "npz" (one archive with named arrays, as np.savez writes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "ist/data.h"

namespace ist {

struct DataSource {
  std::string path = "/usr/share/datasets/fashion-mnist";  // idx: the directory; csv, npz: the training file; npy: the training features
  std::string format;        // "idx", "csv", "npy" or "npz"; empty: from the path's ending (.csv, .npy, .npz; else idx)
  std::string test_path;     // csv, npz: the test file; npy: the test features; empty for idx
  std::string labels_path;   // npy: the training labels
  std::string test_labels_path;  // npy: the test labels
  std::string features_key = "x";  // npz: the features array's name
  std::string labels_key = "y";    // npz: the labels array's name
  std::string label_column;        // csv: the header name of the label column; empty: the last column
  // With holdout in (0, 1) and no test file: the test set is a seeded share of the training file
  // (data.h's Holdout), the training set the rest. 0: none.
  double holdout = 0.0;
  std::uint64_t holdout_seed = 0;
};

// True when the training files are per worker: data.path holds "{worker}", which each trainer replaces by
// its index (0, 1, ...) to find its own files, e.g. "/data/shard-{worker}.npz". Such data is never cut:
// a trainer trains on its whole file (placement "private").
bool per_worker_files(const DataSource& source);
// True when every worker trains on the data its node was started with (`ist start --data PATH`): the
// path is empty (a config with placement "private" and no data.path). The driver reads only the test
// file, whose format data.format or test_path's ending tells. Such data is never cut either.
bool workers_own_data(const DataSource& source);
// `pattern` with every "{worker}" replaced by `worker`.
std::string file_of_worker(const std::string& pattern, int worker);

// The format `source` is in (of the test file for the workers' own data). Errors: invalid_argument naming
// an unknown format.
Result<std::string> data_format(const DataSource& source);

// Checks that every file the format needs is named. Errors: invalid_argument naming the missing key
// (e.g. "data.labels_path"), or both keys of a holdout given with a test file.
Status check_data_source(const DataSource& source);

// The training or test set (or a shard of the training set); only the files of that split need be named.
// With a holdout, the test set is the held-out part of the training file and the training set (and its
// shards) the rest.
// Errors: invalid_argument naming a missing key, or the reader's, naming the file.
Result<Dataset> load_dataset(const DataSource& source, Split split, const std::optional<ShardSpec>& shard = std::nullopt);

// For predictions: the features of one file (or an IDX directory's split), with its labels when it has
// them. `inputs` is the model's input count: a CSV row of exactly that many columns has no label; with one
// more, the label column is data.label_column (or the last). npy: no labels_path, no labels; npz: no
// labels_key array, no labels. A set without labels has labels empty and num_classes 0.
Result<Dataset> load_features(const DataSource& source, Split split, int inputs);

}  // namespace ist
