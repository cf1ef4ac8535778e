#include "runtime/cluster_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <zmq.hpp>

namespace ist::rt {

namespace {

constexpr std::size_t kZ85Length = 40;

Result<ClusterKey::Bytes> public_of(const ClusterKey::Bytes& secret) {
  char secret_z85[kZ85Length + 1];
  char public_z85[kZ85Length + 1];
  if (zmq_z85_encode(secret_z85, secret.data(), secret.size()) == nullptr ||
      zmq_curve_public(public_z85, secret_z85) != 0) {
    return Status::internal("this libzmq cannot derive CURVE keys (built without libsodium?)");
  }
  ClusterKey::Bytes out{};
  if (zmq_z85_decode(out.data(), public_z85) == nullptr) return Status::internal("z85 decode failed");
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool curve_available() { return zmq_has("curve") != 0; }

Result<ClusterKey> ClusterKey::generate() {
  if (!curve_available()) return Status::internal("this libzmq has no CURVE support");
  char public_z85[kZ85Length + 1];
  char secret_z85[kZ85Length + 1];
  if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
    return Status::internal(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  }
  ClusterKey key;
  if (zmq_z85_decode(key.secret_.data(), secret_z85) == nullptr ||
      zmq_z85_decode(key.public_.data(), public_z85) == nullptr) {
    return Status::internal("z85 decode of a fresh key failed");
  }
  return key;
}

Result<ClusterKey> ClusterKey::from_text(const std::string& hex) {
  if (hex.size() != 64) {
    return Status::invalid_argument("a cluster key is 64 hex digits, got " + std::to_string(hex.size()) +
                                    " characters");
  }
  ClusterKey key;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::invalid_argument("a cluster key is 64 hex digits; found another character");
    key.secret_[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  if (!curve_available()) return Status::internal("this libzmq has no CURVE support");
  IST_ASSIGN_OR_RETURN(key.public_, public_of(key.secret_));
  return key;
}

Result<ClusterKey> ClusterKey::read_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::not_found("no cluster key file " + path);
    return Status::io_error("cannot read cluster key file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::invalid_argument("cluster key file " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::invalid_argument("cluster key file " + path +
                                    " may be read by other users (chmod 600 it, or make a new cluster)");
  }
  std::ifstream in(path);
  if (!in) return Status::io_error("cannot read cluster key file " + path);
  std::string text;
  std::getline(in, text);
  auto key = from_text(text);
  if (!key.ok()) return key.status().with_context("cluster key file " + path);
  return key;
}

Status ClusterKey::write_file(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error("cannot create " + tmp + ": " + std::strerror(errno));
  const std::string line = text() + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::io_error("cannot write cluster key file " + path + ": " + std::strerror(errno));
  }
  return Status::ok_status();
}

std::string ClusterKey::text() const {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (std::uint8_t b : secret_) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Status ClusterKey::make_server(zmq::socket_t& socket) const {
  try {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret_.data(), secret_.size()));
    socket.set(zmq::sockopt::zap_domain, "ist");
  } catch (const zmq::error_t& e) {
    return Status::io_error(std::string("CURVE server setup: ") + e.what());
  }
  return Status::ok_status();
}

Status ClusterKey::make_client(zmq::socket_t& socket) const {
  try {
    socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(public_.data(), public_.size()));
    socket.set(zmq::sockopt::curve_publickey, zmq::const_buffer(public_.data(), public_.size()));
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret_.data(), secret_.size()));
  } catch (const zmq::error_t& e) {
    return Status::io_error(std::string("CURVE client setup: ") + e.what());
  }
  return Status::ok_status();
}

}  // namespace ist::rt
