// Internal: the outbound DEALER to one peer endpoint, with a ZeroMQ socket monitor that tells when its
// connection comes up or goes down (zmq_socket_monitor, inproc PAIR). Owned and touched only by the
// node's I/O thread.
#pragma once

#include <functional>
#include <string>
#include <zmq.hpp>

#include "base/status.h"
#include "runtime/cluster_key.h"

namespace ist::rt {

class PeerSocket {
 public:
  enum class Event { kUp, kDown };

  // Connects a DEALER to `endpoint` (never blocks on send: no high-water mark) and starts its monitor
  // on inproc://`monitor_name`, which must be unique within `ctx`. Errors: kIoError.
  // With `key`, the connection is a CURVE client of the cluster (cluster_key.h).
  static Result<PeerSocket> open(zmq::context_t& ctx, const std::string& endpoint,
                                 const std::string& monitor_name, const ClusterKey* key);

  PeerSocket(PeerSocket&&) = default;
  PeerSocket& operator=(PeerSocket&&) = default;
  ~PeerSocket();

  zmq::socket_t& dealer() { return dealer_; }
  // Reads every monitor event queued so far without blocking, calling `on` for connects and disconnects.
  void poll_events(const std::function<void(Event)>& on);
  // Closes the monitor and the DEALER; queued messages get `linger_ms` to go out (0: dropped).
  void close(int linger_ms);

 private:
  PeerSocket() = default;
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
};

}  // namespace ist::rt
