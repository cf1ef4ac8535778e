// ZapHandler: the ZeroMQ authentication handler (ZAP, RFC 27) of one node's context. libzmq asks it about
// every CURVE handshake on the node's ROUTER; it admits a client only if the client's public key is the
// cluster's (cluster_key.h). A refused peer is logged once per address (not once per reconnect attempt);
// after kMaxLoggedPeers distinct addresses, one more line says further refusals go unlogged.
// Owned and served by the node's I/O thread only (it polls handle()).
#pragma once

#include <cstddef>
#include <string>
#include <unordered_set>

#include <zmq.hpp>

#include "base/status.h"
#include "runtime/cluster_key.h"

namespace ist::rt {

class ZapHandler {
 public:
  static constexpr std::size_t kMaxLoggedPeers = 1024;

  // Binds the handler's socket in `ctx` (inproc://zeromq.zap.01). Call before any CURVE server socket
  // of `ctx` accepts connections. `node_name` prefixes the log lines. Errors: kIoError.
  static Result<ZapHandler> open(zmq::context_t& ctx, const ClusterKey& key, std::string node_name);

  ZapHandler(ZapHandler&&) = default;
  ZapHandler& operator=(ZapHandler&&) = default;

  void* handle() { return socket_.handle(); }
  // Answers every request queued so far, without blocking.
  void serve_io();
  void close() { socket_.close(); }
  std::size_t refused() const { return refused_; }  // handshakes refused so far

 private:
  ZapHandler() = default;
  zmq::socket_t socket_;
  ClusterKey::Bytes cluster_public_{};
  std::string node_name_;
  std::unordered_set<std::string> logged_peers_;
  std::size_t refused_ = 0;
};

}  // namespace ist::rt
