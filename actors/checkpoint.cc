#include "actors/checkpoint.h"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "ist/model_io.h"

namespace ist::actors {

namespace {
std::string hex_double(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%a", v);
  return text;
}
}  // namespace

Status save_checkpoint(const std::string& path, const DriverCheckpoint& c) {
  nlohmann::json cursors = nlohmann::json::array();
  for (const BatchCursor& cursor : c.cursors) {
    cursors.push_back({std::to_string(cursor.seed), cursor.epoch, cursor.position});
  }
  return save_model(path, c.model,
                    {{"checkpoint", "ist-driver"},
                     {"next_round", std::to_string(c.next_round)},
                     {"epochs_done", hex_double(c.epochs_done)},
                     {"generation", std::to_string(c.generation)},
                     {"num_shards", std::to_string(c.num_shards)},
                     {"cursors", cursors.dump()},
                     {"lost_examples", std::to_string(c.lost_examples)},
                     {"tag", c.tag}});
}

Result<DriverCheckpoint> load_checkpoint(const std::string& path) {
  IST_ASSIGN_OR_RETURN(TensorFile file, load_safetensors(path));
  DriverCheckpoint c;
  auto model = model_from_tensors(file);
  if (!model.ok()) return model.status().with_context(path);
  c.model = std::move(model).value();
  try {
    const auto& m = file.metadata;
    if (m.count("checkpoint") == 0 || m.at("checkpoint") != "ist-driver") {
      return Status::corrupt_data(path + ": not a driver checkpoint");
    }
    c.next_round = std::stoll(m.at("next_round"));
    c.epochs_done = std::strtod(m.at("epochs_done").c_str(), nullptr);
    c.generation = std::stoi(m.at("generation"));
    c.num_shards = std::stoi(m.at("num_shards"));
    c.lost_examples = std::stoll(m.at("lost_examples"));
    c.tag = m.at("tag");
    for (const auto& cursor : nlohmann::json::parse(m.at("cursors"))) {
      c.cursors.push_back(BatchCursor{std::stoull(cursor.at(0).get<std::string>()), cursor.at(1).get<std::int64_t>(),
                                      cursor.at(2).get<std::int64_t>()});
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
