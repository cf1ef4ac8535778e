#include "runtime/blob.h"

#include <cstdlib>
#include <new>

namespace ist::rt {

namespace {

std::atomic<std::uint64_t> g_receive_copies{0};

struct AlignedStorage final : Blob::Storage {
  explicit AlignedStorage(std::size_t n) {
    // aligned_alloc wants a size that is a multiple of the alignment; never allocate 0 bytes.
    std::size_t rounded = ((n + kBlobAlignment - 1) / kBlobAlignment) * kBlobAlignment;
    if (rounded == 0) rounded = kBlobAlignment;
    bytes = static_cast<std::byte*>(std::aligned_alloc(kBlobAlignment, rounded));
    if (bytes == nullptr) throw std::bad_alloc();
  }
  ~AlignedStorage() override { std::free(bytes); }
  std::byte* bytes = nullptr;
};

struct ZmqStorage final : Blob::Storage {
  explicit ZmqStorage(zmq::message_t&& m) : msg(std::move(m)) {}
  zmq::message_t msg;
};

// ZeroMQ calls this from its own I/O thread when it no longer needs the bytes.
void drop_reference(void* /*data*/, void* hint) {
  delete static_cast<std::shared_ptr<const Blob::Storage>*>(hint);
}

}  // namespace

Blob Blob::allocate(std::size_t size) {
  auto storage = std::make_shared<AlignedStorage>(size);
  Blob b;
  b.data_ = storage->bytes;
  b.size_ = size;
  b.storage_ = std::move(storage);
  return b;
}

Blob Blob::copy_of(const void* data, std::size_t size) {
  return make(size, [&](std::span<std::byte> out) {
    if (size > 0) std::memcpy(out.data(), data, size);
  });
}

Blob Blob::from_zmq(zmq::message_t&& msg) {
  const auto addr = reinterpret_cast<std::uintptr_t>(msg.data());
  if (msg.size() == 0) return Blob();
  if (addr % kBlobAlignment != 0) {
    g_receive_copies.fetch_add(1, std::memory_order_relaxed);
    return copy_of(msg.data(), msg.size());
  }
  auto storage = std::make_shared<ZmqStorage>(std::move(msg));
  Blob b;
  b.data_ = static_cast<const std::byte*>(storage->msg.data());
  b.size_ = storage->msg.size();
  b.storage_ = std::move(storage);
  return b;
}

zmq::message_t Blob::to_zmq() const {
  if (size_ == 0) return zmq::message_t();
  auto* ref = new std::shared_ptr<const Storage>(storage_);
  return zmq::message_t(const_cast<std::byte*>(data_), size_, &drop_reference, ref);
}

std::uint64_t Blob::receive_copies() { return g_receive_copies.load(std::memory_order_relaxed); }

}  // namespace ist::rt
