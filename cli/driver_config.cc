#include "cli/driver_config.h"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "ist/random.h"

namespace ist::cli {

namespace {

// Where a value came from, for error messages: "exp.toml:12" or "--set".
struct Origin {
  std::string where;
  std::string key;
  Status error(const std::string& problem) const {
    return Status::invalid_argument(where + ": key '" + key + "': " + problem);
  }
};

using Setter = std::function<Status(const toml::node&, const Origin&, DriverConfig&)>;

template <typename T>
Result<T> integer_of(const toml::node& n, const Origin& o) {
  if (!n.is_integer()) return o.error("expected an integer");
  return static_cast<T>(n.as_integer()->get());
}

Result<double> number_of(const toml::node& n, const Origin& o) {
  if (n.is_floating_point()) return n.as_floating_point()->get();
  if (n.is_integer()) return static_cast<double>(n.as_integer()->get());
  return o.error("expected a number");
}

Result<std::string> string_of(const toml::node& n, const Origin& o) {
  if (!n.is_string()) return o.error("expected a string");
  return n.as_string()->get();
}

Result<bool> bool_of(const toml::node& n, const Origin& o) {
  if (!n.is_boolean()) return o.error("expected true or false");
  return n.as_boolean()->get();
}

template <typename F>
Setter bool_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    auto v = bool_of(n, o);
    if (!v.ok()) return v.status();
    field(c) = *v;
    return Status::ok_status();
  };
}

template <typename T, typename F>
Setter integer_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    auto v = integer_of<T>(n, o);
    if (!v.ok()) return v.status();
    field(c) = *v;
    return Status::ok_status();
  };
}

template <typename T, typename F>
Setter number_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    auto v = number_of(n, o);
    if (!v.ok()) return v.status();
    field(c) = static_cast<T>(*v);
    return Status::ok_status();
  };
}

template <typename F>
Setter string_field(F field) {
  return [field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    auto v = string_of(n, o);
    if (!v.ok()) return v.status();
    field(c) = *v;
    return Status::ok_status();
  };
}

// A string that names one of a closed set, parsed by `parse` (which returns a Result).
template <typename Parse, typename F>
Setter enum_field(Parse parse, F field) {
  return [parse, field](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
    auto s = string_of(n, o);
    if (!s.ok()) return s.status();
    auto v = parse(*s);
    if (!v.ok()) return o.error(v.status().message());
    field(c) = *v;
    return Status::ok_status();
  };
}

const std::map<std::string, Setter>& schema() {
  static const std::map<std::string, Setter> table = {
      {"name", string_field([](DriverConfig& c) -> std::string& { return c.name; })},
      {"seed", integer_field<std::uint64_t>([](DriverConfig& c) -> std::uint64_t& { return c.driver.training.seed; })},
      {"model.widths",
       [](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
         const toml::array* a = n.as_array();
         if (a == nullptr) return o.error("expected an array of integers, e.g. [784, 2048, 2048, 10]");
         std::vector<int> widths;
         for (const toml::node& e : *a) {
           if (!e.is_integer()) return o.error("expected an array of integers");
           widths.push_back(static_cast<int>(e.as_integer()->get()));
         }
         c.driver.training.widths = widths;
         return Status::ok_status();
       }},
      {"data.path", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.path; })},
      {"data.format", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.format; })},
      {"data.test_path", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.test_path; })},
      {"data.labels_path", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.labels_path; })},
      {"data.test_labels_path", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.test_labels_path; })},
      {"data.features_key", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.features_key; })},
      {"data.labels_key", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.labels_key; })},
      {"data.label_column", string_field([](DriverConfig& c) -> std::string& { return c.driver.data.label_column; })},
      {"data.shards", enum_field(parse_shard_policy, [](DriverConfig& c) -> ShardPolicy& { return c.driver.training.shard_policy; })},
      {"data.input_mean", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.input_mean; })},
      {"data.input_std", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.input_std; })},
      {"data.placement", string_field([](DriverConfig& c) -> std::string& { return c.driver.placement; })},
      {"algorithm.name", enum_field(parse_algorithm, [](DriverConfig& c) -> Algorithm& { return c.driver.training.algorithm; })},
      {"algorithm.local_steps", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.training.local_steps; })},
      {"algorithm.batch_size", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.training.batch_size; })},
      {"algorithm.learning_rate", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.sgd.learning_rate; })},
      {"algorithm.momentum", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.sgd.momentum; })},
      {"algorithm.weight_decay", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.sgd.weight_decay; })},
      {"algorithm.lr_decay_factor", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.sgd.lr_decay_factor; })},
      {"algorithm.lr_decay_every_epochs", number_field<double>([](DriverConfig& c) -> double& { return c.driver.training.sgd.lr_decay_every_epochs; })},
      {"algorithm.cosine_epochs", number_field<double>([](DriverConfig& c) -> double& { return c.driver.training.sgd.cosine_epochs; })},
      {"algorithm.warmup_epochs", number_field<double>([](DriverConfig& c) -> double& { return c.driver.training.sgd.warmup_epochs; })},
      {"algorithm.subnet_lr_power", number_field<float>([](DriverConfig& c) -> float& { return c.driver.training.sgd.subnet_lr_power; })},
      {"algorithm.subnet_lr_on_bias", bool_field([](DriverConfig& c) -> bool& { return c.driver.training.sgd.subnet_lr_on_bias; })},
      {"algorithm.scaling", enum_field(parse_scaling, [](DriverConfig& c) -> SubnetScaling& { return c.driver.training.scaling; })},
      {"algorithm.epochs", number_field<double>([](DriverConfig& c) -> double& { return c.driver.training.epochs; })},
      {"algorithm.rounds", integer_field<std::int64_t>([](DriverConfig& c) -> std::int64_t& { return c.driver.training.rounds; })},
      {"algorithm.eval_every", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.training.eval_every; })},
      {"algorithm.target_accuracy", number_field<double>([](DriverConfig& c) -> double& { return c.driver.training.target_accuracy; })},
      {"cluster.workers", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.training.workers; })},
      {"cluster.min_workers", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.min_workers; })},
      {"cluster.heartbeat_ms", integer_field<int>([](DriverConfig& c) -> int& { return c.heartbeat_ms; })},
      {"cluster.death_deadline_ms", integer_field<int>([](DriverConfig& c) -> int& { return c.death_deadline_ms; })},
      {"cluster.join_wait_s",
       [](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
         auto v = number_of(n, o);
         if (!v.ok()) return v.status();
         if (*v < 0) return o.error("must be >= 0");
         c.driver.join_wait = std::chrono::milliseconds(static_cast<std::int64_t>(*v * 1000));
         return Status::ok_status();
       }},
      {"cluster.round_deadline_s",
       [](const toml::node& n, const Origin& o, DriverConfig& c) -> Status {
         auto v = number_of(n, o);
         if (!v.ok()) return v.status();
         if (*v <= 0) return o.error("must be positive");
         c.driver.round_deadline = std::chrono::milliseconds(static_cast<std::int64_t>(*v * 1000));
         return Status::ok_status();
       }},
      {"checkpoint.every", integer_field<int>([](DriverConfig& c) -> int& { return c.driver.checkpoint_every; })},
  };
  return table;
}

std::string line_of(const toml::node& n, const std::string& origin);

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
    for (const auto& [key, value] : *t) {
      const Origin o{line_of(value, origin), "events." + std::string(key.str())};
      const std::string k(key.str());
      if (k == "action") {
        auto a = string_of(value, o);
        if (!a.ok()) return a.status();
        action = *a;
      } else if (k == "round" || k == "worker" || k == "count" || k == "delay_ms" || k == "rounds") {
        auto v = integer_of<std::int64_t>(value, o);
        if (!v.ok()) return v.status();
        if (*v < 0) return o.error("must be >= 0");
        if (k == "round") e.round = *v;
        if (k == "worker") e.worker = static_cast<int>(*v);
        if (k == "count") e.count = static_cast<int>(*v);
        if (k == "delay_ms") e.delay_ms = static_cast<int>(*v);
        if (k == "rounds") e.rounds = static_cast<int>(*v);
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
    if (e.round < 1) return Origin{where.where, "events.round"}.error("must be at least 1");
    config.driver.events.push_back(e);
  }
  return Status::ok_status();
}

std::string line_of(const toml::node& n, const std::string& origin) {
  const auto& source = n.source();
  if (source.begin.line == 0) return origin;
  return origin + ":" + std::to_string(source.begin.line);
}

// Applies every leaf of `table` (keys prefixed by `prefix`) to config.
Status apply_table(const toml::table& table, const std::string& prefix, const std::string& origin, DriverConfig& config) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    const Origin o{line_of(node, origin), path};
    if (path == "events") {
      IST_RETURN_IF_ERROR(parse_events(node, origin, config));
      continue;
    }
    auto setter = schema().find(path);
    if (setter != schema().end()) {
      IST_RETURN_IF_ERROR(setter->second(node, o, config));
      continue;
    }
    if (const toml::table* sub = node.as_table()) {
      bool known_section = false;
      for (const auto& [name, unused] : schema()) known_section |= name.rfind(path + ".", 0) == 0;
      if (known_section) {
        IST_RETURN_IF_ERROR(apply_table(*sub, path, origin, config));
        continue;
      }
    }
    return o.error("unknown key");
  }
  return Status::ok_status();
}

Status apply_override(const std::string& assignment, DriverConfig& config) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::invalid_argument("--set " + assignment + ": expected key=value, e.g. algorithm.learning_rate=0.05");
  }
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const Origin o{"--set", key};
  auto setter = schema().find(key);
  if (setter == schema().end()) return o.error("unknown key");
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
  return setter->second(*parsed.get("v"), o, config);
}

Status check_ranges(const DriverConfig& c, const std::string& origin) {
  if (c.driver.data.path.empty()) return Status::invalid_argument(origin + ": key 'data.path': must not be empty");
  if (Status s = check_data_source(c.driver.data); !s.ok()) return Status::invalid_argument(origin + ": " + s.message());
  if (per_worker_files(c.driver.data) && c.driver.placement != "private") {
    return Status::invalid_argument(origin + ": key 'data.path': a per-worker path ({worker}) needs data.placement = \"private\"");
  }
  if (c.driver.placement != "shared" && c.driver.placement != "private") {
    return Status::invalid_argument(origin + ": key 'data.placement': expected shared or private, got '" + c.driver.placement + "'");
  }
  if (c.driver.min_workers < 1 || c.driver.min_workers > c.driver.training.workers) {
    return Status::invalid_argument(origin + ": key 'cluster.min_workers': must be between 1 and cluster.workers (" +
                                    std::to_string(c.driver.training.workers) + ")");
  }
  if (c.heartbeat_ms < 1 || c.death_deadline_ms <= c.heartbeat_ms) {
    return Status::invalid_argument(origin + ": keys 'cluster.heartbeat_ms' and 'cluster.death_deadline_ms': need 0 < heartbeat < deadline");
  }
  if (c.driver.checkpoint_every < 0) return Status::invalid_argument(origin + ": key 'checkpoint.every': must be >= 0");
  Status training = validate(c.driver.training);
  if (!training.ok()) return Status::invalid_argument(origin + ": " + training.message());
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
  IST_RETURN_IF_ERROR(apply_table(parsed, "", origin, config));
  for (const std::string& o : overrides) IST_RETURN_IF_ERROR(apply_override(o, config));
  IST_RETURN_IF_ERROR(check_ranges(config, origin));
  return config;
}

Result<DriverConfig> load_driver_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) return Status::not_found("config file " + path + " cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  return parse_driver_config(text.str(), path, overrides);
}

std::string resolved_toml(const DriverConfig& c) {
  const TrainingConfig& t = c.driver.training;
  toml::array widths;
  for (int w : t.widths) widths.push_back(w);
  toml::table root{
      {"name", c.name},
      {"seed", static_cast<std::int64_t>(t.seed)},
      {"model", toml::table{{"widths", widths}}},
      {"data", toml::table{{"path", c.driver.data.path},
                           {"format", c.driver.data.format},
                           {"test_path", c.driver.data.test_path},
                           {"labels_path", c.driver.data.labels_path},
                           {"test_labels_path", c.driver.data.test_labels_path},
                           {"features_key", c.driver.data.features_key},
                           {"labels_key", c.driver.data.labels_key},
                           {"label_column", c.driver.data.label_column},
                           {"shards", shard_policy_name(t.shard_policy)},
                           {"placement", c.driver.placement},
                           {"input_mean", static_cast<double>(t.input_mean)},
                           {"input_std", static_cast<double>(t.input_std)}}},
      {"algorithm", toml::table{{"name", algorithm_name(t.algorithm)},
                                {"local_steps", t.local_steps},
                                {"batch_size", t.batch_size},
                                {"learning_rate", static_cast<double>(t.sgd.learning_rate)},
                                {"momentum", static_cast<double>(t.sgd.momentum)},
                                {"weight_decay", static_cast<double>(t.sgd.weight_decay)},
                                {"lr_decay_factor", static_cast<double>(t.sgd.lr_decay_factor)},
                                {"lr_decay_every_epochs", t.sgd.lr_decay_every_epochs},
                                {"cosine_epochs", t.sgd.cosine_epochs},
                                {"warmup_epochs", t.sgd.warmup_epochs},
                                {"subnet_lr_power", static_cast<double>(t.sgd.subnet_lr_power)},
                                {"subnet_lr_on_bias", t.sgd.subnet_lr_on_bias},
                                {"scaling", scaling_name(t.scaling)},
                                {"epochs", t.epochs},
                                {"rounds", t.rounds},
                                {"eval_every", t.eval_every},
                                {"target_accuracy", t.target_accuracy}}},
      {"cluster", toml::table{{"workers", t.workers},
                              {"min_workers", c.driver.min_workers},
                              {"heartbeat_ms", c.heartbeat_ms},
                              {"death_deadline_ms", c.death_deadline_ms},
                              {"round_deadline_s", static_cast<double>(c.driver.round_deadline.count()) / 1000.0}}},
      {"checkpoint", toml::table{{"every", c.driver.checkpoint_every}}},
  };
  root.at_path("cluster").as_table()->insert("join_wait_s", static_cast<double>(c.driver.join_wait.count()) / 1000.0);
  if (!c.driver.events.empty()) {
    toml::array events;
    for (const actors::ScriptedEvent& e : c.driver.events) {
      const char* action = e.kind == actors::ScriptedEvent::Kind::kKillWorker   ? "kill"
                           : e.kind == actors::ScriptedEvent::Kind::kSlowWorker ? "slow"
                           : e.kind == actors::ScriptedEvent::Kind::kAddWorkers ? "add"
                           : e.kind == actors::ScriptedEvent::Kind::kLeaveWorker ? "leave"
                                                                                 : "kill_driver";
      events.push_back(toml::table{{"round", e.round}, {"action", action}, {"worker", e.worker}, {"count", e.count},
                                   {"delay_ms", e.delay_ms}, {"rounds", e.rounds}});
    }
    root.insert("events", std::move(events));
  }
  std::stringstream out;
  out << root << "\n";
  return out.str();
}

std::uint64_t config_hash(const DriverConfig& config) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char ch : resolved_toml(config)) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001B3ULL;
  return h;
}

}  // namespace ist::cli
