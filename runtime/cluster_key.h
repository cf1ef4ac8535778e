// ClusterKey: the one credential of a secured cluster. Every node's ROUTER is a CURVE server with this
// key pair, and every outbound socket (DEALERs, `ist status`'s query) is a CURVE client presenting the
// same pair, so a peer without the secret can neither read the traffic nor complete a handshake: the
// server's ZAP handler (zap_handler.h) refuses any client whose public key is not the cluster's.
// Text form (files, the join token): the 32-byte secret key as 64 lowercase hex digits; the public key is
// derived from it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace zmq {
class socket_t;
}

namespace ist::rt {

class ClusterKey {
 public:
  using Bytes = std::array<std::uint8_t, 32>;

  // A fresh random key pair (libsodium via libzmq). Errors: kInternal if libzmq has no CURVE.
  static Result<ClusterKey> generate();
  // Parses the text form. Errors: kInvalidArgument naming what is wrong (never echoes the secret).
  static Result<ClusterKey> from_text(const std::string& hex);
  // Reads a key file (the text form, optional trailing newline). Errors: kNotFound, kIoError,
  // kInvalidArgument naming the file; a file that others may read (mode & 077) is refused too.
  static Result<ClusterKey> read_file(const std::string& path);
  // Writes the text form to `path`, created with mode 0600 (replacing what was there). Errors: kIoError.
  Status write_file(const std::string& path) const;

  std::string text() const;  // the secret: the join token
  const Bytes& public_key() const { return public_; }
  const Bytes& secret_key() const { return secret_; }

  // Socket setup; call before bind/connect. Errors: kIoError from libzmq.
  // A server socket: CURVE server with the cluster's secret; handshakes go to the ZAP handler.
  Status make_server(zmq::socket_t& socket) const;
  // A client socket: trusts only a server holding the cluster's key, and presents the cluster's key.
  Status make_client(zmq::socket_t& socket) const;

 private:
  ClusterKey() = default;
  Bytes public_{};
  Bytes secret_{};
};

// True if this libzmq was built with CURVE (Debian's is, with libsodium).
bool curve_available();

}  // namespace ist::rt
