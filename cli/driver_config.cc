// Reading a driver config: one schema of keys (each with its checked reader), [[events]] and
// [[algorithm.schedule]], --set overrides, and the checks that span keys, each error naming file:line:key
// or the --set. One job; it is long because the schema is. Writing a config back is resolved_config.cc.
#include "cli/driver_config.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include <toml++/toml.h>

#include "cli/config_reader.h"
#include "cli/run_directory.h"
#include "cli/text_hash.h"
#include "ist/random.h"
#include "ist/subnet_groups.h"

namespace ist::cli {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr double kFloatMax = std::numeric_limits<float>::max();
constexpr double kEpochsMax = 1e9;   // a bound that keeps epoch arithmetic exact; no run is that long
constexpr double kSecondsMax = 1e9;  // about 31 years: keeps seconds x 1000 inside 64-bit milliseconds

// Where every key was last set, so checks that involve several keys blame the right one and its line.
class Origins {
 public:
  explicit Origins(std::string file) : file_(std::move(file)) {}
  void record(const Origin& o) { where_[o.key] = o.where; }
  // The key's origin; the file alone for a key left at its default.
  Origin of(const std::string& key) const {
    const auto it = where_.find(key);
    return Origin{it == where_.end() ? file_ : it->second, key};
  }
  bool was_set(const std::string& key) const { return where_.count(key) > 0; }

 private:
  std::string file_;
  std::map<std::string, std::string> where_;
};

using Setter = std::function<Status(const toml::node&, const Origin&, DriverConfig&)>;

template <typename F>
Setter bool_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(field(c), read_bool(n, o));
    return Status::ok_status();
  };
}

// An integer field of type T, checked against [lo, hi] (which must fit T) before it is narrowed.
template <typename T, typename F>
Setter integer_field(F field, std::int64_t lo, std::int64_t hi = std::numeric_limits<std::int64_t>::max()) {
  return [field, lo, hi](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(const std::int64_t v, read_integer(n, o, lo, hi));
    field(c) = static_cast<T>(v);
    return Status::ok_status();
  };
}

template <typename T, typename F>
Setter number_field(F field, NumberRange range) {
  return [field, range](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(const double v, read_number(n, o, range, std::is_same_v<T, float>));
    field(c) = static_cast<T>(v);
    return Status::ok_status();
  };
}

// Seconds, stored as milliseconds.
template <typename F>
Setter seconds_field(F field, NumberRange range) {
  return [field, range](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(const double v, read_number(n, o, range));
    field(c) = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(v * 1000.0)));
    return Status::ok_status();
  };
}

template <typename F>
Setter string_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(field(c), read_string(n, o));
    return Status::ok_status();
  };
}

// A string that names one of a closed set, parsed by `parse` (which returns a Result).
template <typename Parse, typename F>
Setter enum_field(Parse parse, F field) {
  return [parse, field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    IST_ASSIGN_OR_RETURN(const std::string s, read_string(n, o));
    auto v = parse(s);
    if (!v.ok()) return o.error(v.status().message());
    field(c) = *v;
    return Status::ok_status();
  };
}

// The name prefixes the run directory inside runs/; the rule is the run directory's own (check_run_name),
// read here so the error names the line.
Result<std::string> parse_run_name(const std::string& s) {
  IST_RETURN_IF_ERROR(check_run_name(s));
  return s;
}

Result<std::string> parse_placement(const std::string& s) {
  if (s == "shared" || s == "private") return s;
  return Status::invalid_argument("expected shared or private, got '" + s + "'");
}

Result<std::string> parse_model_owner(const std::string& s) {
  if (s == "driver" || s == "partitioned") return s;
  return Status::invalid_argument("expected driver or partitioned, got '" + s + "'");
}

Result<std::string> parse_standardize(const std::string& s) {
  if (s == "global" || s == "per_feature" || s == "none") return s;
  return Status::invalid_argument("expected global, per_feature or none, got '" + s + "'");
}

// data.input_mean and data.input_std: a number, or an array of numbers (one per feature).
template <typename Scalar, typename PerFeature>
Setter standardization_field(Scalar scalar, PerFeature per_feature, NumberRange range) {
  return [scalar, per_feature, range](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    std::vector<float>& values = per_feature(c);
    values.clear();
    if (const toml::array* a = n.as_array()) {
      for (const toml::node& e : *a) {
        const Origin element{o.where, o.key + "[" + std::to_string(values.size()) + "]"};
        IST_ASSIGN_OR_RETURN(const double v, read_number(e, element, range, true));
        values.push_back(static_cast<float>(v));
      }
      if (values.empty()) return o.error("expected a number, or an array of one number per feature");
      return Status::ok_status();
    }
    IST_ASSIGN_OR_RETURN(const double v, read_number(n, o, range, true));
    scalar(c) = static_cast<float>(v);
    return Status::ok_status();
  };
}

Status read_class_names(const toml::node& n, const Origin& o, DriverConfig& c) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return o.error("expected an array of strings, one name per class");
  c.class_names.clear();
  for (const toml::node& e : *a) {
    const Origin element{o.where, o.key + "[" + std::to_string(c.class_names.size()) + "]"};
    IST_ASSIGN_OR_RETURN(std::string name, read_string(e, element));
    c.class_names.push_back(std::move(name));
  }
  return Status::ok_status();
}

Status read_widths(const toml::node& n, const Origin& o, DriverConfig& c) {
  const toml::array* a = n.as_array();
  if (a == nullptr) return o.error("expected an array of integers, e.g. [784, 2048, 2048, 10]");
  std::vector<int> widths;
  for (const toml::node& e : *a) {
    if (!e.is_integer()) return o.error("expected an array of integers");
    const Origin element{o.where, o.key + "[" + std::to_string(widths.size()) + "]"};
    IST_ASSIGN_OR_RETURN(const std::int64_t w, read_integer(e, element, 1, kIntMax));
    widths.push_back(static_cast<int>(w));
  }
  if (widths.size() < 2) return o.error("needs at least an input and an output width, e.g. [784, 10]");
  c.driver.training.widths = widths;
  return Status::ok_status();
}

const std::map<std::string, Setter>& schema() {
  using C = DriverConfig;
  const NumberRange any_float{-kFloatMax, kFloatMax};
  const NumberRange positive_float{0.0, kFloatMax, true};
  const NumberRange non_negative_float{0.0, kFloatMax};
  const NumberRange epochs{0.0, kEpochsMax};
  static const std::map<std::string, Setter> table = {
      {"name", enum_field(parse_run_name, [](C& c) -> std::string& { return c.name; })},
      {"seed", integer_field<std::uint64_t>([](C& c) -> std::uint64_t& { return c.driver.training.seed; }, 0)},
      {"model.widths", read_widths},
      {"data.path", string_field([](C& c) -> std::string& { return c.driver.data.path; })},
      {"data.format", string_field([](C& c) -> std::string& { return c.driver.data.format; })},
      {"data.test_path", string_field([](C& c) -> std::string& { return c.driver.data.test_path; })},
      {"data.labels_path", string_field([](C& c) -> std::string& { return c.driver.data.labels_path; })},
      {"data.test_labels_path", string_field([](C& c) -> std::string& { return c.driver.data.test_labels_path; })},
      {"data.features_key", string_field([](C& c) -> std::string& { return c.driver.data.features_key; })},
      {"data.labels_key", string_field([](C& c) -> std::string& { return c.driver.data.labels_key; })},
      {"data.label_column", string_field([](C& c) -> std::string& { return c.driver.data.label_column; })},
      {"data.holdout", number_field<double>([](C& c) -> double& { return c.driver.data.holdout; }, {0.0, 1.0, false, true})},
      {"data.holdout_seed", integer_field<std::uint64_t>([](C& c) -> std::uint64_t& { return c.driver.data.holdout_seed; }, 0)},
      {"data.shards", enum_field(parse_shard_policy, [](C& c) -> ShardPolicy& { return c.driver.training.shard_policy; })},
      {"data.input_mean", standardization_field([](C& c) -> float& { return c.driver.training.input_mean; },
                                                [](C& c) -> std::vector<float>& { return c.driver.training.feature_mean; }, any_float)},
      {"data.input_std", standardization_field([](C& c) -> float& { return c.driver.training.input_std; },
                                               [](C& c) -> std::vector<float>& { return c.driver.training.feature_std; }, positive_float)},
      {"data.standardize", enum_field(parse_standardize, [](C& c) -> std::string& { return c.standardize; })},
      {"data.class_names", read_class_names},
      {"data.placement", enum_field(parse_placement, [](C& c) -> std::string& { return c.driver.placement; })},
      {"algorithm.name", enum_field(parse_algorithm, [](C& c) -> Algorithm& { return c.driver.training.algorithm; })},
      {"algorithm.subnets", integer_field<int>([](C& c) -> int& { return c.driver.training.subnets; }, 1, kIntMax)},
      {"algorithm.local_steps", integer_field<int>([](C& c) -> int& { return c.driver.training.local_steps; }, 1, kIntMax)},
      {"algorithm.batch_size", integer_field<int>([](C& c) -> int& { return c.driver.training.batch_size; }, 1, kIntMax)},
      {"algorithm.learning_rate", number_field<float>([](C& c) -> float& { return c.driver.training.sgd.learning_rate; }, positive_float)},
      {"algorithm.momentum", number_field<float>([](C& c) -> float& { return c.driver.training.sgd.momentum; }, {0.0, 1.0, false, true})},
      {"algorithm.weight_decay", number_field<float>([](C& c) -> float& { return c.driver.training.sgd.weight_decay; }, non_negative_float)},
      {"algorithm.lr_decay_factor", number_field<float>([](C& c) -> float& { return c.driver.training.sgd.lr_decay_factor; }, {0.0, 1.0, true, false})},
      {"algorithm.lr_decay_every_epochs", number_field<double>([](C& c) -> double& { return c.driver.training.sgd.lr_decay_every_epochs; }, epochs)},
      {"algorithm.cosine_epochs", number_field<double>([](C& c) -> double& { return c.driver.training.sgd.cosine_epochs; }, epochs)},
      {"algorithm.warmup_epochs", number_field<double>([](C& c) -> double& { return c.driver.training.sgd.warmup_epochs; }, epochs)},
      {"algorithm.subnet_lr_power", number_field<float>([](C& c) -> float& { return c.driver.training.sgd.subnet_lr_power; }, {0.0, 2.0})},
      {"algorithm.subnet_lr_on_bias", bool_field([](C& c) -> bool& { return c.driver.training.sgd.subnet_lr_on_bias; })},
      {"algorithm.scaling", enum_field(parse_scaling, [](C& c) -> SubnetScaling& { return c.driver.training.scaling; })},
      {"algorithm.epochs", number_field<double>([](C& c) -> double& { return c.driver.training.epochs; }, epochs)},
      {"algorithm.rounds", integer_field<std::int64_t>([](C& c) -> std::int64_t& { return c.driver.training.rounds; }, 0)},
      {"algorithm.eval_every", integer_field<int>([](C& c) -> int& { return c.driver.training.eval_every; }, 1, kIntMax)},
      {"algorithm.target_accuracy", number_field<double>([](C& c) -> double& { return c.driver.training.target_accuracy; }, {0.0, 1.0})},
      {"cluster.workers", integer_field<int>([](C& c) -> int& { return c.driver.training.workers; }, 1, kIntMax)},
      {"cluster.min_workers", integer_field<int>([](C& c) -> int& { return c.driver.min_workers; }, 1, kIntMax)},
      {"cluster.heartbeat_ms", integer_field<int>([](C& c) -> int& { return c.heartbeat_ms; }, 1, kIntMax)},
      {"cluster.death_deadline_ms", integer_field<int>([](C& c) -> int& { return c.death_deadline_ms; }, 2, kIntMax)},
      {"cluster.join_timeout_ms", integer_field<int>([](C& c) -> int& { return c.join_timeout_ms; }, 100, kIntMax)},
      {"cluster.join_wait_s", seconds_field([](C& c) -> std::chrono::milliseconds& { return c.driver.join_wait; }, {0.0, kSecondsMax})},
      {"cluster.model_owner", enum_field(parse_model_owner, [](C& c) -> std::string& { return c.driver.model_owner; })},
      {"cluster.round_deadline_s", seconds_field([](C& c) -> std::chrono::milliseconds& { return c.driver.round_deadline; }, {0.001, kSecondsMax})},
      {"checkpoint.every", integer_field<int>([](C& c) -> int& { return c.driver.checkpoint_every; }, 0, kIntMax)},
  };
  return table;
}

// [[events]] tables: round, action ("kill", "leave", "slow", "add", "kill_driver"), worker, count, delay_ms,
// rounds.
Status parse_events(const toml::node& node, const std::string& origin, DriverConfig& config) {
  const toml::array* events = node.as_array();
  if (events == nullptr) return Origin{line_of(node, origin), "events"}.error("expected [[events]] tables");
  for (const toml::node& item : *events) {
    const toml::table* t = item.as_table();
    const Origin where{line_of(item, origin), "events"};
    if (t == nullptr) return where.error("expected [[events]] tables");
    actors::ScriptedEvent e;
    std::string action;
    bool has_round = false;
    for (const auto& [key, value] : *t) {
      const Origin o{line_of(value, origin), "events." + std::string(key.str())};
      const std::string k(key.str());
      if (k == "action") {
        IST_ASSIGN_OR_RETURN(action, read_string(value, o));
      } else if (k == "round") {
        IST_ASSIGN_OR_RETURN(e.round, read_integer(value, o, 1));
        has_round = true;
      } else if (k == "worker" || k == "count" || k == "delay_ms" || k == "rounds") {
        IST_ASSIGN_OR_RETURN(const std::int64_t v, read_integer(value, o, 0, kIntMax));
        if (k == "worker") e.worker = static_cast<int>(v);
        if (k == "count") e.count = static_cast<int>(v);
        if (k == "delay_ms") e.delay_ms = static_cast<int>(v);
        if (k == "rounds") e.rounds = static_cast<int>(v);
      } else {
        return o.error("unknown key");
      }
    }
    if (action == "kill") e.kind = actors::ScriptedEvent::Kind::kKillWorker;
    else if (action == "slow") e.kind = actors::ScriptedEvent::Kind::kSlowWorker;
    else if (action == "add") e.kind = actors::ScriptedEvent::Kind::kAddWorkers;
    else if (action == "leave") e.kind = actors::ScriptedEvent::Kind::kLeaveWorker;
    else if (action == "kill_driver") e.kind = actors::ScriptedEvent::Kind::kKillDriver;
    else return Origin{where.where, "events.action"}.error("expected kill, leave, slow, add or kill_driver, got '" + action + "'");
    if (!has_round) return Origin{where.where, "events.round"}.error("missing: every event needs the round it happens in");
    config.driver.events.push_back(e);
  }
  return Status::ok_status();
}

// [[algorithm.schedule]] tables: from_epoch (required), and any of subnets, learning_rate, local_steps.
// Phases must come in ascending from_epoch; validate() checks the values against the rest of the config.
Status parse_schedule(const toml::node& node, const std::string& origin, DriverConfig& config) {
  const toml::array* phases = node.as_array();
  if (phases == nullptr) return Origin{line_of(node, origin), "algorithm.schedule"}.error("expected [[algorithm.schedule]] tables");
  for (const toml::node& item : *phases) {
    const toml::table* t = item.as_table();
    const Origin where{line_of(item, origin), "algorithm.schedule"};
    if (t == nullptr) return where.error("expected [[algorithm.schedule]] tables");
    SchedulePhase phase;
    bool has_from = false;
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      const Origin o{line_of(value, origin), "algorithm.schedule." + k};
      if (k == "from_epoch") {
        IST_ASSIGN_OR_RETURN(phase.from_epoch, read_number(value, o, {0.0, kEpochsMax}));
        has_from = true;
      } else if (k == "subnets") {
        IST_ASSIGN_OR_RETURN(const std::int64_t v, read_integer(value, o, 1, kIntMax));
        phase.subnets = static_cast<int>(v);
      } else if (k == "local_steps") {
        IST_ASSIGN_OR_RETURN(const std::int64_t v, read_integer(value, o, 1, kIntMax));
        phase.local_steps = static_cast<int>(v);
      } else if (k == "learning_rate") {
        IST_ASSIGN_OR_RETURN(const double v, read_number(value, o, {0.0, kFloatMax, true}, true));
        phase.learning_rate = static_cast<float>(v);
      } else {
        return o.error("unknown key (expected from_epoch, subnets, learning_rate or local_steps)");
      }
    }
    if (!has_from) return Origin{where.where, "algorithm.schedule.from_epoch"}.error("missing: every phase needs the epoch it starts from");
    std::vector<SchedulePhase>& schedule = config.driver.training.schedule;
    if (!schedule.empty() && !(phase.from_epoch > schedule.back().from_epoch)) {
      return Origin{where.where, "algorithm.schedule.from_epoch"}.error("phases must come in ascending from_epoch");
    }
    schedule.push_back(phase);
  }
  return Status::ok_status();
}

// Applies every leaf of `table` (keys prefixed by `prefix`) to config.
Status apply_table(const toml::table& table, const std::string& prefix, const std::string& origin, DriverConfig& config,
                   Origins& origins) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    const Origin o{line_of(node, origin), path};
    if (path == "events") {
      IST_RETURN_IF_ERROR(parse_events(node, origin, config));
      continue;
    }
    if (path == "algorithm.schedule") {
      IST_RETURN_IF_ERROR(parse_schedule(node, origin, config));
      origins.record(o);
      continue;
    }
    auto setter = schema().find(path);
    if (setter != schema().end()) {
      IST_RETURN_IF_ERROR(setter->second(node, o, config));
      origins.record(o);
      continue;
    }
    if (const toml::table* sub = node.as_table()) {
      bool known_section = false;
      for (const auto& [name, unused] : schema()) known_section |= name.rfind(path + ".", 0) == 0;
      if (known_section) {
        IST_RETURN_IF_ERROR(apply_table(*sub, path, origin, config, origins));
        continue;
      }
    }
    return o.error("unknown key");
  }
  return Status::ok_status();
}

Status apply_override(const std::string& assignment, DriverConfig& config, Origins& origins) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::invalid_argument("--set " + assignment + ": expected key=value, e.g. algorithm.learning_rate=0.05");
  }
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const Origin o{"--set", key};
  auto setter = schema().find(key);
  if (setter == schema().end() && key != "events") return o.error("unknown key");
  // The value is TOML (a number, true, [1, 2], "text"); a bare word is taken as a string.
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    try {
      parsed = toml::parse("v = \"" + value + "\"");
    } catch (const toml::parse_error&) {
      return o.error("cannot read value '" + value + "'");
    }
  }
  if (key == "events") {
    // The whole list, in TOML's inline form: events=[{round = 3, action = "kill", worker = 1}] (or [] for none).
    config.driver.events.clear();
    IST_RETURN_IF_ERROR(parse_events(*parsed.get("v"), "--set", config));
    return Status::ok_status();
  }
  IST_RETURN_IF_ERROR(setter->second(*parsed.get("v"), o, config));
  origins.record(o);
  return Status::ok_status();
}

// Typed input_mean and input_std win; otherwise data.standardize says what the trainers measure.
Status settle_standardization(DriverConfig& c, const Origins& origins) {
  TrainingConfig& t = c.driver.training;
  const bool mean = origins.was_set("data.input_mean");
  if (mean != origins.was_set("data.input_std")) {
    return origins.of(mean ? "data.input_mean" : "data.input_std")
        .error(std::string("set data.") + (mean ? "input_std" : "input_mean") +
               " too, or neither (then both are measured on the training data, see data.standardize)");
  }
  if (mean) {
    if (t.feature_mean.empty() != t.feature_std.empty()) {
      return origins.of("data.input_std").error("data.input_mean and data.input_std must both be numbers or both arrays");
    }
    t.standardize = Standardize::kGiven;
  } else if (c.standardize == "none") {
    t.input_mean = 0.0f;
    t.input_std = 1.0f;
    t.standardize = Standardize::kGiven;
  } else {
    t.standardize = c.standardize == "per_feature" ? Standardize::kPerFeature : Standardize::kGlobal;
  }
  return Status::ok_status();
}

// Checks that involve several keys; each error blames the key a user would change, where it was set.
Status check_together(const DriverConfig& c, const Origins& origins) {
  const TrainingConfig& t = c.driver.training;
  if (!c.class_names.empty() && static_cast<int>(c.class_names.size()) != t.widths.back()) {
    return origins.of("data.class_names")
        .error("names " + std::to_string(c.class_names.size()) + " classes, but the model has " +
               std::to_string(t.widths.back()) + " outputs");
  }
  // Left out with private placement, data.path means the workers' own data (`ist start --data`); given, it
  // must name something.
  if (c.driver.data.path.empty() && origins.was_set("data.path")) return origins.of("data.path").error("must not be empty");
  if (Status s = check_data_source(c.driver.data); !s.ok()) {
    // Its messages start with the key they are about ("data.test_path: ..."); blame that key's line.
    const std::string& m = s.message();
    const auto colon = m.find(": ");
    if (m.rfind("data.", 0) == 0 && colon != std::string::npos) return origins.of(m.substr(0, colon)).error(m.substr(colon + 2));
    return origins.of("data.format").error(m);
  }
  if (per_worker_files(c.driver.data) && c.driver.placement != "private") {
    return origins.of("data.path").error("a per-worker path ({worker}) needs data.placement = \"private\"");
  }
  if (per_worker_files(c.driver.data) && c.driver.data.holdout > 0.0) {
    // The driver never reads a worker's own file, so it cannot hold examples out of it to test on.
    return origins.of("data.holdout")
        .error("per-worker files ({worker} in data.path) are read by their workers only, so nothing can be held "
               "out of them for the driver's test set: give data.test_path instead");
  }
  if (c.driver.min_workers > t.workers) {
    return origins.of("cluster.min_workers")
        .error("must be between 1 and cluster.workers (" + std::to_string(t.workers) + "), got " +
               std::to_string(c.driver.min_workers));
  }
  if (c.death_deadline_ms <= c.heartbeat_ms) {
    return origins.of("cluster.death_deadline_ms")
        .error("must be above cluster.heartbeat_ms (" + std::to_string(c.heartbeat_ms) + "), got " +
               std::to_string(c.death_deadline_ms));
  }
  if (t.rounds <= 0 && !(t.epochs > 0.0)) {
    return origins.of(origins.was_set("algorithm.rounds") ? "algorithm.rounds" : "algorithm.epochs")
        .error("set algorithm.rounds or algorithm.epochs to a positive number");
  }
  if (t.subnets > t.workers) {
    return origins.of("algorithm.subnets")
        .error("must be between 1 and cluster.workers (" + std::to_string(t.workers) + "), got " +
               std::to_string(t.subnets));
  }
  for (const SchedulePhase& p : t.schedule) {
    if (p.subnets > t.workers) {
      return origins.of("algorithm.schedule")
          .error("a phase's subnets must be between 1 and cluster.workers (" + std::to_string(t.workers) + "), got " +
                 std::to_string(p.subnets));
    }
  }
  if (Status owner = check_model_owner(c.driver); !owner.ok()) return origins.of("cluster.model_owner").error(owner.message());
  if (t.algorithm == Algorithm::kIst) {
    if (t.widths.size() < 3) return origins.of("model.widths").error("IST needs at least one hidden layer");
    const int subnets = subnets_for_round(t.subnets, t.workers);
    const char* subnets_key = t.subnets > 0 ? "algorithm.subnets" : "cluster.workers";
    for (std::size_t l = 1; l + 1 < t.widths.size(); ++l) {
      if (t.widths[l] < subnets) {
        const bool blame_subnets = origins.was_set(subnets_key) && !origins.was_set("model.widths");
        return origins.of(blame_subnets ? subnets_key : "model.widths")
            .error("hidden layer " + std::to_string(l) + " has " + std::to_string(t.widths[l]) +
                   " neurons, fewer than the " + std::to_string(subnets) + " subnets of " + subnets_key +
                   " (S must not exceed H)");
      }
    }
  }
  return Status::ok_status();
}

}  // namespace

Result<DriverConfig> parse_driver_config(const std::string& text, const std::string& origin,
                                         const std::vector<std::string>& overrides) {
  DriverConfig config;
  toml::table parsed;
  try {
    parsed = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Status::invalid_argument(origin + ":" + std::to_string(e.source().begin.line) + ": not valid TOML: " +
                                    std::string(e.description()));
  }
  Origins origins(origin);
  IST_RETURN_IF_ERROR(apply_table(parsed, "", origin, config, origins));
  for (const std::string& o : overrides) IST_RETURN_IF_ERROR(apply_override(o, config, origins));
  IST_RETURN_IF_ERROR(settle_standardization(config, origins));
  // Private placement without data.path: every worker trains on the data its node was started with.
  if (config.driver.placement == "private" && !origins.was_set("data.path")) config.driver.data.path.clear();
  // The held-out examples follow the run's seed unless a seed of their own is given.
  if (!origins.was_set("data.holdout_seed")) config.driver.data.holdout_seed = config.driver.training.seed;
  IST_RETURN_IF_ERROR(check_together(config, origins));
  config.checkpoint_set = origins.was_set("checkpoint.every");
  // Every single-key range is checked as it is read; this catches what no key names.
  Status training = validate(config.driver.training);
  if (!training.ok()) return Status::invalid_argument(origin + ": " + training.message());
  return config;
}

Result<DriverConfig> load_driver_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return Status::not_found("config file " + path + " cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  return parse_driver_config(text.str(), path, overrides);
}

}  // namespace ist::cli
