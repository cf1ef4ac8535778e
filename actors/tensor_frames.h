// Model layers <-> raw frames: each weight and each bias is one blob of little-endian float32, with the
// shapes carried in the message header. Sending either copies once, into the blob (append_layers, for a
// model that stays), or lends the net's own buffers (LentNet::lend_to: 0 copies); the blob then goes to
// ZeroMQ without copying. Receiving either reads the frames in place (frame_layers) or copies once into a
// net (read_layers, LentNet::fill_from).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "runtime/payload.h"

namespace ist::actors {

// Appends 2 blobs per layer (weight, bias) to payload; returns the shapes (rows, cols per layer).
std::vector<std::int64_t> append_layers(const Mlp& model, rt::Payload& payload);

// Process-wide bytes copied between nets and frames by append_layers and read_layers, so tests can tell
// the zero-copy paths from the copying ones. @threadsafe
std::uint64_t frame_bytes_copied();

// One layer read in place from its frames: a rows x cols row-major weight and a bias of rows floats.
// Valid while the payload's blobs live.
struct FrameLayer {
  const float* weight = nullptr;
  const float* bias = nullptr;
  Index rows = 0;
  Index cols = 0;
};

// The layers in payload.blobs[first_blob...] as views. Errors: decode_failure naming the layer when the
// blob count or a blob's size disagrees with the shapes, or a shape is negative or odd in count.
Result<std::vector<FrameLayer>> frame_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes,
                                             std::size_t first_blob = 0);

// Rebuilds layers from payload.blobs[first_blob...] and the shapes (one copy). Errors: as frame_layers.
Result<Mlp> read_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes, std::size_t first_blob = 0);

// True when storage is held by the caller's pointer alone: every blob made of it (a reply's or a ring
// chunk's frames, which ZeroMQ holds until they are sent) is gone, so the caller may write it again. Only
// the caller can make new references, so the answer stays true. Orders the caller's writes after the
// frames' last reads of the bytes.
template <typename T>
bool writable_again(const std::shared_ptr<T>& storage) {
  if (storage == nullptr || storage.use_count() != 1) return false;
  std::atomic_thread_fence(std::memory_order_acquire);
  return true;
}

// A net trained round after round in the same buffers although every round's reply sends it without a
// copy: lend_to makes the reply's frames of the net's own buffers, and the next fill_from takes them back
// once no frame holds them any more (ZeroMQ has sent them); if one still does, that round gets new
// buffers and the lent ones are freed with their last frame. One thread at a time (the trainer's actor).
class LentNet {
 public:
  // The net, filled from payload.blobs[first_blob...] by one copy (counted by frame_bytes_copied), in the
  // buffers of the round before when they are free and each layer's shape agrees. The pointer is valid
  // until the next fill_from or lend_to; write it only until lend_to. Errors: as frame_layers (the net is
  // then left as it was).
  Result<Mlp*> fill_from(const rt::Payload& payload, const std::vector<std::int64_t>& shapes, std::size_t first_blob = 0);
  // What the net does with its buffers once lent: keep them for the next fill_from (no allocation, but
  // they stay resident between rounds), or give them up to the frames (freed once the frames are sent:
  // between rounds the net holds nothing, and the next fill_from allocates).
  enum class AfterLending { kKeep, kRelease };
  // Appends 2 blobs per layer (weight, bias) over the net's own buffers (0 copies) and returns the shapes.
  // REQUIRES: a successful fill_from since the last lend_to.
  std::vector<std::int64_t> lend_to(rt::Payload& payload, AfterLending after = AfterLending::kKeep);
  // Whether the last fill_from reused the buffers of the round before (for tests and benchmarks).
  bool reused_last_time() const { return reused_; }

 private:
  struct Storage;
  std::shared_ptr<Storage> storage_;
  bool reused_ = false;
};

}  // namespace ist::actors
