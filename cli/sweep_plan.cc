#include "cli/sweep_plan.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/text_hash.h"
#include "ist/safetensors.h"  // write_file_atomically

namespace ist::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kPlanFile = "sweep.json";

// Splits on commas outside [...] and quotes.
std::vector<std::string> split_values(const std::string& text) {
  std::vector<std::string> values(1);
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      quote = c == quote ? 0 : quote;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      values.emplace_back();
      continue;
    }
    values.back() += c;
  }
  return values;
}

// The key as a directory name shows it: its last part, unless another swept key ends the same way.
std::string shown_key(const std::string& key, const std::vector<GridAxis>& grid) {
  const std::string last = key.substr(key.rfind('.') + 1);
  for (const GridAxis& other : grid) {
    if (other.key != key && other.key.substr(other.key.rfind('.') + 1) == last) return key;
  }
  return last;
}

// A value as a directory name can hold it: no '/', no quotes, no spaces.
std::string shown_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '"' || c == '\'' || c == ' ' || c == '\t') continue;
    out += c == '/' ? '_' : c;
  }
  return out;
}

}  // namespace

std::vector<std::string> SweepPoint::overrides() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values) out.push_back(key + "=" + value);
  out.push_back("seed=" + std::to_string(seed));
  return out;
}

std::string SweepPoint::setting() const {
  const std::size_t cut = dir_name.rfind(",seed=");
  if (cut != std::string::npos) return dir_name.substr(0, cut);
  return dir_name.rfind("seed=", 0) == 0 ? "(base config)" : dir_name;
}

Result<GridAxis> parse_grid_axis(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::invalid_argument("--grid '" + text + "': expected KEY=VALUE,VALUE,... (e.g. algorithm.learning_rate=0.01,0.03)");
  }
  GridAxis axis{text.substr(0, eq), split_values(text.substr(eq + 1))};
  for (const std::string& v : axis.values) {
    if (v.find_first_not_of(" \t") == std::string::npos) {
      return Status::invalid_argument("--grid '" + text + "': an empty value for " + axis.key);
    }
  }
  return axis;
}

Result<SweepPlan> plan_sweep(std::string config_path, std::vector<std::string> overrides,
                             std::vector<GridAxis> grid, int seeds, std::int64_t first_seed) {
  std::set<std::string> keys;
  for (const GridAxis& axis : grid) {
    if (!keys.insert(axis.key).second) return Status::invalid_argument("--grid " + axis.key + " is given twice");
    if (axis.key == "seed" && seeds > 1) {
      return Status::invalid_argument("--grid seed and --seeds both choose seeds: give one of them");
    }
  }
  if (seeds < 1) return Status::invalid_argument("--seeds must be at least 1");
  SweepPlan plan{std::move(config_path), std::move(overrides), std::move(grid), {}, {}};
  for (int s = 0; s < seeds; ++s) plan.seeds.push_back(first_seed + s);
  // An odometer over the grid, the last key fastest; the seeds innermost.
  std::vector<std::size_t> index(plan.grid.size(), 0);
  std::set<std::string> names;
  for (bool more = true; more;) {
    for (const std::int64_t seed : plan.seeds) {
      SweepPoint point;
      std::string name;
      std::int64_t point_seed = seed;
      for (std::size_t k = 0; k < plan.grid.size(); ++k) {
        const GridAxis& axis = plan.grid[k];
        const std::string& value = axis.values[index[k]];
        if (axis.key == "seed") {
          const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), point_seed);
          if (ec != std::errc() || end != value.data() + value.size()) {
            return Status::invalid_argument("--grid seed: '" + value + "' is not an integer");
          }
          continue;
        }
        point.values.emplace_back(axis.key, value);
        name += shown_key(axis.key, plan.grid) + "=" + shown_value(value) + ",";
      }
      point.seed = point_seed;
      point.dir_name = name + "seed=" + std::to_string(point_seed);
      if (!names.insert(point.dir_name).second) {
        return Status::invalid_argument("two points of the grid would share the directory " + point.dir_name +
                                        ": give distinct values");
      }
      plan.points.push_back(std::move(point));
    }
    more = false;
    for (std::size_t k = plan.grid.size(); k-- > 0;) {
      if (++index[k] < plan.grid[k].values.size()) {
        more = true;
        break;
      }
      index[k] = 0;
    }
  }
  return plan;
}

std::string sweep_fingerprint(const std::vector<std::uint64_t>& point_config_hashes) {
  std::string hashes;
  for (const std::uint64_t h : point_config_hashes) hashes += hex16(h);
  return hex16(text_hash(hashes));
}

Status write_sweep_plan(const std::string& dir, const SweepPlan& plan, const std::string& fingerprint) {
  json grid = json::array(), points = json::array();
  for (const GridAxis& axis : plan.grid) grid.push_back({{"key", axis.key}, {"values", axis.values}});
  for (const SweepPoint& p : plan.points) {
    json values = json::object();
    for (const auto& [key, value] : p.values) values[key] = value;
    points.push_back({{"dir", p.dir_name}, {"seed", p.seed}, {"values", values}});
  }
  const json j = {{"config", plan.config_path}, {"overrides", plan.overrides}, {"grid", grid},
                  {"seeds", plan.seeds},        {"fingerprint", fingerprint},  {"points", points}};
  return write_file_atomically(dir + "/" + kPlanFile, j.dump(2) + "\n");
}

Result<SweepPlan> read_sweep_plan(const std::string& dir, std::string* fingerprint) {
  const std::string path = dir + "/" + kPlanFile;
  std::ifstream in(path);
  if (!in) return Status::not_found("no sweep plan " + path);
  try {
    const json j = json::parse(in);
    SweepPlan plan;
    plan.config_path = j.at("config").get<std::string>();
    plan.overrides = j.at("overrides").get<std::vector<std::string>>();
    for (const json& axis : j.at("grid")) {
      plan.grid.push_back({axis.at("key").get<std::string>(), axis.at("values").get<std::vector<std::string>>()});
    }
    plan.seeds = j.at("seeds").get<std::vector<std::int64_t>>();
    for (const json& p : j.at("points")) {
      SweepPoint point;
      point.dir_name = p.at("dir").get<std::string>();
      point.seed = p.at("seed").get<std::int64_t>();
      // In grid order, as plan_sweep made them (a JSON object keeps its keys sorted).
      for (const GridAxis& axis : plan.grid) {
        const auto it = p.at("values").find(axis.key);
        if (it != p.at("values").end()) point.values.emplace_back(axis.key, it->get<std::string>());
      }
      plan.points.push_back(std::move(point));
    }
    if (fingerprint) *fingerprint = j.at("fingerprint").get<std::string>();
    return plan;
  } catch (const std::exception& e) {
    return Status::corrupt_data(path + ": " + e.what());
  }
}

bool is_sweep_directory(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / kPlanFile, ec);
}

}  // namespace ist::cli
