#include "runtime/peer_socket.h"

#include <cstdint>
#include <cstring>

namespace ist::rt {

std::string routing_id_of(std::uint64_t node) {
  std::string id(9, '\0');
  id[0] = 'N';
  for (int i = 0; i < 8; ++i) id[1 + i] = static_cast<char>((node >> (8 * (7 - i))) & 0xff);
  return id;
}

std::int64_t max_frame_option(std::size_t max_bytes) {
  return max_bytes >= static_cast<std::size_t>(INT64_MAX) ? std::int64_t{-1} : static_cast<std::int64_t>(max_bytes);
}

Result<PeerSocket> PeerSocket::open(zmq::context_t& ctx, const std::string& endpoint,
                                    const std::string& monitor_name, const ClusterKey* key,
                                    const std::string& routing_id, std::size_t max_frame_bytes) {
  PeerSocket p;
  try {
    p.dealer_ = zmq::socket_t(ctx, zmq::socket_type::dealer);
    // Never blocks the I/O thread (sends are dontwait); a peer that stops reading fills its queue and
    // further sends to it fail at once instead of growing this process.
    p.dealer_.set(zmq::sockopt::sndhwm, kSendQueueMessages);
    p.dealer_.set(zmq::sockopt::routing_id, routing_id);
    p.dealer_.set(zmq::sockopt::maxmsgsize, max_frame_option(max_frame_bytes));
    p.dealer_.set(zmq::sockopt::linger, 200);
    if (key != nullptr) {
      if (Status s = key->make_client(p.dealer_); !s.ok()) return s.with_context("connecting to '" + endpoint + "'");
    }
    const std::string mon = "inproc://" + monitor_name;
    if (zmq_socket_monitor(p.dealer_.handle(), mon.c_str(), ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) !=
        0) {
      throw zmq::error_t();
    }
    p.monitor_ = zmq::socket_t(ctx, zmq::socket_type::pair);
    p.monitor_.set(zmq::sockopt::linger, 0);
    p.monitor_.connect(mon);
    p.dealer_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return Status::io_error("cannot connect to '" + endpoint + "': " + e.what());
  }
  return p;
}

PeerSocket::~PeerSocket() {
  if (dealer_.handle() != nullptr) close(0);
}

void read_monitor_events(zmq::socket_t& monitor, const std::function<void(std::uint16_t, const std::string&)>& on) {
  if (monitor.handle() == nullptr) return;
  for (;;) {
    // Each event is two frames: [uint16 event, uint32 value] (native byte order), then the endpoint.
    zmq::message_t what;
    zmq::message_t where;
    try {
      if (!monitor.recv(what, zmq::recv_flags::dontwait)) return;
      if (what.more() && !monitor.recv(where, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    if (what.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, what.data(), sizeof event);
    on(event, where.to_string());
  }
}

void PeerSocket::poll_events(const std::function<void(Event)>& on) {
  read_monitor_events(monitor_, [&on](std::uint16_t event, const std::string&) {
    if (event == ZMQ_EVENT_CONNECTED) on(Event::kUp);
    if (event == ZMQ_EVENT_DISCONNECTED) on(Event::kDown);
  });
}

void PeerSocket::close(int linger_ms) {
  if (dealer_.handle() != nullptr) {
    zmq_socket_monitor(dealer_.handle(), nullptr, 0);  // stops the monitor before its socket goes
    dealer_.set(zmq::sockopt::linger, linger_ms);
    dealer_.close();
  }
  if (monitor_.handle() != nullptr) monitor_.close();
}

}  // namespace ist::rt
