// Model layers <-> raw frames: each weight and each bias is one blob of little-endian float32, with the
// shapes carried in the message header. Sending either copies once, into the blob (append_layers, for a
// model that stays), or hands the model's own buffers over (move_layers_into: 0 copies); the blob then goes
// to ZeroMQ without copying. Receiving either reads the frames in place (frame_layers) or copies once
// into a net (read_layers).
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "runtime/payload.h"

namespace ist::actors {

// Appends 2 blobs per layer (weight, bias) to payload; returns the shapes (rows, cols per layer).
std::vector<std::int64_t> append_layers(const Mlp& model, rt::Payload& payload);
// The same without a copy: the blobs are the model's own buffers, which the payload now keeps alive.
std::vector<std::int64_t> move_layers_into(Mlp&& model, rt::Payload& payload);

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

}  // namespace ist::actors
