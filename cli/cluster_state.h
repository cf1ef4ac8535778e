// What `ist start` leaves behind for `ist status` and `ist stop` on the same host: the head's address
// and the pids of the processes this host started, in $IST_STATE_DIR/cluster.json (default
// /tmp/ist-<uid>/cluster.json).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace ist::cli {

struct ClusterState {
  std::string head_address;  // tcp://host:port
  std::vector<pid_t> pids;   // processes started on this host (head and workers)
};

std::string cluster_state_path();
// not_found when no cluster was started here; corrupt_data naming the file when it does not parse.
Result<ClusterState> load_cluster_state();
Status save_cluster_state(const ClusterState& state);
void remove_cluster_state();

}  // namespace ist::cli
