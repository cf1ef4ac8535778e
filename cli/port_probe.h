// Whether a head could listen on a TCP port here, asked before starting one: a port held by another
// process (another cluster's head, any server) is refused with its reason instead of a node that fails
// in the background while the command reports success.
#pragma once

#include <string>

#include "base/status.h"

namespace ist::cli {

// Binds (and at once releases) a TCP socket on ip:port with SO_REUSEADDR, as ZeroMQ binds, so a port
// left in TIME_WAIT by a stopped head counts as free. Errors: io_error naming ip:port and the OS's
// reason (e.g. "Address already in use"). An `ip` that is not a numeric address (an interface name,
// which ZeroMQ also accepts) is not probed: ok.
Status check_port_free(const std::string& ip, int port);

}  // namespace ist::cli
