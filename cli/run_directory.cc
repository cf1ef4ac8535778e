#include "cli/run_directory.h"

#include <chrono>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/append_line.h"
#include "cli/run_registry.h"
#include "ist/model_io.h"
#include "ist/safetensors.h"

namespace ist::cli {

namespace fs = std::filesystem;

namespace {
std::string timestamp(const char* format) {
  char text[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(text, sizeof(text), format, std::localtime(&now));
  return text;
}

}  // namespace

Status check_run_name(const std::string& name) {
  const bool plain = !name.empty() && name.front() != '.' && name.find('/') == std::string::npos &&
                     name.find('\0') == std::string::npos;
  if (plain) return Status::ok_status();
  std::string shown = name;
  for (char& c : shown) c = c == '\0' ? '?' : c;
  return Status::invalid_argument(
      "run name '" + shown +
      "' cannot name a directory inside runs/: give a plain name (not empty, no '/', "
      "no NUL, not starting with '.')");
}

namespace {
std::string read_status(const std::string& dir) {
  try {
    std::ifstream in(dir + "/status.json");
    if (!in) return "";
    return nlohmann::json::parse(in).at("status").get<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}
}  // namespace

std::string RunDirectory::status_of(const std::string& path) { return read_status(path); }

Status RunDirectory::check_can_create(const std::string& out) {
  std::error_code ec;
  if (out.empty() || !fs::exists(out, ec) || fs::is_empty(out, ec)) return Status::ok_status();
  const std::string status = read_status(out);
  if (status == "failed") return Status::ok_status();
  if (status == "interrupted" || (status == "running" && fs::exists(out + "/checkpoint.safetensors", ec))) {
    return Status::invalid_argument("run directory " + out + " holds an unfinished run; continue it with `ist run --resume " +
                                    out + "`, or choose another --out");
  }
  return Status::invalid_argument("run directory " + out + " exists and is not empty; choose another --out");
}

Result<RunDirectory> RunDirectory::create(const std::string& out, const std::string& name) {
  IST_RETURN_IF_ERROR(check_run_name(name));
  IST_RETURN_IF_ERROR(check_can_create(out));
  std::error_code ec;
  std::string path = out;
  if (out.empty()) {
    // create_directory makes only the last component and says whether it did: two runs started in the same
    // second take different names.
    const std::string base = "runs/" + name + "-" + timestamp("%Y%m%d-%H%M%S");
    fs::create_directories("runs", ec);
    if (ec) return Status::io_error("cannot create runs/: " + ec.message());
    for (int n = 1; path.empty(); ++n) {
      const std::string candidate = n == 1 ? base : base + "-" + std::to_string(n);
      if (fs::create_directory(candidate, ec)) path = candidate;
      else if (ec) return Status::io_error("cannot create run directory " + candidate + ": " + ec.message());
    }
  } else {
    fs::create_directories(path, ec);
    if (ec) return Status::io_error("cannot create run directory " + path + ": " + ec.message());
  }
  IST_ASSIGN_OR_RETURN(RunLock lock, RunLock::acquire(path));
  if (read_status(path) == "failed") {
    // A failed run's leftovers: a retry with the same --out starts afresh (the lock file stays, held).
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.path().filename() != "run.lock") fs::remove_all(entry.path(), ec);
    }
  }
  (void)register_run(path, name);  // for ist status / ist logs; the run does not depend on it
  RunDirectory dir(path, std::move(lock));
  IST_RETURN_IF_ERROR(dir.write_status("running"));
  return dir;
}

Result<RunDirectory> RunDirectory::reopen(const std::string& path, std::int64_t rounds_kept) {
  if (!fs::is_directory(path)) return Status::not_found("run directory " + path + " does not exist");
  IST_ASSIGN_OR_RETURN(RunLock lock, RunLock::acquire(path));
  (void)register_run(path, fs::path(path).lexically_normal().filename().string());
  RunDirectory dir(path, std::move(lock));
  std::ifstream in(dir.file("metrics.jsonl"));
  std::string kept;
  std::int64_t rounds = 0;
  for (std::string line; rounds < rounds_kept && std::getline(in, line); ++rounds) {
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      dir.bytes_total_ = j.at("bytes_total").get<double>();
      dir.epochs_ = j.at("epochs").get<double>();
      dir.wall_before_ = j.at("wall_seconds").get<double>();
    } catch (const std::exception& e) {
      return Status::corrupt_data(dir.file("metrics.jsonl") + ":" + std::to_string(rounds + 1) + ": " + e.what());
    }
    kept += line + "\n";
  }
  if (rounds < rounds_kept) {
    return Status::corrupt_data(dir.file("metrics.jsonl") + " holds " + std::to_string(rounds) +
                                " rounds but the checkpoint covers " + std::to_string(rounds_kept));
  }
  IST_RETURN_IF_ERROR(write_file_atomically(dir.file("metrics.jsonl"), kept));
  dir.rounds_ = rounds;
  IST_RETURN_IF_ERROR(dir.write_status("running"));
  return dir;
}

Status RunDirectory::write_config(const std::string& toml_text) {
  return write_file_atomically(file("config.toml"), toml_text);
}

std::string metrics_json_line(const RoundRecord& r, double cumulative_bytes_total) {
  nlohmann::json j;
  j["round"] = r.round;
  j["wall_seconds"] = r.wall_seconds;
  j["epochs"] = r.epochs;
  j["train_loss"] = r.train_loss ? nlohmann::json(*r.train_loss) : nlohmann::json(nullptr);
  j["test_accuracy"] = r.test_accuracy ? nlohmann::json(*r.test_accuracy) : nlohmann::json(nullptr);
  j["learning_rate"] = r.learning_rate;
  j["bytes_sent_per_worker"] = r.bytes_sent_per_worker;
  j["bytes_received_per_worker"] = r.bytes_received_per_worker;
  j["bytes_total"] = cumulative_bytes_total;
  j["live_workers"] = r.live_workers;
  if (r.driver_bytes > 0.0) j["driver_bytes"] = r.driver_bytes;
  j["samples"] = r.samples;
  if (r.subnets > 0) j["subnets"] = r.subnets;
  j["examples_per_worker"] = r.examples_per_worker;
  j["round_seconds"] = r.round_seconds;
  j["compute_seconds"] = r.compute_seconds;
  j["wait_seconds"] = r.wait_seconds();
  if (r.gather_seconds > 0.0) j["gather_seconds"] = r.gather_seconds;
  if (r.gather_overlapped) j["gather_overlapped"] = true;
  // Events as text for people, their kinds (RoundEvent::Kind names) for tools.
  nlohmann::json events = nlohmann::json::array(), kinds = nlohmann::json::array();
  for (const RoundEvent& e : r.events) {
    events.push_back(describe(e));
    kinds.push_back(event_kind_name(e.kind));
  }
  j["events"] = std::move(events);
  j["event_kinds"] = std::move(kinds);
  return j.dump();
}

Status RunDirectory::append_metrics(const RoundRecord& record) {
  const double total =
      bytes_total_ + (record.bytes_sent_per_worker + record.bytes_received_per_worker) * record.live_workers;
  IST_RETURN_IF_ERROR(append_whole_line(file("metrics.jsonl"), metrics_json_line(record, total)));
  bytes_total_ = total;
  rounds_ += 1;
  epochs_ = record.epochs;
  return Status::ok_status();
}

bool RunDirectory::is_finished(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path + "/summary.json", ec)) return false;
  try {
    std::ifstream in(path + "/summary.json");
    return nlohmann::json::parse(in).value("status", "finished") != "interrupted";
  } catch (const std::exception&) {
    return true;  // written whole (atomically) by a run that ended; never resumed over
  }
}

Status RunDirectory::write_status(const std::string& status, const std::string& error) {
  nlohmann::json j{{"status", status}};
  if (!error.empty()) j["error"] = error;
  return write_file_atomically(file("status.json"), j.dump(2) + "\n");
}

void RunDirectory::mark_failed(const std::string& error) { (void)write_status("failed", error); }

Status RunDirectory::write_summary(const std::string& name, const std::string& algorithm, const RunResult& result,
                                   double wall_seconds) {
  const std::string status = result.interrupted ? "interrupted" : "finished";
  nlohmann::json j;
  j["name"] = name;
  j["status"] = status;
  j["algorithm"] = algorithm;
  j["final_test_accuracy"] =
      result.final_test_accuracy ? nlohmann::json(*result.final_test_accuracy) : nlohmann::json(nullptr);
  j["wall_seconds"] = wall_before_ + wall_seconds;  // of the whole run, every session's start-up included
  j["rounds"] = rounds_;  // of the whole run, also when it was resumed (result holds this session's)
  j["bytes_total"] = bytes_total_;
  j["epochs"] = epochs_;
  j["parameters"] = result.model.parameter_count();
  // The training examples of each worker that trained the last round (private data: their own files).
  if (!result.records.empty()) j["examples_per_worker"] = result.records.back().examples_per_worker;
  IST_RETURN_IF_ERROR(write_file_atomically(file("summary.json"), j.dump(2) + "\n"));
  return write_status(status);
}

Status RunDirectory::save_model(const Mlp& model, std::map<std::string, std::string> metadata) {
  return ist::save_model(file("model.safetensors"), model, std::move(metadata));
}

void RunDirectory::log(const std::string& line) {
  // The log is for people; a line that cannot be written is not worth stopping a run for.
  (void)append_whole_line(file("log.txt"), timestamp("%Y-%m-%d %H:%M:%S ") + line);
}

}  // namespace ist::cli
