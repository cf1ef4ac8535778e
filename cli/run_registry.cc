#include "cli/run_registry.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cluster_state.h"
#include "cli/run_lock.h"
#include "cli/text_hash.h"
#include "ist/safetensors.h"  // write_file_atomically

namespace ist::cli {

namespace {

namespace fs = std::filesystem;

fs::path registry_directory() { return fs::path(cluster_state_path()).parent_path() / "runs"; }

// One file per run directory: a resumed run replaces its own entry.
fs::path entry_of(const std::string& absolute_dir) {
  return registry_directory() / (hex16(text_hash(absolute_dir)) + ".json");
}

}  // namespace

Status register_run(const std::string& dir, const std::string& name) {
  std::error_code ec;
  const std::string absolute = fs::absolute(dir, ec).lexically_normal().string();
  if (ec) return Status::io_error("cannot resolve " + dir + ": " + ec.message());
  fs::create_directories(registry_directory(), ec);
  if (ec) return Status::io_error("cannot create " + registry_directory().string() + ": " + ec.message());
  const nlohmann::json entry = {
      {"dir", absolute}, {"name", name}, {"pid", ::getpid()}, {"started", static_cast<std::int64_t>(std::time(nullptr))}};
  return write_file_atomically(entry_of(absolute).string(), entry.dump() + "\n");
}

std::vector<RegisteredRun> registered_runs() {
  std::vector<RegisteredRun> runs;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(registry_directory(), ec)) {
    if (file.path().extension() != ".json") continue;
    std::ifstream in(file.path());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    RegisteredRun run;
    run.dir = j.value("dir", "");
    run.name = j.value("name", "");
    run.pid = j.value("pid", 0);
    run.started = j.value("started", std::int64_t{0});
    if (run.dir.empty()) continue;
    std::error_code missing;
    if (!fs::is_directory(run.dir, missing)) {
      fs::remove(file.path(), missing);
      continue;
    }
    run.running = RunLock::is_held(run.dir);
    runs.push_back(std::move(run));
  }
  std::sort(runs.begin(), runs.end(), [](const RegisteredRun& a, const RegisteredRun& b) {
    return a.started != b.started ? a.started > b.started : a.dir < b.dir;
  });
  return runs;
}

Result<std::string> find_run(const std::string& run) {
  std::error_code ec;
  if (fs::is_directory(run, ec)) return run;
  const std::vector<RegisteredRun> runs = registered_runs();
  for (const RegisteredRun& r : runs) {
    if (fs::path(r.dir).filename() == run) return r.dir;
  }
  for (const RegisteredRun& r : runs) {  // newest first: "quick-ist" is the latest run of that name
    if (r.name.rfind(run, 0) == 0 || fs::path(r.dir).filename().string().rfind(run, 0) == 0) return r.dir;
  }
  return Status::not_found("no run directory or recorded run named '" + run + "' (ist status lists running ones)");
}

}  // namespace ist::cli
