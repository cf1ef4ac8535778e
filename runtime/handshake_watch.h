// HandshakeWatch: a socket monitor on a node's CURVE ROUTER that notices peers refused before the ZAP
// handler is ever asked, i.e. peers that do not speak CURVE at all (plain TCP, an --insecure node, a
// port scanner): the first one is logged, the others only counted, so a peer retrying every 100 ms does
// not flood the log. (Peers presenting another key are logged by the ZAP handler, once per address.)
// Owned and polled by the node's I/O thread only.
#pragma once

#include <cstddef>
#include <string>

#include <zmq.hpp>

#include "base/status.h"

namespace ist::rt {

class HandshakeWatch {
 public:
  // Starts monitoring `router` on inproc://`monitor_name` (unique within `ctx`). Errors: kIoError.
  static Result<HandshakeWatch> open(zmq::context_t& ctx, zmq::socket_t& router, const std::string& monitor_name,
                                     std::string node_name);

  HandshakeWatch(HandshakeWatch&&) = default;
  HandshakeWatch& operator=(HandshakeWatch&&) = default;

  // Reads the events queued so far without blocking; logs the first failed handshake.
  void poll_io();
  // Stops monitoring (before `router` closes).
  void close(zmq::socket_t& router);
  std::size_t failures() const { return failures_; }

 private:
  HandshakeWatch() = default;
  zmq::socket_t monitor_;
  std::string node_name_;
  std::size_t failures_ = 0;
};

}  // namespace ist::rt
