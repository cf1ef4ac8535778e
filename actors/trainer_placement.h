// Which cluster members may host trainers. The one rule the driver places trainers by and the CLI
// counts workers by.
#pragma once

#include "runtime/handle.h"

namespace ist::actors {

// True for a worker node: the role it announced when it joined (rt::NodeRole::kWorker). The head, a
// driver and a probe never host trainers, whatever they are named.
bool hosts_trainers(const rt::Member& member);

}  // namespace ist::actors
