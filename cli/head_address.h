// The HOST:PORT of a head as the command line takes it (`--address`), checked before anything starts:
// a port outside 1..65535 would otherwise be wrapped or rejected only deep in ZeroMQ.
#pragma once

#include <string>

#include "base/status.h"

namespace ist::cli {

inline constexpr int kMinPort = 1;
inline constexpr int kMaxPort = 65535;

// ok for "HOST:PORT" or "tcp://HOST:PORT" with a non-empty HOST and a decimal PORT in kMinPort..kMaxPort;
// otherwise invalid_argument saying what is wrong and what is expected.
Status check_head_address(const std::string& address);

// The address as a ZeroMQ endpoint: "tcp://" prefixed unless it is already there.
std::string with_scheme(const std::string& address);

}  // namespace ist::cli
