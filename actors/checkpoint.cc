#include "actors/checkpoint.h"

#include <cerrno>
#include <filesystem>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "actors/checkpoint_text.h"
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

std::optional<double> whole_hex_double(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.front() == '\t' || text.front() == '\n') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno != 0) return std::nullopt;
  return value;
}

// A manifest's list of shard files: [[owner, file, checksum], ...], owners 0..O-1 in order, each file named
// as shard_file_name says for its owner (so a manifest cannot point anywhere else).
Result<std::vector<ShardFileRef>> parse_shard_list(const std::string& path, const std::string& text,
                                                    std::int64_t next_round) {
  std::vector<ShardFileRef> shards;
  try {
    const nlohmann::json list = nlohmann::json::parse(text);
    if (!list.is_array() || list.empty()) throw std::invalid_argument("not a list of shard files");
    for (const auto& entry : list) {
      if (!entry.is_array() || entry.size() != 3) throw std::invalid_argument("entry " + entry.dump());
      if (!entry.at(0).is_number_integer() || !entry.at(1).is_string() || !entry.at(2).is_string()) {
        throw std::invalid_argument("entry " + entry.dump());
      }
      const auto owner = entry.at(0).get<std::int64_t>();
      if (owner < 0 || owner > (1 << 20)) throw std::invalid_argument("owner " + std::to_string(owner));
      shards.push_back(ShardFileRef{static_cast<int>(owner), entry.at(1).get<std::string>(), entry.at(2).get<std::string>()});
    }
  } catch (const std::exception& e) {
    return Status::corrupt_data(path + ": malformed shard list in the manifest (" + e.what() + ")");
  }
  IST_RETURN_IF_ERROR(check_shard_files(shards, next_round).with_context(path + ": the manifest"));
  return shards;
}

}  // namespace

Status save_checkpoint(const std::string& path, const DriverCheckpoint& c) {
  nlohmann::json cursors = nlohmann::json::array();
  for (const BatchCursor& cursor : c.cursors) {
    cursors.push_back({std::to_string(cursor.seed), cursor.epoch, cursor.position});
  }
  std::map<std::string, std::string> metadata{{"checkpoint", "ist-driver"},
                                              {"next_round", std::to_string(c.next_round)},
                                              {"epochs_done", hex_double(c.epochs_done)},
                                              {"generation", std::to_string(c.generation)},
                                              {"num_shards", std::to_string(c.num_shards)},
                                              {"cursors", cursors.dump()},
                                              {"lost_examples", std::to_string(c.lost_examples)},
                                              {"tag", c.tag}};
  std::vector<TensorView> tensors;
  if (c.shards.empty()) {
    // Written from the model's own memory: a checkpoint allocates nothing model-sized.
    tensors = model_tensor_views(c.model);
    metadata = model_file_metadata(c.model, std::move(metadata));
  } else {
    nlohmann::json shards = nlohmann::json::array();
    for (const ShardFileRef& s : c.shards) shards.push_back({s.owner, s.file, s.checksum});
    metadata["model_owner"] = "partitioned";
    metadata["widths"] = widths_text(c.widths);
    metadata["shards"] = shards.dump();
  }
  metadata[kChecksumKey] = checksum_text(tensor_file_crc32(tensors, metadata, kChecksumKey));
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
  const std::string computed = checksum_text(tensor_file_crc32(file, kChecksumKey));
  if (stored->second != computed) {
    return Status::corrupt_data(path + ": checksum mismatch (stored " + stored->second + ", contents give " + computed +
                                "): the file is damaged");
  }
  DriverCheckpoint c;
  const auto int64 = [](const std::string& s) { return whole_integer<std::int64_t>(s); };
  const auto int32 = [](const std::string& s) { return whole_integer<int>(s); };
  IST_ASSIGN_OR_RETURN(c.next_round, metadata_field(path, m, "next_round", int64));
  if (m.count("model_owner") != 0) {
    if (m.at("model_owner") != "partitioned" || !file.tensors.empty()) {
      return Status::corrupt_data(path + ": not a manifest of partitioned ownership");
    }
    IST_ASSIGN_OR_RETURN(c.widths, metadata_field(path, m, "widths", parse_widths_text));
    if (c.widths.size() < 3) return Status::corrupt_data(path + ": a partitioned model has a hidden layer; the manifest's has none");
    if (m.count("shards") == 0) return Status::corrupt_data(path + ": checkpoint field 'shards' is missing");
    IST_ASSIGN_OR_RETURN(c.shards, parse_shard_list(path, m.at("shards"), c.next_round));
    c.shard_dir = shard_directory(std::filesystem::absolute(path).lexically_normal().string());
  } else {
    auto model = model_from_tensors(file);
    if (!model.ok()) return model.status().with_context(path);
    c.model = std::move(model).value();
    if (const auto bad = first_non_finite(c.model)) {
      return Status::corrupt_data(path + ": the checkpoint's " + *bad + " is not finite");
    }
    c.widths = c.model.widths();
  }
  IST_ASSIGN_OR_RETURN(c.epochs_done, metadata_field(path, m, "epochs_done", whole_hex_double));
  IST_ASSIGN_OR_RETURN(c.generation, metadata_field(path, m, "generation", int32));
  IST_ASSIGN_OR_RETURN(c.num_shards, metadata_field(path, m, "num_shards", int32));
  IST_ASSIGN_OR_RETURN(c.lost_examples, metadata_field(path, m, "lost_examples", int64));
  if (m.count("tag") == 0) return Status::corrupt_data(path + ": checkpoint field 'tag' is missing");
  c.tag = m.at("tag");
  if (m.count("cursors") == 0) return Status::corrupt_data(path + ": checkpoint field 'cursors' is missing");
  try {
    for (const auto& cursor : nlohmann::json::parse(m.at("cursors"))) {
      const auto seed = whole_integer<std::uint64_t>(cursor.at(0).get<std::string>());
      if (!seed || cursor.size() != 3) throw std::invalid_argument("cursor " + cursor.dump());
      // Integers only: a JSON float out of int64's range would be undefined behaviour to convert.
      if (!cursor.at(1).is_number_integer() || !cursor.at(2).is_number_integer()) throw std::invalid_argument("cursor " + cursor.dump());
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
