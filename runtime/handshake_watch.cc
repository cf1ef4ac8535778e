#include "runtime/handshake_watch.h"

#include <cstdint>
#include <cstring>

#include "runtime/log.h"

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
  if (monitor_.handle() == nullptr) return;
  for (;;) {
    zmq::message_t what;
    zmq::message_t where;
    try {
      if (!monitor_.recv(what, zmq::recv_flags::dontwait)) return;
      if (what.more() && !monitor_.recv(where, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    if (what.size() < sizeof(std::uint16_t)) continue;
    if (++failures_ == 1) {
      log(LogLevel::kWarn, node_name_, ": refused a connection to ", where.to_string(),
          " whose handshake failed: it does not speak CURVE (a plain-TCP or --insecure peer?); further such "
          "refusals are counted, not logged");
    }
  }
}

void HandshakeWatch::close(zmq::socket_t& router) {
  if (monitor_.handle() == nullptr) return;
  if (router.handle() != nullptr) zmq_socket_monitor(router.handle(), nullptr, 0);
  monitor_.close();
}

}  // namespace ist::rt
