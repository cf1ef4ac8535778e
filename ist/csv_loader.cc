// CSV data sets: one example per line, an integer label column and float feature columns. The file is
// read twice, line by line: once to count its rows, then parsed straight into a matrix of that size, so
// the features are held once (a shard's rows are then copied out of it).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "ist/data.h"
#include "ist/regular_file.h"

namespace ist {
namespace {

// Labels must be exact as both float and int32; this also bounds num_classes.
constexpr double kLabelLimit = 16777216.0;  // 2^24

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

// A finite number filling the whole field, or nothing.
std::optional<double> parse_number(std::string_view field) {
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);
  double value = 0.0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size() || field.empty() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// The index of the header's column called `name`. Errors: invalid_argument naming the column.
Result<std::size_t> column_named(const std::string& path, const std::string& header, const std::string& name) {
  const std::vector<std::string_view> names = split_fields(header);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  const std::string_view line = trim(header);
  const std::string shown = line.size() > 80 ? std::string(line.substr(0, 77)) + "..." : std::string(line);
  return Status::invalid_argument(path + ":1: no column named '" + name + "' among the header's " +
                                  std::to_string(names.size()) + " columns (" + shown + ")");
}

// The data rows of the file: its lines that are not blank, the header's excepted.
Result<std::size_t> count_data_rows(const std::string& path, bool has_header) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error(path + ": cannot open");
  std::size_t rows = 0;
  bool first = true;
  for (std::string line; std::getline(in, line); first = false) {
    if (first && has_header) continue;
    if (!trim(line).empty()) ++rows;
  }
  if (in.bad()) return Status::io_error(path + ": read failed");
  return rows;
}

}  // namespace

Result<Dataset> load_csv_dataset(const std::string& path, const CsvOptions& options,
                                 const std::optional<ShardSpec>& shard) {
  if (options.label_column < 0) {
    return Status::invalid_argument(path + ": label column " + std::to_string(options.label_column) +
                                    " is negative");
  }
  IST_RETURN_IF_ERROR(check_regular_file(path));
  IST_ASSIGN_OR_RETURN(const std::size_t counted_rows, count_data_rows(path, options.has_header));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error(path + ": cannot open");

  Matrix all;  // the features of every row, sized by the first data row's width
  std::size_t row = 0;  // data rows parsed so far
  std::vector<std::int32_t> labels;
  labels.reserve(counted_rows);
  std::size_t width = 0;  // columns per row, fixed by the first data row
  std::int32_t max_label = 0;
  std::string line;
  std::int64_t line_number = 0;
  const auto where = [&](std::size_t column) {
    return path + ":" + std::to_string(line_number) + ": column " + std::to_string(column + 1) + ": ";
  };
  std::size_t label_column = static_cast<std::size_t>(options.label_column);
  while (std::getline(in, line)) {
    ++line_number;
    if (line_number == 1 && options.has_header) {
      if (!options.label_name.empty() && !options.label_last && !options.no_labels) {
        IST_ASSIGN_OR_RETURN(label_column, column_named(path, line, options.label_name));
      }
      continue;
    }
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> fields = split_fields(line);
    if (width == 0) {
      width = fields.size();
      if (options.label_last) label_column = width - 1;
      if (options.no_labels) label_column = width;  // no column is the label
      if (label_column >= width && !options.no_labels) {
        return Status::corrupt_data(path + ":" + std::to_string(line_number) + ": the row has " +
                                    std::to_string(width) + " columns, so there is no label column " +
                                    std::to_string(label_column + 1));
      }
      if (width < 2 && !options.no_labels) {
        return Status::corrupt_data(path + ":" + std::to_string(line_number) +
                                    ": the row has no feature columns besides the label");
      }
      all.resize(static_cast<Index>(counted_rows), static_cast<Index>(options.no_labels ? width : width - 1));
    } else if (fields.size() != width) {
      return Status::corrupt_data(path + ":" + std::to_string(line_number) + ": the row has " +
                                  std::to_string(fields.size()) + " columns, earlier rows have " +
                                  std::to_string(width));
    }
    if (row == counted_rows) return Status::io_error(path + ": the file grew while it was being read");
    float* features_of_row = all.row(static_cast<Index>(row)).data();
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::optional<double> number = parse_number(fields[c]);
      if (!number.has_value()) {
        return Status::corrupt_data(where(c) + "'" + std::string(fields[c]) + "' is not a finite number");
      }
      if (c == label_column) {
        if (*number < 0.0 || *number != std::floor(*number) || *number >= kLabelLimit) {
          return Status::corrupt_data(where(c) + "label '" + std::string(fields[c]) +
                                      "' is not an integer in [0, 2^24)");
        }
        const auto label = static_cast<std::int32_t>(*number);
        labels.push_back(label);
        max_label = std::max(max_label, label);
      } else {
        *features_of_row++ = static_cast<float>(*number) * options.feature_scale;
      }
    }
    ++row;
  }
  if (in.bad()) return Status::io_error(path + ": read failed");
  if (row != counted_rows) return Status::io_error(path + ": the file shrank while it was being read");
  const std::size_t all_rows = row;
  if (all_rows == 0) return Status::corrupt_data(path + ": no examples (the file is empty)");
  if (options.no_labels && shard.has_value()) return Status::invalid_argument(path + ": a set without labels cannot be sharded");
  Dataset data;
  data.num_classes = options.no_labels ? 0 : max_label + 1;  // of the whole file, so every shard agrees
  data.origin = path;
  if (!shard.has_value()) {
    data.features = std::move(all);
    data.labels = std::move(labels);
    return data;
  }
  auto selected = shard_indices(labels, *shard);
  if (!selected.ok()) return selected.status().with_context(path);
  data.origin_rows = std::move(selected).value();
  data.features.resize(static_cast<Index>(data.origin_rows.size()), all.cols());
  data.labels.reserve(data.origin_rows.size());
  for (std::size_t i = 0; i < data.origin_rows.size(); ++i) {
    const auto r = static_cast<std::size_t>(data.origin_rows[i]);
    data.features.row(static_cast<Index>(i)) = all.row(static_cast<Index>(r));
    data.labels.push_back(labels[r]);
  }
  return data;
}

}  // namespace ist
