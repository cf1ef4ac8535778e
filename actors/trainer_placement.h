// Which cluster members may host trainers. The one rule the driver places trainers by and the CLI
// counts workers by.
#pragma once

#include "runtime/handle.h"

namespace ist::actors {

// True for a worker node: not the head, and not a client node (a driver, `ist status`, `ist start`'s
// probe), which the CLI names "driver...", "status" and "start-probe".
bool hosts_trainers(const rt::Member& member);

}  // namespace ist::actors
