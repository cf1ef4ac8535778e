#include "cli/run_progress.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

namespace ist::cli {

Result<RunProgress> read_run_progress(const std::string& dir) {
  RunProgress p;
  std::ifstream metrics(dir + "/metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // a line being written
    p.round = j.value("round", p.round);
    p.epochs = j.value("epochs", p.epochs);
    p.wall_seconds = j.value("wall_seconds", p.wall_seconds);
    p.live_workers = j.value("live_workers", p.live_workers);
    if (const auto it = j.find("examples_per_worker"); it != j.end() && it->is_array()) {
      p.examples_per_worker.clear();
      for (const auto& n : *it) p.examples_per_worker.push_back(n.is_number_integer() ? n.get<std::int64_t>() : 0);
    }
    if (const auto it = j.find("test_accuracy"); it != j.end() && it->is_number()) p.test_accuracy = it->get<double>();
  }
  std::ifstream config_file(dir + "/config.toml");
  if (config_file) {
    toml::table config;
    try {
      config = toml::parse(config_file, dir + "/config.toml");
    } catch (const toml::parse_error& e) {
      return Status::corrupt_data(dir + "/config.toml: " + std::string(e.description()));
    }
    const std::int64_t rounds = config["algorithm"]["rounds"].value_or(std::int64_t{0});
    const double epochs = config["algorithm"]["epochs"].value_or(0.0);
    if (rounds > 0) {
      p.planned_rounds = rounds;
      p.done = std::min(1.0, static_cast<double>(p.round) / static_cast<double>(rounds));
    } else if (epochs > 0.0) {
      p.planned_epochs = epochs;
      p.done = std::min(1.0, p.epochs / epochs);
    }
  }
  if (p.done && *p.done > 0.0 && p.wall_seconds > 0.0) p.eta_seconds = p.wall_seconds * (1.0 - *p.done) / *p.done;
  return p;
}

}  // namespace ist::cli
