#include "actors/tensor_frames.h"

#include <cstring>
#include <string>

namespace ist::actors {

namespace {
rt::Blob blob_of(const float* data, Index count) {
  return rt::Blob::copy_of(data, sizeof(float) * static_cast<std::size_t>(count));
}
}  // namespace

std::vector<std::int64_t> append_layers(const Mlp& model, rt::Payload& payload) {
  std::vector<std::int64_t> shapes;
  for (const Linear& layer : model.layers) {
    shapes.push_back(layer.weight.rows());
    shapes.push_back(layer.weight.cols());
    payload.blobs.push_back(blob_of(layer.weight.data(), layer.weight.size()));
    payload.blobs.push_back(blob_of(layer.bias.data(), layer.bias.size()));
  }
  return shapes;
}

Result<Mlp> read_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes, std::size_t first_blob) {
  if (shapes.size() % 2 != 0) return Status::decode_failure("layer shapes must come in (rows, cols) pairs");
  const std::size_t layers = shapes.size() / 2;
  if (payload.blobs.size() < first_blob + 2 * layers) {
    return Status::decode_failure("expected " + std::to_string(2 * layers) + " tensor frames, got " +
                                  std::to_string(payload.blobs.size() - std::min(first_blob, payload.blobs.size())));
  }
  Mlp model;
  for (std::size_t l = 0; l < layers; ++l) {
    const std::int64_t rows = shapes[2 * l], cols = shapes[2 * l + 1];
    if (rows < 0 || cols < 0) return Status::decode_failure("layer " + std::to_string(l) + " has a negative shape");
    const rt::Blob& w = payload.blobs[first_blob + 2 * l];
    const rt::Blob& b = payload.blobs[first_blob + 2 * l + 1];
    if (w.size() != sizeof(float) * static_cast<std::size_t>(rows * cols) ||
        b.size() != sizeof(float) * static_cast<std::size_t>(rows)) {
      return Status::decode_failure("layer " + std::to_string(l) + ": frames of " + std::to_string(w.size()) +
                                    " and " + std::to_string(b.size()) + " bytes do not hold a " +
                                    std::to_string(rows) + "x" + std::to_string(cols) + " float layer");
    }
    Linear layer;
    layer.weight.resize(rows, cols);
    layer.bias.resize(rows);
    if (w.size() > 0) std::memcpy(layer.weight.data(), w.data(), w.size());
    if (b.size() > 0) std::memcpy(layer.bias.data(), b.data(), b.size());
    model.layers.push_back(std::move(layer));
  }
  return model;
}

}  // namespace ist::actors
