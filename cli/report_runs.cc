#include "cli/report_runs.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "cli/run_directory.h"
#include "cli/sweep_plan.h"

namespace ist::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::string> read_text(const fs::path& path) { return read_text_file(path.string()); }

// A number, or nullopt for a missing key or null (a NaN is written as null). Other types are corrupt.
Result<std::optional<double>> optional_number(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return Status::corrupt_data(std::string("key '") + key + "' is not a number");
  return std::optional<double>(it->get<double>());
}

Result<double> required_number(const json& object, const char* key) {
  IST_ASSIGN_OR_RETURN(std::optional<double> value, optional_number(object, key));
  if (!value) return Status::corrupt_data(std::string("key '") + key + "' is missing");
  return *value;
}

// Parses one metrics line; errors carry no location (the caller adds "FILE:LINE: ").
Result<RoundMetrics> parse_metrics_line(const std::string& line) {
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& e) {
    return Status::corrupt_data("malformed JSON at column " + std::to_string(e.byte));
  }
  if (!object.is_object()) return Status::corrupt_data("not a JSON object");
  RoundMetrics m;
  IST_ASSIGN_OR_RETURN(const double round, required_number(object, "round"));
  m.round = static_cast<std::int64_t>(round);
  IST_ASSIGN_OR_RETURN(m.wall_seconds, required_number(object, "wall_seconds"));
  IST_ASSIGN_OR_RETURN(m.epochs, optional_number(object, "epochs"));
  IST_ASSIGN_OR_RETURN(m.train_loss, optional_number(object, "train_loss"));
  IST_ASSIGN_OR_RETURN(m.test_accuracy, optional_number(object, "test_accuracy"));
  IST_ASSIGN_OR_RETURN(m.learning_rate, optional_number(object, "learning_rate"));
  IST_ASSIGN_OR_RETURN(m.live_workers, optional_number(object, "live_workers"));
  IST_ASSIGN_OR_RETURN(m.samples, optional_number(object, "samples"));
  IST_ASSIGN_OR_RETURN(m.bytes_total, optional_number(object, "bytes_total"));
  IST_ASSIGN_OR_RETURN(const std::optional<double> sent, optional_number(object, "bytes_sent_per_worker"));
  IST_ASSIGN_OR_RETURN(const std::optional<double> received,
                       optional_number(object, "bytes_received_per_worker"));
  if (sent || received) m.bytes_per_worker = sent.value_or(0.0) + received.value_or(0.0);
  if (const auto it = object.find("events"); it != object.end() && !it->is_null()) {
    if (!it->is_array()) return Status::corrupt_data("key 'events' is not an array");
    for (const json& event : *it)
      m.events.push_back(event.is_string() ? event.get<std::string>() : event.dump());
  }
  if (const auto it = object.find("event_kinds"); it != object.end() && it->is_array() && it->size() == m.events.size()) {
    for (const json& kind : *it) m.event_kinds.push_back(kind.is_string() ? kind.get<std::string>() : "");
  }
  return m;
}

Result<std::vector<RoundMetrics>> load_metrics(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::not_found("no metrics file " + path.string());
  IST_ASSIGN_OR_RETURN(const std::string text, read_text(path));
  std::vector<RoundMetrics> rounds;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank (e.g. trailing newline)
    Result<RoundMetrics> parsed = parse_metrics_line(line);
    if (!parsed.ok()) return parsed.status().with_context(path.string() + ":" + std::to_string(number));
    rounds.push_back(std::move(parsed).value());
  }
  return rounds;
}

std::string run_label(const Run& run) {
  std::string label = run.summary.name && !run.summary.name->empty() ? *run.summary.name : directory_name(run.dir);
  if (run.summary.algorithm && !run.summary.algorithm->empty()) label += " (" + *run.summary.algorithm + ")";
  return label;
}

}  // namespace

// "runs/a/" -> "a".
std::string directory_name(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::string name = fs::path(trimmed).filename().string();
  return name.empty() ? trimmed : name;
}

Result<Run> load_run(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::not_found("no run directory " + dir);
  Run run;
  run.dir = dir;
  IST_ASSIGN_OR_RETURN(run.rounds, load_metrics(fs::path(dir) / "metrics.jsonl"));
  IST_ASSIGN_OR_RETURN(run.summary, load_run_summary((fs::path(dir) / "summary.json").string()));
  const fs::path config = fs::path(dir) / "config.toml";
  if (fs::exists(config, ec)) {
    IST_ASSIGN_OR_RETURN(run.config_toml, read_text(config));
  }
  if (run.config_toml) {
    try {
      const toml::table parsed = toml::parse(*run.config_toml);
      const double steps = parsed["algorithm"]["local_steps"].value_or(0.0);
      const double batch = parsed["algorithm"]["batch_size"].value_or(0.0);
      if (steps > 0 && batch > 0) run.samples_per_worker_round = steps * batch;
    } catch (const toml::parse_error&) {
      // A config the report cannot read only costs the samples axis.
    }
  }
  run.label = run_label(run);
  return run;
}

void make_labels_unique(std::vector<Run>& runs) {
  std::map<std::string, int> uses;
  for (const Run& run : runs) ++uses[run.label];
  for (Run& run : runs) {
    if (uses[run.label] > 1 && directory_name(run.dir) != run.label) run.label += " [" + directory_name(run.dir) + "]";
  }
  std::map<std::string, int> seen;
  for (Run& run : runs) {
    const int n = ++seen[run.label];
    if (n > 1) run.label += " #" + std::to_string(n);
  }
}

Result<std::vector<std::string>> expand_sweeps(const std::vector<std::string>& dirs, std::vector<SweepGroup>* sweeps) {
  std::vector<std::string> out;
  for (const std::string& dir : dirs) {
    if (!is_sweep_directory(dir)) {
      out.push_back(dir);
      continue;
    }
    IST_ASSIGN_OR_RETURN(const SweepPlan plan, read_sweep_plan(dir));
    sweeps->push_back({dir});
    for (const SweepPoint& point : plan.points) {
      std::error_code ec;
      const std::string point_dir = (fs::path(dir) / point.dir_name).string();
      if (fs::is_directory(point_dir, ec)) out.push_back(point_dir);
    }
  }
  return out;
}

std::optional<std::string> failed_run(const std::string& dir) {
  if (RunDirectory::status_of(dir) == "failed") return std::string("skipped: the run failed (its status.json says why)");
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "metrics.jsonl", ec)) return std::nullopt;
  return std::string("skipped: the run failed before its first round (no metrics.jsonl)");
}

std::string event_mark_letter(const std::string& kind) {
  if (kind == "trainer_lost" || kind == "private_shard_lost" || kind == "scripted_kill" || kind == "scripted_leave")
    return "L";
  if (kind == "trainer_joined" || kind == "scripted_add") return "J";
  if (kind == "slice_late" || kind == "scripted_slow") return "S";
  if (kind.find("interrupt") != std::string::npos) return "I";
  if (kind.find("resume") != std::string::npos) return "R";
  return "";
}

bool counts_as_event(const std::string& kind, const std::string& text) {
  if (!kind.empty()) return kind.rfind("checkpoint", 0) != 0;
  return text.rfind("checkpoint", 0) != 0;
}

}  // namespace ist::cli
