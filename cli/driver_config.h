// The driver config: a TOML file describing one experiment (model, data, algorithm, cluster,
// checkpoints, seed), read into DriverConfig. Unknown keys and wrong types are errors that name the file,
// the line and the key. `--set key=value` overrides any key (dotted, e.g. algorithm.learning_rate=0.05).
// The resolved config (every key, defaults filled in) is what a run saves beside its results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/driver.h"
#include "base/status.h"

namespace ist::cli {

// Checkpoints are on by default: every 10 rounds (and when a run is interrupted), so Ctrl-C or a lost
// driver costs at most 10 rounds. `[checkpoint] every = 0` turns them off.
inline constexpr int kDefaultCheckpointEvery = 10;

struct DriverConfig {
  DriverConfig() { driver.checkpoint_every = kDefaultCheckpointEvery; }
  std::string name = "experiment";
  actors::DriverOptions driver;   // training config, data path, deadlines, placement, events, checkpoints
  int heartbeat_ms = 100;
  int death_deadline_ms = 1000;
  int join_timeout_ms = 10000;  // cluster.join_timeout_ms: how long the driver tries to reach a started head
  // data.standardize: how input_mean and input_std are measured on the training data when the config does
  // not give them: "global", "per_feature", or "none" (the data as loaded). Typed values win.
  std::string standardize = "global";
  std::vector<std::string> class_names;  // data.class_names: the name of each output class, when known
  bool checkpoint_set = false;  // checkpoint.every was given (file or --set), not left at its default
};

// Reads and validates a config file; overrides ("key=value") are applied after the file.
// Errors: not_found (file), invalid_argument naming "FILE:LINE: key 'K': problem" (or "--set K: ...").
Result<DriverConfig> load_driver_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same from TOML text; `origin` names it in errors.
Result<DriverConfig> parse_driver_config(const std::string& text, const std::string& origin,
                                         const std::vector<std::string>& overrides = {});

// The resolved config as TOML text: every key, defaults included. parse_driver_config(resolved) gives
// back an equal config.
std::string resolved_toml(const DriverConfig& config);

// A stable hash of the resolved config (checkpoints refuse to resume under another config).
std::uint64_t config_hash(const DriverConfig& config);

}  // namespace ist::cli
