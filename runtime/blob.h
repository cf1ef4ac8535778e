// Blob: reference-counted, immutable bytes: how tensors travel (one ZeroMQ frame each).
//
// Copies, stated once for the whole runtime:
//   send:    0 copies in user space. to_zmq() hands ZeroMQ the Blob's own memory (zmq_msg_init_data) and
//            a reference that ZeroMQ drops from its I/O thread once the bytes are on the socket. A Blob
//            may also adopt memory someone else owns (adopt(): e.g. a trained tensor sent as it is).
//   receive: from_zmq() keeps the zmq message itself when its data is aligned for any tensor element
//            (kReceivedAlignment: libzmq allocates a large message as a 40-byte header + data, so its data
//            sits 8 bytes past a 16-byte boundary: kept, 0 copies); otherwise (small frames libzmq packs
//            into its shared receive buffer at odd offsets) it copies once into aligned memory.
//   in-process (same node): 0 copies; the Blob is shared.
// Alignment: blobs made here (make, copy_of) are kBlobAlignment-aligned; received and adopted blobs at
// least kReceivedAlignment (enough for float, double and int64 views, and for Eigen::Map, which does
// not require more).
// Thread-safety: a Blob is an immutable value; copies may be used from any thread at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <zmq.hpp>

namespace ist::rt {

inline constexpr std::size_t kBlobAlignment = 64;
inline constexpr std::size_t kReceivedAlignment = 8;

class Blob {
 public:
  Blob() = default;  // empty: size 0, data() may be null

  // Allocates `size` aligned bytes, lets `fill(std::span<std::byte>)` write them once, then freezes them.
  template <typename Fill>
  static Blob make(std::size_t size, Fill&& fill) {
    Blob b = allocate(size);
    fill(std::span<std::byte>(const_cast<std::byte*>(b.data_), size));
    return b;
  }
  // One copy of `size` bytes at `data` into aligned memory.
  static Blob copy_of(const void* data, std::size_t size);
  // Takes over a received message: zero copy if aligned, else one copy (see the file comment).
  static Blob from_zmq(zmq::message_t&& msg);

  struct Storage {
    virtual ~Storage() = default;
  };
  // A blob over `bytes`, which `owner` keeps alive (e.g. a tensor's own buffer): 0 copies.
  // REQUIRES: bytes lie in memory owner keeps, aligned to kReceivedAlignment, and nobody writes them while
  // this blob, a copy of it or a ZeroMQ message made from it lives.
  static Blob adopt(std::shared_ptr<const Storage> owner, std::span<const std::byte> bytes);

  // A zmq message that refers to this Blob's bytes without copying; the Blob's memory stays alive until
  // ZeroMQ is done with it, whatever happens to this Blob.
  zmq::message_t to_zmq() const;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  // View as an array of T. REQUIRES: size() % sizeof(T) == 0 (alignment holds for T up to 64 bytes).
  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(data_), size_ / sizeof(T)};
  }

  // Process-wide count of receive-side aligning copies, and of the bytes they copied (for benchmarks and
  // tests). @threadsafe
  static std::uint64_t receive_copies();
  static std::uint64_t receive_copied_bytes();

 private:
  static Blob allocate(std::size_t size);
  std::shared_ptr<const Storage> storage_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace ist::rt
