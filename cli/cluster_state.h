// What `ist start` leaves behind for `ist status` and `ist stop` on the same host: the head's address
// and the processes this host started, each with the identity that proves it is still the same process
// (pid, start time, boot id), in $IST_STATE_DIR/cluster.json (default /tmp/ist-<uid>/cluster.json).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/process_identity.h"

namespace ist::cli {

struct StartedProcess {
  std::string role;  // "head" or "worker": how messages name it
  ProcessIdentity identity;
};

struct ClusterState {
  std::string head_address;               // tcp://host:port
  std::vector<StartedProcess> processes;  // started on this host (head and workers), in start order
  bool insecure = false;                   // started with --insecure: no cluster key (plain TCP)
};

std::string cluster_state_path();
// not_found when no cluster was started here; corrupt_data naming the file when it does not parse, or
// when an older ist wrote it (bare pids, which nothing can prove are still ours).
Result<ClusterState> load_cluster_state();
Status save_cluster_state(const ClusterState& state);
void remove_cluster_state();

// The address (tcp://host:port) of the head `ist start --head` started on this host, if its process is
// still the one recorded and alive (as Ray's address="auto"); not_found otherwise (no state, the head
// gone), corrupt_data when the state file does not parse.
Result<std::string> running_local_head();

}  // namespace ist::cli
