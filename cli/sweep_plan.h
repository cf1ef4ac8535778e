// The plan of `ist sweep`: which runs a grid of config values and a number of seeds stand for, what
// their directories are called, and sweep.json, the record a sweep directory keeps of its plan (so a
// re-run of the same command continues it, and `ist report` knows which keys were swept).
// Pure functions and plain values: no I/O except read_sweep_plan / write_sweep_plan. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace ist::cli {

// One swept key and the values it takes, in the order given: `--grid algorithm.learning_rate=0.01,0.03`.
struct GridAxis {
  std::string key;                  // a dotted config key, as --set takes it
  std::vector<std::string> values;  // TOML values as written (lists keep their brackets)
};

// One run of a sweep: a value for every swept key, and a seed.
struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> values;  // (key, value), in grid order
  std::int64_t seed = 0;
  std::string dir_name;  // "learning_rate=0.01,workers=2,seed=1": unique within the sweep, filesystem-safe

  // The --set overrides that make this run: every swept value, then the seed.
  std::vector<std::string> overrides() const;
  // The point without its seed ("learning_rate=0.01,workers=2"): the runs a table row averages over.
  std::string setting() const;
};

struct SweepPlan {
  std::string config_path;             // as given on the command line
  std::vector<std::string> overrides;  // --set values shared by every point
  std::vector<GridAxis> grid;
  std::vector<std::int64_t> seeds;
  std::vector<SweepPoint> points;  // every combination x every seed; the last grid key varies fastest
};

// Parses "KEY=V1,V2,...". Commas inside [...] or quotes do not split (`model.widths=[784,64,10],[784,128,10]`).
// Errors: invalid_argument naming the --grid text (no '=', an empty key or value).
Result<GridAxis> parse_grid_axis(const std::string& text);

// Every combination of the grid's values, once per seed (seeds first_seed, first_seed + 1, ...).
// Errors: invalid_argument when a key is swept twice, when `seed` is swept and seeds > 1, or when
// there are no points.
Result<SweepPlan> plan_sweep(std::string config_path, std::vector<std::string> overrides,
                             std::vector<GridAxis> grid, int seeds, std::int64_t first_seed);

// A short, stable hash (16 hex digits) of what decides a sweep's runs: every point's resolved config
// (config_hash), in order. The same command names the same default sweep directory, so running it again
// continues it; a changed config or grid names another.
std::string sweep_fingerprint(const std::vector<std::uint64_t>& point_config_hashes);

// sweep.json in `dir`: the plan (config path, overrides, grid, seeds, fingerprint, every point's
// directory and values). Written atomically.
Status write_sweep_plan(const std::string& dir, const SweepPlan& plan, const std::string& fingerprint);
// Reads `dir`/sweep.json back (points included). Errors: not_found when the file is missing,
// corrupt_data naming it when it does not parse.
Result<SweepPlan> read_sweep_plan(const std::string& dir, std::string* fingerprint = nullptr);

// True when `dir` holds a sweep.json.
bool is_sweep_directory(const std::string& dir);

}  // namespace ist::cli
