#include "runtime/peer_socket.h"

#include <cstdint>
#include <cstring>

namespace ist::rt {

Result<PeerSocket> PeerSocket::open(zmq::context_t& ctx, const std::string& endpoint,
                                    const std::string& monitor_name, const ClusterKey* key) {
  PeerSocket p;
  try {
    p.dealer_ = zmq::socket_t(ctx, zmq::socket_type::dealer);
    p.dealer_.set(zmq::sockopt::sndhwm, 0);  // never block the I/O thread; dead peers are dropped
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

void PeerSocket::poll_events(const std::function<void(Event)>& on) {
  if (monitor_.handle() == nullptr) return;
  for (;;) {
    // Each event is two frames: [uint16 event, uint32 value] (native byte order), then the endpoint.
    zmq::message_t what;
    zmq::message_t where;
    try {
      if (!monitor_.recv(what, zmq::recv_flags::dontwait)) return;
      if (what.more() && !monitor_.recv(where, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    if (what.size() < sizeof(std::uint16_t)) continue;
    std::uint16_t event = 0;
    std::memcpy(&event, what.data(), sizeof event);
    if (event == ZMQ_EVENT_CONNECTED) on(Event::kUp);
    if (event == ZMQ_EVENT_DISCONNECTED) on(Event::kDown);
  }
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
