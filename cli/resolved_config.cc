// Writing a driver config back: the resolved TOML (every key with the value the run uses, floats in their
// shortest form) that a run directory's config.toml records, and the hash that ties a checkpoint to it.
// Reading and checking configs is driver_config.cc's job; the declarations are in driver_config.h.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "cli/driver_config.h"
#include "cli/text_hash.h"

namespace ist::cli {

namespace {
// The double nearest the shortest decimal that reads back as `value`: TOML then prints 0.03, not the
// float's exact 0.029999999329447746, and reading it back gives the same float.
double as_short_double(float value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  return ec == std::errc() ? std::strtod(std::string(text, end).c_str(), nullptr) : static_cast<double>(value);
}
// toml++ prints a double with 17 digits (0.029999999999999999); this rewrites each `key = NUMBER` line's
// number with the fewest digits that read back as the same double (0.03). Strings and arrays are left alone.
std::string with_short_floats(const std::string& toml_text) {
  std::istringstream in(toml_text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find(" = ");
    if (eq != std::string::npos && line.find('"') == std::string::npos && line.find('\'') == std::string::npos &&
        line.find_first_of(".eE", eq + 3) != std::string::npos) {
      const std::string number = line.substr(eq + 3);
      char* end = nullptr;
      const double value = std::strtod(number.c_str(), &end);
      if (end != nullptr && *end == '\0' && std::isfinite(value)) {
        char text[32];
        const auto [last, ec] = std::to_chars(text, text + sizeof(text), value);
        std::string shortest(text, last);
        if (shortest.find_first_of(".eE") == std::string::npos) shortest += ".0";  // stays a TOML float
        if (ec == std::errc()) line = line.substr(0, eq + 3) + shortest;
      }
    }
    out += line + "\n";
  }
  return out;
}
}  // namespace

namespace {

// True when a string anywhere in node holds a control character other than a tab.
bool holds_control_characters(const toml::node& node) {
  if (const auto* text = node.as_string()) {
    return std::any_of(text->get().begin(), text->get().end(), [](char ch) {
      const auto c = static_cast<unsigned char>(ch);
      return (c < 0x20 && c != '\t') || c == 0x7f;
    });
  }
  if (const auto* table = node.as_table()) {
    for (const auto& [key, value] : *table) {
      if (holds_control_characters(value)) return true;
    }
  }
  if (const auto* array = node.as_array()) {
    for (const toml::node& value : *array) {
      if (holds_control_characters(value)) return true;
    }
  }
  return false;
}

}  // namespace

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
                           {"standardize", c.standardize}}},
      {"algorithm", toml::table{{"name", algorithm_name(t.algorithm)},
                                {"local_steps", t.local_steps},
                                {"batch_size", t.batch_size},
                                {"learning_rate", as_short_double(t.sgd.learning_rate)},
                                {"momentum", as_short_double(t.sgd.momentum)},
                                {"weight_decay", as_short_double(t.sgd.weight_decay)},
                                {"lr_decay_factor", as_short_double(t.sgd.lr_decay_factor)},
                                {"lr_decay_every_epochs", t.sgd.lr_decay_every_epochs},
                                {"cosine_epochs", t.sgd.cosine_epochs},
                                {"warmup_epochs", t.sgd.warmup_epochs},
                                {"subnet_lr_power", as_short_double(t.sgd.subnet_lr_power)},
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
                              {"join_timeout_ms", c.join_timeout_ms},
                              {"round_deadline_s", static_cast<double>(c.driver.round_deadline.count()) / 1000.0}}},
      {"checkpoint", toml::table{{"every", c.driver.checkpoint_every}}},
  };
  if (t.subnets > 0) root.at_path("algorithm").as_table()->insert("subnets", t.subnets);
  // Written only when not the default, so driver-owned configs keep their hash.
  if (c.driver.model_owner != "driver") root.at_path("cluster").as_table()->insert("model_owner", c.driver.model_owner);
  if (!t.schedule.empty()) {
    toml::array phases;
    for (const SchedulePhase& p : t.schedule) {
      toml::table phase{{"from_epoch", p.from_epoch}};
      if (p.subnets > 0) phase.insert("subnets", p.subnets);
      if (p.learning_rate > 0.0f) phase.insert("learning_rate", static_cast<double>(p.learning_rate));
      if (p.local_steps > 0) phase.insert("local_steps", p.local_steps);
      phases.push_back(std::move(phase));
    }
    root.at_path("algorithm").as_table()->insert("schedule", std::move(phases));
  }
  root.at_path("cluster").as_table()->insert("join_wait_s", static_cast<double>(c.driver.join_wait.count()) / 1000.0);
  toml::table& data = *root.at_path("data").as_table();
  if (workers_own_data(c.driver.data)) data.erase("path");  // left out: the workers' own data (ist start --data)
  if (c.driver.data.holdout > 0.0) {
    data.insert("holdout", c.driver.data.holdout);
    data.insert("holdout_seed", static_cast<std::int64_t>(c.driver.data.holdout_seed));
  }
  // Known values only: a standardization still to be measured is written once the trainers measured it.
  if (t.standardize == Standardize::kGiven && t.feature_mean.empty()) {
    data.insert("input_mean", static_cast<double>(t.input_mean));
    data.insert("input_std", static_cast<double>(t.input_std));
  } else if (t.standardize == Standardize::kGiven) {
    toml::array mean, std;
    for (float v : t.feature_mean) mean.push_back(static_cast<double>(v));
    for (float v : t.feature_std) std.push_back(static_cast<double>(v));
    data.insert("input_mean", std::move(mean));
    data.insert("input_std", std::move(std));
  }
  if (!c.class_names.empty()) {
    toml::array names;
    for (const std::string& name : c.class_names) names.push_back(name);
    data.insert("class_names", std::move(names));
  }
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
  // No multi-line strings: a value that starts with a newline would lose it when read back (TOML trims
  // the newline right after the opening quotes), so the file would no longer be the run's config. And
  // with a control character in any value, no literal ('...') strings either: toml++ would write one
  // around a newline, which TOML forbids; basic strings escape it. Other configs keep their literal
  // strings, and so their hash.
  toml::format_flags flags = toml::toml_formatter::default_flags & ~toml::format_flags::allow_multi_line_strings;
  if (holds_control_characters(root)) flags = flags & ~toml::format_flags::allow_literal_strings;
  std::stringstream out;
  out << toml::toml_formatter{root, flags} << "\n";
  return with_short_floats(out.str());
}

std::uint64_t config_hash(const DriverConfig& config) {
  return text_hash(resolved_toml(config));
}

}  // namespace ist::cli
