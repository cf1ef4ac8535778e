// safetensors for float32 tensors. The header is strict in the way the reference implementation is:
// every tensor's bytes lie inside the data section, byte ranges tile it exactly (no overlap, no gap, no
// trailing bytes), and each range holds exactly shape-product floats.
#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "ist/safetensors.h"

namespace ist {
namespace {

// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 60;

void put_u64_le(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint64_t get_u64_le(const unsigned char* bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// Hands the values to append as little-endian float32: as they are on little-endian hosts, else through a
// small byte-swapped buffer (never a copy of the whole tensor).
Status append_floats_le(const AppendBytes& append, std::span<const float> values) {
  if (values.empty()) return Status::ok_status();
  if constexpr (std::endian::native == std::endian::little) {
    return append(values.data(), values.size() * sizeof(float));
  } else {
    constexpr std::size_t kChunk = 16384;
    std::vector<std::uint32_t> swapped;
    for (std::size_t start = 0; start < values.size(); start += kChunk) {
      const std::size_t n = std::min(kChunk, values.size() - start);
      swapped.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto u = std::bit_cast<std::uint32_t>(values[start + i]);
        swapped[i] = (u >> 24) | ((u >> 8) & 0xFF00) | ((u << 8) & 0xFF0000) | (u << 24);
      }
      IST_RETURN_IF_ERROR(append(swapped.data(), n * sizeof(std::uint32_t)));
    }
    return Status::ok_status();
  }
}

std::vector<float> read_floats_le(const unsigned char* bytes, std::size_t count) {
  std::vector<float> values(count);
  if (count == 0) return values;
  std::memcpy(values.data(), bytes, count * sizeof(float));
  if constexpr (std::endian::native == std::endian::big) {
    for (float& v : values) {
      auto u = std::bit_cast<std::uint32_t>(v);
      u = (u >> 24) | ((u >> 8) & 0xFF00) | ((u << 8) & 0xFF0000) | (u << 24);
      v = std::bit_cast<float>(u);
    }
  }
  return values;
}

// Product of dims, or nothing if a dim is negative or the product overflows kMaxElements.
std::optional<std::uint64_t> element_count(const std::vector<std::int64_t>& shape) {
  std::uint64_t count = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return std::nullopt;
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && count > kMaxElements / u) return std::nullopt;
    count *= u;
  }
  return count;
}

struct Entry {
  NamedTensor tensor;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

Result<Entry> parse_entry(const std::string& path, const std::string& name, const nlohmann::json& info) {
  const std::string where = path + ": tensor '" + name + "': ";
  if (!info.is_object()) return Status::corrupt_data(where + "header entry is not a JSON object");
  const auto dtype = info.find("dtype");
  if (dtype == info.end() || !dtype->is_string()) return Status::corrupt_data(where + "no dtype string");
  if (dtype->get<std::string>() != "F32") {
    return Status::corrupt_data(where + "dtype " + dtype->get<std::string>() + " is not supported (only F32)");
  }
  const auto shape = info.find("shape");
  if (shape == info.end() || !shape->is_array()) return Status::corrupt_data(where + "no shape array");
  Entry entry;
  entry.tensor.name = name;
  for (const auto& dim : *shape) {
    if (!dim.is_number_unsigned() || dim.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxElements)) {
      return Status::corrupt_data(where + "shape " + shape->dump() + " is not a list of non-negative integers");
    }
    entry.tensor.shape.push_back(static_cast<std::int64_t>(dim.get<std::uint64_t>()));
  }
  const std::optional<std::uint64_t> count = element_count(entry.tensor.shape);
  if (!count.has_value()) return Status::corrupt_data(where + "shape " + shape->dump() + " is too large");
  const auto offsets = info.find("data_offsets");
  if (offsets == info.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned()) {
    return Status::corrupt_data(where + "data_offsets is not a pair of non-negative integers");
  }
  entry.begin = (*offsets)[0].get<std::uint64_t>();
  entry.end = (*offsets)[1].get<std::uint64_t>();
  if (entry.end < entry.begin) {
    return Status::corrupt_data(where + "data_offsets " + offsets->dump() + " end before they begin");
  }
  if (entry.end - entry.begin != *count * sizeof(float)) {
    return Status::corrupt_data(where + "shape " + shape->dump() + " needs " + std::to_string(*count * 4) +
                                " bytes but data_offsets " + offsets->dump() + " span " +
                                std::to_string(entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

std::vector<TensorView> views_of(const TensorFile& file) {
  std::vector<TensorView> views;
  for (const NamedTensor& t : file.tensors) views.push_back(TensorView{t.name, t.shape, t.values});
  return views;
}

Status save_safetensors(const std::string& path, const TensorFile& file) {
  return save_safetensors(path, views_of(file), file.metadata);
}

Status save_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) fields[key] = value;
    header["__metadata__"] = std::move(fields);
  }
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const TensorView& t : tensors) {
    const std::string where = path + ": tensor '" + t.name + "': ";
    if (t.name.empty()) return Status::invalid_argument(path + ": a tensor has an empty name");
    if (t.name == "__metadata__") return Status::invalid_argument(where + "the name is reserved");
    if (!names.insert(t.name).second) return Status::invalid_argument(where + "the name appears twice");
    const std::optional<std::uint64_t> count = element_count(t.shape);
    if (!count.has_value() || *count != t.values.size()) {
      return Status::invalid_argument(where + "shape " + nlohmann::json(t.shape).dump() + " does not hold " +
                                      std::to_string(t.values.size()) + " values");
    }
    const std::uint64_t bytes = *count * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json;
  try {
    json = header.dump();
  } catch (const nlohmann::json::exception& e) {  // e.g. a name or metadata that is not valid UTF-8
    return Status::invalid_argument(path + ": cannot encode the header: " + e.what());
  }
  json.append((8 - json.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned
  std::string head;
  put_u64_le(head, json.size());
  head += json;
  return write_file_atomically(path, [&](const AppendBytes& append) {
    IST_RETURN_IF_ERROR(append(head.data(), head.size()));
    for (const TensorView& t : tensors) IST_RETURN_IF_ERROR(append_floats_le(append, t.values));
    return Status::ok_status();
  });
}

Result<TensorFile> load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Status::not_found(path + ": no such file");
    return Status::io_error(path + ": cannot open");
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::io_error(path + ": read failed");
  const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 8) {
    return Status::corrupt_data(path + ": " + std::to_string(bytes.size()) +
                                " bytes, shorter than the 8-byte header length");
  }
  const std::uint64_t header_size = get_u64_le(raw);
  if (header_size > bytes.size() - 8) {
    return Status::corrupt_data(path + ": header length " + std::to_string(header_size) + " runs past the end of the " +
                                std::to_string(bytes.size()) + "-byte file");
  }
  if (header_size > kMaxHeaderBytes) {
    return Status::corrupt_data(path + ": header length " + std::to_string(header_size) + " above the 100 MB limit");
  }
  const std::string_view header_text(bytes.data() + 8, static_cast<std::size_t>(header_size));
  // JSON text holds no raw NUL (strings escape it) and the padding is spaces; the JSON parser would stop
  // at a NUL and accept what came before it.
  if (header_text.find('\0') != std::string_view::npos) {
    return Status::corrupt_data(path + ": the header holds a NUL byte");
  }
  const nlohmann::json header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return Status::corrupt_data(path + ": the header is not valid JSON");
  if (!header.is_object()) return Status::corrupt_data(path + ": the header is not a JSON object");
  const std::uint64_t data_size = bytes.size() - 8 - header_size;
  const unsigned char* data = raw + 8 + header_size;

  TensorFile file;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) return Status::corrupt_data(path + ": __metadata__ is not a JSON object");
      for (const auto& [mkey, mvalue] : value.items()) {
        if (!mvalue.is_string()) {
          return Status::corrupt_data(path + ": __metadata__ value of '" + mkey + "' is not a string");
        }
        file.metadata[mkey] = mvalue.get<std::string>();
      }
      continue;
    }
    IST_ASSIGN_OR_RETURN(Entry entry, parse_entry(path, key, value));
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.tensor.name) < std::tie(b.begin, b.end, b.tensor.name);
  });
  std::uint64_t expected_begin = 0;
  for (const Entry& e : entries) {
    const std::string where = path + ": tensor '" + e.tensor.name + "': data_offsets [" + std::to_string(e.begin) +
                              ", " + std::to_string(e.end) + "] ";
    if (e.end > data_size) {
      return Status::corrupt_data(where + "run past the " + std::to_string(data_size) + "-byte data section");
    }
    if (e.begin < expected_begin) return Status::corrupt_data(where + "overlap another tensor");
    if (e.begin > expected_begin) {
      return Status::corrupt_data(where + "leave a gap after byte " + std::to_string(expected_begin));
    }
    expected_begin = e.end;
  }
  if (expected_begin != data_size) {
    return Status::corrupt_data(path + ": " + std::to_string(data_size - expected_begin) +
                                " bytes after the last tensor belong to none");
  }
  for (Entry& e : entries) {
    e.tensor.values = read_floats_le(data + e.begin, static_cast<std::size_t>((e.end - e.begin) / sizeof(float)));
    file.tensors.push_back(std::move(e.tensor));
  }
  return file;
}

}  // namespace ist
