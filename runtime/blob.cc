#include "runtime/blob.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace ist::rt {

namespace {

std::atomic<std::uint64_t> g_receive_copies{0};
std::atomic<std::uint64_t> g_receive_copied_bytes{0};

// Large buffers are recycled: glibc returns big blocks to the OS (munmap) on free, and touching fresh
// pages costs more than the copy itself (64 MiB: ~30 ms of page faults vs ~7 ms of memcpy here).
// Buffers of at least kPoolMin bytes, up to kPoolCap bytes in total, wait here for a blob of the same
// rounded size (a training loop sends the same tensor sizes every round). The cap bounds what the pool
// holds resident between rounds: 64 MiB keeps a whole round of the main job's slices (about 11 MiB) and
// costs a driver of a 784-8192-8192-10 model at most 0.23x the model on top of its peak (512 MiB, the
// old cap, kept a round's slices of it resident: 0.3x at S = 4, 0.57x at S = 2).
constexpr std::size_t kPoolMin = std::size_t{1} << 20;
constexpr std::size_t kPoolCap = std::size_t{64} << 20;

class BufferPool {
 public:
  std::byte* take(std::size_t rounded) {
    if (rounded >= kPoolMin) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(rounded);
      if (it != free_.end() && !it->second.empty()) {
        std::byte* p = it->second.back();
        it->second.pop_back();
        pooled_ -= rounded;
        return p;
      }
    }
    auto* p = static_cast<std::byte*>(std::aligned_alloc(kBlobAlignment, rounded));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void give(std::byte* p, std::size_t rounded) {
    if (rounded >= kPoolMin) {
      std::lock_guard<std::mutex> lock(mu_);
      if (pooled_ + rounded <= kPoolCap) {
        free_[rounded].push_back(p);
        pooled_ += rounded;
        return;
      }
    }
    std::free(p);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::size_t, std::vector<std::byte*>> free_;  // GUARDED_BY(mu_)
  std::size_t pooled_ = 0;                                         // GUARDED_BY(mu_)
};

BufferPool& pool() {
  static BufferPool* p = new BufferPool();  // never destroyed: blobs may die during static destruction
  return *p;
}

struct AlignedStorage final : Blob::Storage {
  explicit AlignedStorage(std::size_t n) {
    // aligned_alloc wants a size that is a multiple of the alignment; never allocate 0 bytes.
    rounded = ((n + kBlobAlignment - 1) / kBlobAlignment) * kBlobAlignment;
    if (rounded == 0) rounded = kBlobAlignment;
    bytes = pool().take(rounded);
  }
  ~AlignedStorage() override { pool().give(bytes, rounded); }
  std::byte* bytes = nullptr;
  std::size_t rounded = 0;
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
  if (addr % kReceivedAlignment != 0) {
    g_receive_copies.fetch_add(1, std::memory_order_relaxed);
    g_receive_copied_bytes.fetch_add(msg.size(), std::memory_order_relaxed);
    return copy_of(msg.data(), msg.size());
  }
  auto storage = std::make_shared<ZmqStorage>(std::move(msg));
  Blob b;
  b.data_ = static_cast<const std::byte*>(storage->msg.data());
  b.size_ = storage->msg.size();
  b.storage_ = std::move(storage);
  return b;
}

Blob Blob::adopt(std::shared_ptr<const Storage> owner, std::span<const std::byte> bytes) {
  Blob b;
  if (bytes.empty()) return b;
  b.data_ = bytes.data();
  b.size_ = bytes.size();
  b.storage_ = std::move(owner);
  return b;
}

zmq::message_t Blob::to_zmq() const {
  if (size_ == 0) return zmq::message_t();
  auto* ref = new std::shared_ptr<const Storage>(storage_);
  return zmq::message_t(const_cast<std::byte*>(data_), size_, &drop_reference, ref);
}

std::uint64_t Blob::receive_copies() { return g_receive_copies.load(std::memory_order_relaxed); }
std::uint64_t Blob::receive_copied_bytes() { return g_receive_copied_bytes.load(std::memory_order_relaxed); }

}  // namespace ist::rt
