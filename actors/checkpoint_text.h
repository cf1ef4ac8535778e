// How checkpoint files (checkpoint.h, shard_checkpoint.h) write and strictly read their metadata values:
// the whole text must be the value (no sign where none belongs, no spaces, no trailing bytes), so a damaged
// digit or an appended byte is an error, not a different value.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "base/status.h"

namespace ist::actors {

// "crc32:xxxxxxxx", the form checksums are stored in.
std::string checksum_text(std::uint32_t crc);

template <typename T>
std::optional<T> whole_integer(const std::string& text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// "784,1024,10" and back; nothing for text that is not such a list of positive widths.
std::string widths_text(const std::vector<int>& widths);
std::optional<std::vector<int>> parse_widths_text(const std::string& text);

// The metadata value of `key` read by `parse` (returning an optional); corrupt_data naming the file, the
// field and its text otherwise.
template <typename Parse>
auto metadata_field(const std::string& path, const std::map<std::string, std::string>& m, const std::string& key,
                    Parse parse) -> Result<typename decltype(parse(std::string()))::value_type> {
  const auto it = m.find(key);
  if (it == m.end()) return Status::corrupt_data(path + ": checkpoint field '" + key + "' is missing");
  auto value = parse(it->second);
  if (!value) return Status::corrupt_data(path + ": checkpoint field '" + key + "' is malformed: '" + it->second + "'");
  return *value;
}

}  // namespace ist::actors
