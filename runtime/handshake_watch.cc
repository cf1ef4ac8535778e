#include "runtime/handshake_watch.h"

#include <cstdint>

#include "runtime/log.h"
#include "runtime/peer_socket.h"

namespace ist::rt {

Result<HandshakeWatch> HandshakeWatch::open(zmq::context_t& ctx, zmq::socket_t& router, const std::string& monitor_name,
                                            std::string node_name) {
  HandshakeWatch w;
  w.node_name_ = std::move(node_name);
  const std::string at = "inproc://" + monitor_name;
  try {
    if (zmq_socket_monitor(router.handle(), at.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
      throw zmq::error_t();
    }
    w.monitor_ = zmq::socket_t(ctx, zmq::socket_type::pair);
    w.monitor_.set(zmq::sockopt::linger, 0);
    w.monitor_.connect(at);
  } catch (const zmq::error_t& e) {
    return Status::io_error(std::string("watching handshakes: ") + e.what());
  }
  return w;
}

void HandshakeWatch::poll_io() {
  read_monitor_events(monitor_, [this](std::uint16_t, const std::string& endpoint) {
    if (++failures_ == 1) {
      log(LogLevel::kWarn, node_name_, ": refused a connection to ", endpoint,
          " whose handshake failed: it does not speak CURVE (a plain-TCP or --insecure peer?); further such "
          "refusals are counted, not logged");
    }
  });
}

void HandshakeWatch::close(zmq::socket_t& router) {
  if (monitor_.handle() == nullptr) return;
  if (router.handle() != nullptr) zmq_socket_monitor(router.handle(), nullptr, 0);
  monitor_.close();
}

}  // namespace ist::rt
