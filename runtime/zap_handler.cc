#include "runtime/zap_handler.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

#include <zmq_addon.hpp>

#include "runtime/log.h"

namespace ist::rt {

Result<ZapHandler> ZapHandler::open(zmq::context_t& ctx, const ClusterKey& key, std::string node_name) {
  ZapHandler z;
  z.cluster_public_ = key.public_key();
  z.node_name_ = std::move(node_name);
  try {
    z.socket_ = zmq::socket_t(ctx, zmq::socket_type::rep);
    z.socket_.set(zmq::sockopt::linger, 0);
    z.socket_.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    return Status::io_error(std::string("starting the ZAP handler: ") + e.what());
  }
  return z;
}

void ZapHandler::serve_io() {
  for (;;) {
    std::vector<zmq::message_t> req;
    try {
      if (!zmq::recv_multipart(socket_, std::back_inserter(req), zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t& e) {
      log(LogLevel::kError, "ZAP handler: ", e.what());
      return;
    }
    // [version, request id, domain, address, routing id, mechanism, credentials...]
    const bool well_formed = req.size() >= 6 && req[0].to_string_view() == "1.0";
    const std::string address = req.size() > 3 ? req[3].to_string() : "?";
    const std::string mechanism = req.size() > 5 ? req[5].to_string() : "?";
    const bool admitted = well_formed && mechanism == "CURVE" && req.size() == 7 &&
                          req[6].size() == cluster_public_.size() &&
                          std::memcmp(req[6].data(), cluster_public_.data(), cluster_public_.size()) == 0;
    if (!admitted) {
      ++refused_;
      if (logged_peers_.size() < kMaxLoggedPeers && logged_peers_.insert(address).second) {
        log(LogLevel::kWarn, node_name_, ": refused a ", mechanism, " handshake from ", address,
            ": not the cluster's key (logged once per address)");
      } else if (logged_peers_.size() == kMaxLoggedPeers && logged_peers_.insert("").second) {
        log(LogLevel::kWarn, node_name_, ": refused handshakes from ", kMaxLoggedPeers,
            " addresses; further refusals are not logged");
      }
    }
    std::vector<zmq::message_t> reply;
    reply.emplace_back(std::string_view("1.0"));
    reply.emplace_back(req.size() > 1 ? req[1].to_string_view() : std::string_view());
    reply.emplace_back(std::string_view(admitted ? "200" : "400"));
    reply.emplace_back(std::string_view(admitted ? "OK" : "not the cluster's key"));
    reply.emplace_back(std::string_view(admitted ? "cluster" : ""));  // user id
    reply.emplace_back(std::string_view());                             // metadata
    try {
      zmq::send_multipart(socket_, reply, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      log(LogLevel::kError, "ZAP handler reply: ", e.what());
    }
  }
}

}  // namespace ist::rt
