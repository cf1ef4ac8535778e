#include "cli/head_address.h"

#include <algorithm>

namespace ist::cli {

Status check_head_address(const std::string& address) {
  const std::string expected = "expected HOST:PORT with a port from " + std::to_string(kMinPort) + " to " +
                               std::to_string(kMaxPort) + ", got '" + address + "'";
  const std::string rest = address.rfind("tcp://", 0) == 0 ? address.substr(6) : address;
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return Status::invalid_argument(expected);
  const std::string port = rest.substr(colon + 1);
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) < kMinPort || std::stoi(port) > kMaxPort)
    return Status::invalid_argument(expected);
  return Status::ok_status();
}

std::string with_scheme(const std::string& address) {
  return address.rfind("tcp://", 0) == 0 ? address : "tcp://" + address;
}

}  // namespace ist::cli
