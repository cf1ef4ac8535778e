#include "ist/data_source.h"

#include <fstream>
#include <string_view>
#include <vector>

#include "ist/npy_data.h"
#include "ist/regular_file.h"

namespace ist {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
  return s.substr(start);
}

// The CSV options for a file whose first row names the columns: the label column by name, or the last.
Result<CsvOptions> csv_options(const std::string& path, const std::string& label_column) {
  IST_RETURN_IF_ERROR(check_regular_file(path));  // a FIFO would block the read below forever
  std::ifstream in(path);
  std::string header;
  if (!in || !std::getline(in, header)) return Status::not_found(path + ": no such file, or it is empty");
  std::vector<std::string> names;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = header.find(',', start);
    names.push_back(trim(header.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  CsvOptions options;
  options.has_header = true;
  options.label_column = static_cast<int>(names.size()) - 1;
  if (!label_column.empty()) {
    options.label_column = -1;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == label_column) options.label_column = static_cast<int>(i);
    }
    if (options.label_column < 0) {
      const std::string shown = header.size() > 80 ? header.substr(0, 77) + "..." : header;
      return Status::invalid_argument(path + ":1: no column named '" + label_column + "' among the header's " +
                                      std::to_string(names.size()) + " columns (" + shown + ")");
    }
  }
  return options;
}

}  // namespace

bool per_worker_files(const DataSource& source) { return source.path.find("{worker}") != std::string::npos; }

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
  for (const char* format : {"csv", "npy", "npz"}) {
    if (ends_with(source.path, std::string(".") + format)) return std::string(format);
  }
  return std::string("idx");
}

Status check_data_source(const DataSource& source) {
  IST_ASSIGN_OR_RETURN(std::string format, data_format(source));
  if (source.path.empty()) return Status::invalid_argument("data.path: must not be empty");
  if (format == "idx") return Status::ok_status();
  if (source.test_path.empty()) return Status::invalid_argument("data.test_path: a " + format + " data set needs its test file");
  if (format == "npy" && source.labels_path.empty()) return Status::invalid_argument("data.labels_path: .npy features need their labels file");
  if (format == "npy" && source.test_labels_path.empty()) {
    return Status::invalid_argument("data.test_labels_path: .npy test features need their labels file");
  }
  return Status::ok_status();
}

Result<Dataset> load_dataset(const DataSource& source, Split split, const std::optional<ShardSpec>& shard) {
  IST_ASSIGN_OR_RETURN(std::string format, data_format(source));
  const bool train = split == Split::kTrain;
  if (format == "idx") return load_idx_dataset(source.path, split, shard);
  const std::string& file = train ? source.path : source.test_path;
  if (file.empty()) return Status::invalid_argument(train ? "data.path: must not be empty" : "data.test_path: a " + format + " data set needs its test file");
  if (format == "npy" && (train ? source.labels_path : source.test_labels_path).empty()) {
    return Status::invalid_argument(train ? "data.labels_path: .npy features need their labels file"
                                          : "data.test_labels_path: .npy test features need their labels file");
  }
  if (format == "npz") return load_npz_dataset(file, source.features_key, source.labels_key, shard);
  if (format == "npy") return load_npy_dataset(file, train ? source.labels_path : source.test_labels_path, shard);
  IST_ASSIGN_OR_RETURN(CsvOptions options, csv_options(file, source.label_column));
  return load_csv_dataset(file, options, shard);
}

}  // namespace ist
