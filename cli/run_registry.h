// The runs of this host, so `ist status` and `ist logs` find them from any directory: every driver that
// opens a run directory (RunDirectory::create, reopen) records it in the state directory beside
// cluster.json ($IST_STATE_DIR, default /tmp/ist-<uid>), as runs/<hash of the path>.json holding the
// absolute path, the run's name, the driver's pid and the start time. A run is *running* while its run
// directory's lock is held (run_lock.h), so a run killed with -9 never looks alive. Entries are never the
// only copy of anything: losing them loses only the lookup. Any thread; files only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ist::cli {

struct RegisteredRun {
  std::string dir;           // absolute
  std::string name;          // the config's name (or the directory's, for a resumed run)
  pid_t pid = 0;             // the driver that last opened it
  std::int64_t started = 0;  // unix seconds when it was opened
  bool running = false;      // its lock is held now
};

// Records `dir` as opened now by this process. Errors: io_error (callers may ignore it: a run does not
// depend on its entry).
Status register_run(const std::string& dir, const std::string& name);

// Every recorded run whose directory still exists, newest first. Entries of vanished directories are
// removed; unreadable entries are skipped.
std::vector<RegisteredRun> registered_runs();

// A run directory from what a user types: an existing directory as is; else the newest recorded run
// whose directory is named `run`, or whose name or directory name starts with `run`. Errors: not_found
// naming `run`.
Result<std::string> find_run(const std::string& run);

}  // namespace ist::cli
