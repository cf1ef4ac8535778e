#include "actors/checkpoint.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "ist/checksum.h"
#include "ist/model_io.h"

namespace ist::actors {

namespace {

constexpr const char* kChecksumKey = "checksum";

std::string hex_double(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%a", v);
  return text;
}

std::string crc_text(std::uint32_t crc) {
  char text[32];
  std::snprintf(text, sizeof(text), "crc32:%08x", crc);
  return text;
}

// Strict readers: the whole text must be the number (no sign where none belongs, no spaces, no trailing
// bytes), so a damaged digit or an appended byte is an error, not a different value.
template <typename T>
std::optional<T> whole_integer(const std::string& text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> whole_hex_double(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.front() == '\t' || text.front() == '\n') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno != 0) return std::nullopt;
  return value;
}

// The metadata value of `key` read by `parse`; corrupt_data naming the field otherwise.
template <typename Parse>
auto field(const std::string& path, const std::map<std::string, std::string>& m, const std::string& key, Parse parse)
    -> Result<typename decltype(parse(std::string()))::value_type> {
  const auto it = m.find(key);
  if (it == m.end()) return Status::corrupt_data(path + ": checkpoint field '" + key + "' is missing");
  auto value = parse(it->second);
  if (!value) return Status::corrupt_data(path + ": checkpoint field '" + key + "' is malformed: '" + it->second + "'");
  return *value;
}

}  // namespace

Status save_checkpoint(const std::string& path, const DriverCheckpoint& c) {
  nlohmann::json cursors = nlohmann::json::array();
  for (const BatchCursor& cursor : c.cursors) {
    cursors.push_back({std::to_string(cursor.seed), cursor.epoch, cursor.position});
  }
  // Written from the model's own memory: a checkpoint allocates nothing model-sized.
  const std::vector<TensorView> tensors = model_tensor_views(c.model);
  std::map<std::string, std::string> metadata = model_file_metadata(c.model, {{"checkpoint", "ist-driver"},
                                               {"next_round", std::to_string(c.next_round)},
                                               {"epochs_done", hex_double(c.epochs_done)},
                                               {"generation", std::to_string(c.generation)},
                                               {"num_shards", std::to_string(c.num_shards)},
                                               {"cursors", cursors.dump()},
                                               {"lost_examples", std::to_string(c.lost_examples)},
                                               {"tag", c.tag}});
  metadata[kChecksumKey] = crc_text(tensor_file_crc32(tensors, metadata, kChecksumKey));
  return save_safetensors(path, tensors, metadata);
}

Result<DriverCheckpoint> load_checkpoint(const std::string& path) {
  IST_ASSIGN_OR_RETURN(TensorFile file, load_safetensors(path));
  const auto& m = file.metadata;
  if (m.count("checkpoint") == 0 || m.at("checkpoint") != "ist-driver") {
    return Status::corrupt_data(path + ": not a driver checkpoint");
  }
  // Before anything is read from it: a damaged file must not resume into a silently different run.
  const auto stored = m.find(kChecksumKey);
  if (stored == m.end()) return Status::corrupt_data(path + ": the checkpoint carries no checksum");
  const std::string computed = crc_text(tensor_file_crc32(file, kChecksumKey));
  if (stored->second != computed) {
    return Status::corrupt_data(path + ": checksum mismatch (stored " + stored->second + ", contents give " + computed +
                                "): the file is damaged");
  }
  DriverCheckpoint c;
  auto model = model_from_tensors(file);
  if (!model.ok()) return model.status().with_context(path);
  c.model = std::move(model).value();
  if (const auto bad = first_non_finite(c.model)) {
    return Status::corrupt_data(path + ": the checkpoint's " + *bad + " is not finite");
  }
  const auto int64 = [](const std::string& s) { return whole_integer<std::int64_t>(s); };
  const auto int32 = [](const std::string& s) { return whole_integer<int>(s); };
  IST_ASSIGN_OR_RETURN(c.next_round, field(path, m, "next_round", int64));
  IST_ASSIGN_OR_RETURN(c.epochs_done, field(path, m, "epochs_done", whole_hex_double));
  IST_ASSIGN_OR_RETURN(c.generation, field(path, m, "generation", int32));
  IST_ASSIGN_OR_RETURN(c.num_shards, field(path, m, "num_shards", int32));
  IST_ASSIGN_OR_RETURN(c.lost_examples, field(path, m, "lost_examples", int64));
  if (m.count("tag") == 0) return Status::corrupt_data(path + ": checkpoint field 'tag' is missing");
  c.tag = m.at("tag");
  if (m.count("cursors") == 0) return Status::corrupt_data(path + ": checkpoint field 'cursors' is missing");
  try {
    for (const auto& cursor : nlohmann::json::parse(m.at("cursors"))) {
      const auto seed = whole_integer<std::uint64_t>(cursor.at(0).get<std::string>());
      if (!seed || cursor.size() != 3) throw std::invalid_argument("cursor " + cursor.dump());
      c.cursors.push_back(BatchCursor{*seed, cursor.at(1).get<std::int64_t>(), cursor.at(2).get<std::int64_t>()});
    }
  } catch (const std::exception& e) {
    return Status::corrupt_data(path + ": malformed checkpoint metadata (" + e.what() + ")");
  }
  if (c.num_shards < 1 || static_cast<int>(c.cursors.size()) != c.num_shards || c.next_round < 0) {
    return Status::corrupt_data(path + ": checkpoint holds " + std::to_string(c.cursors.size()) + " cursors for " +
                                std::to_string(c.num_shards) + " shards");
  }
  return c;
}

}  // namespace ist::actors
