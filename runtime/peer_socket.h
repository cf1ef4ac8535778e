// Internal: the outbound DEALER to one peer endpoint, with a ZeroMQ socket monitor that tells when its
// connection comes up or goes down (zmq_socket_monitor, inproc PAIR). Owned by the node's I/O thread;
// used by whoever holds the node's socket mutex (the I/O thread, or a thread sending a message itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <zmq.hpp>

#include "base/status.h"
#include "runtime/cluster_key.h"

namespace ist::rt {

// The ROUTER routing id a node's outbound connections announce: 'N' then the id's 8 bytes, big-endian
// (a routing id must not start with a zero byte). A ROUTER refuses a second live connection with the
// same routing id, so while a node is connected nobody else can speak for it there.
std::string routing_id_of(std::uint64_t node);

// ZMQ_MAXMSGSIZE for a cap in bytes: libzmq refuses (and disconnects) a frame above it while it arrives.
std::int64_t max_frame_option(std::size_t max_bytes);

// Reads every socket-monitor event queued on `monitor` (the PAIR end of a zmq_socket_monitor) without
// blocking, calling `on(event, endpoint)` for each. I/O thread only.
void read_monitor_events(zmq::socket_t& monitor, const std::function<void(std::uint16_t event, const std::string& endpoint)>& on);

class PeerSocket {
 public:
  enum class Event { kUp, kDown };
  // Messages queued for one peer before sends to it fail (ZMQ_SNDHWM).
  static constexpr int kSendQueueMessages = 65536;

  // Connects a DEALER to `endpoint` (never blocks on send: no high-water mark) and starts its monitor
  // on inproc://`monitor_name`, which must be unique within `ctx`. Errors: kIoError.
  // With `key`, the connection is a CURVE client of the cluster (cluster_key.h). The connection
  // announces `routing_id` (routing_id_of(this node's id)): the peer's ROUTER checks that every message on
  // it speaks for that node. Inbound frames are capped at `max_frame_bytes` while they arrive.
  static Result<PeerSocket> open(zmq::context_t& ctx, const std::string& endpoint,
                                 const std::string& monitor_name, const ClusterKey* key,
                                 const std::string& routing_id, std::size_t max_frame_bytes);

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
