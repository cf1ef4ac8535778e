// Model layers <-> raw frames: each weight and each bias is one blob of little-endian float32, with the
// shapes carried in the message header. One copy on each side: into the blob when sending (the blob then
// goes to ZeroMQ without copying), out of the blob into the receiver's matrices.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "runtime/payload.h"

namespace ist::actors {

// Appends 2 blobs per layer (weight, bias) to payload; returns the shapes (rows, cols per layer).
std::vector<std::int64_t> append_layers(const Mlp& model, rt::Payload& payload);

// Rebuilds layers from payload.blobs[first_blob...] and the shapes. Errors: decode_failure naming the
// layer when the blob count or a blob's size disagrees with the shapes, or a shape is negative.
Result<Mlp> read_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes, std::size_t first_blob = 0);

}  // namespace ist::actors
