#include "cli/cluster_state.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ist/safetensors.h"

namespace ist::cli {

std::string cluster_state_path() {
  const char* dir = std::getenv("IST_STATE_DIR");
  const std::string base = dir != nullptr && *dir != '\0' ? dir : "/tmp/ist-" + std::to_string(getuid());
  return base + "/cluster.json";
}

Result<ClusterState> load_cluster_state() {
  const std::string path = cluster_state_path();
  std::ifstream in(path);
  if (!in) return Status::not_found("no cluster started on this host (no " + path + ")");
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.contains("pids") && !j.contains("processes")) {
      return Status::corrupt_data(path +
                                  " was written by an older ist (pids without start times, so they cannot be "
                                  "proven ours): stop those processes yourself, then remove the file");
    }
    ClusterState state;
    state.head_address = j.at("head_address").get<std::string>();
    state.insecure = j.value("insecure", false);
    for (const nlohmann::json& p : j.at("processes")) {
      state.processes.push_back({p.at("role").get<std::string>(),
                                 {p.at("pid").get<pid_t>(), p.at("start_time").get<std::uint64_t>(),
                                  p.at("boot_id").get<std::string>()}});
    }
    return state;
  } catch (const std::exception& e) {
    return Status::corrupt_data(path + ": " + e.what());
  }
}

Status save_cluster_state(const ClusterState& state) {
  const std::string path = cluster_state_path();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  nlohmann::json processes = nlohmann::json::array();
  for (const StartedProcess& p : state.processes) {
    processes.push_back({{"role", p.role},
                         {"pid", p.identity.pid},
                         {"start_time", p.identity.start_time},
                         {"boot_id", p.identity.boot_id}});
  }
  nlohmann::json j{{"head_address", state.head_address},
                   {"insecure", state.insecure},
                   {"processes", std::move(processes)}};
  return write_file_atomically(path, j.dump(2) + "\n");
}

Result<std::string> running_local_head() {
  IST_ASSIGN_OR_RETURN(ClusterState state, load_cluster_state());
  for (const StartedProcess& p : state.processes) {
    if (p.role != "head") continue;
    if (ProvenProcess::open(p.identity).ok()) return state.head_address;
    return Status::not_found("the head started on this host (pid " + std::to_string(p.identity.pid) + ") is gone");
  }
  return Status::not_found("no head was started on this host");
}

void remove_cluster_state() {
  std::error_code ec;
  std::filesystem::remove(cluster_state_path(), ec);
}

}  // namespace ist::cli
