#include "ist/data_source.h"

#include <string_view>

#include "ist/npy_data.h"

namespace ist {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool per_worker_files(const DataSource& source) { return source.path.find("{worker}") != std::string::npos; }

bool workers_own_data(const DataSource& source) { return source.path.empty(); }

std::string file_of_worker(const std::string& pattern, int worker) {
  std::string path = pattern;
  const std::string key = "{worker}";
  for (std::size_t at = path.find(key); at != std::string::npos; at = path.find(key, at)) {
    path.replace(at, key.size(), std::to_string(worker));
  }
  return path;
}

Result<std::string> data_format(const DataSource& source) {
  if (!source.format.empty()) {
    if (source.format == "idx" || source.format == "csv" || source.format == "npy" || source.format == "npz") {
      return source.format;
    }
    return Status::invalid_argument("data.format: expected idx, csv, npy or npz, got '" + source.format + "'");
  }
  // Told from the name alone: the files may exist only on the workers (another host, private data).
  const std::string& named = workers_own_data(source) ? source.test_path : source.path;
  for (const char* format : {"csv", "npy", "npz"}) {
    if (ends_with(named, std::string(".") + format)) return std::string(format);
  }
  return std::string("idx");
}

Status check_data_source(const DataSource& source) {
  IST_ASSIGN_OR_RETURN(std::string format, data_format(source));
  if (workers_own_data(source)) {
    // The workers check their own files as they load them; the driver needs only its test file.
    if (source.holdout != 0.0) {
      return Status::invalid_argument(
          "data.holdout: the workers' own data (no data.path: `ist start --data`) is read by the workers only, so "
          "nothing can be held out of it for the driver's test set: give data.test_path instead");
    }
    if (source.test_path.empty()) {
      return Status::invalid_argument(
          "data.test_path: with the workers' own data (data.placement = \"private\" and no data.path) the driver "
          "needs a test file");
    }
    if (format == "npy" && source.test_labels_path.empty()) {
      return Status::invalid_argument("data.test_labels_path: .npy test features need their labels file");
    }
    return Status::ok_status();
  }
  if (source.holdout != 0.0) {
    if (!(source.holdout > 0.0 && source.holdout < 1.0)) {
      return Status::invalid_argument("data.holdout: must be a fraction between 0 and 1 (exclusive)");
    }
    const char* test_key = !source.test_path.empty() ? "data.test_path" : !source.test_labels_path.empty() ? "data.test_labels_path" : nullptr;
    if (test_key != nullptr) {
      return Status::invalid_argument(std::string(test_key) + ": give either " + test_key +
                                      " (a test file) or data.holdout (a share of the training file), not both");
    }
    if (format == "npy" && source.labels_path.empty()) return Status::invalid_argument("data.labels_path: .npy features need their labels file");
    return Status::ok_status();
  }
  if (format == "idx") return Status::ok_status();
  if (source.test_path.empty()) return Status::invalid_argument("data.test_path: a " + format + " data set needs its test file");
  if (format == "npy" && source.labels_path.empty()) return Status::invalid_argument("data.labels_path: .npy features need their labels file");
  if (format == "npy" && source.test_labels_path.empty()) {
    return Status::invalid_argument("data.test_labels_path: .npy test features need their labels file");
  }
  return Status::ok_status();
}

Result<Dataset> load_dataset(const DataSource& source, Split split, const std::optional<ShardSpec>& shard) {
  if (source.holdout != 0.0) {
    // Both sets come from the training file: the test set is its held-out part, the training set the rest.
    ShardSpec spec = shard.value_or(ShardSpec{});
    spec.holdout = Holdout{source.holdout, source.holdout_seed, split == Split::kTest};
    DataSource whole = source;
    whole.holdout = 0.0;
    return load_dataset(whole, Split::kTrain, spec);
  }
  IST_ASSIGN_OR_RETURN(std::string format, data_format(source));
  const bool train = split == Split::kTrain;
  if (format == "idx") return load_idx_dataset(workers_own_data(source) ? source.test_path : source.path, split, shard);
  const std::string& file = train ? source.path : source.test_path;
  if (file.empty()) return Status::invalid_argument(train ? "data.path: must not be empty" : "data.test_path: a " + format + " data set needs its test file");
  if (format == "npy" && (train ? source.labels_path : source.test_labels_path).empty()) {
    return Status::invalid_argument(train ? "data.labels_path: .npy features need their labels file"
                                          : "data.test_labels_path: .npy test features need their labels file");
  }
  if (format == "npz") return load_npz_dataset(file, source.features_key, source.labels_key, shard);
  if (format == "npy") return load_npy_dataset(file, train ? source.labels_path : source.test_labels_path, shard);
  CsvOptions options;  // a header row names the columns; the label is the named column, or the last
  options.has_header = true;
  options.label_name = source.label_column;
  options.label_last = source.label_column.empty();
  return load_csv_dataset(file, options, shard);
}

Result<Dataset> load_features(const DataSource& source, Split split, int inputs) {
  IST_ASSIGN_OR_RETURN(std::string format, data_format(source));
  if (format == "idx") return load_idx_dataset(source.path, split);
  if (format == "npz") return load_npz_features(source.path, source.features_key, source.labels_key);
  if (format == "npy") return load_npy_features(source.path, source.labels_path);
  CsvOptions options;
  options.has_header = true;
  options.label_name = source.label_column;
  options.label_last = source.label_column.empty();
  auto with_label = load_csv_dataset(source.path, options);
  if (with_label.ok() && with_label->feature_count() == inputs) return with_label;
  options.no_labels = source.label_column.empty();  // a named label column must be there
  auto without = load_csv_dataset(source.path, options);
  if (without.ok() && without->feature_count() == inputs) return without;
  return with_label.ok() ? without : with_label;
}

}  // namespace ist
