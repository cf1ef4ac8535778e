#include "actors/tensor_frames.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace ist::actors {

namespace {

std::atomic<std::uint64_t> g_frame_bytes_copied{0};

void count_copy(std::size_t bytes) { g_frame_bytes_copied.fetch_add(bytes, std::memory_order_relaxed); }

template <typename M>
std::span<const std::byte> bytes_of(const M& m) {
  return {reinterpret_cast<const std::byte*>(m.data()), sizeof(float) * static_cast<std::size_t>(m.size())};
}

}  // namespace

std::uint64_t frame_bytes_copied() { return g_frame_bytes_copied.load(std::memory_order_relaxed); }

std::vector<std::int64_t> append_layers(const Mlp& model, rt::Payload& payload) {
  std::vector<std::int64_t> shapes;
  for (const Linear& layer : model.layers) {
    shapes.push_back(layer.weight.rows());
    shapes.push_back(layer.weight.cols());
    payload.blobs.push_back(rt::Blob::copy_of(layer.weight.data(), sizeof(float) * static_cast<std::size_t>(layer.weight.size())));
    payload.blobs.push_back(rt::Blob::copy_of(layer.bias.data(), sizeof(float) * static_cast<std::size_t>(layer.bias.size())));
    count_copy(payload.blobs[payload.blobs.size() - 2].size() + payload.blobs.back().size());
  }
  return shapes;
}

Result<std::vector<FrameLayer>> frame_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes,
                                             std::size_t first_blob) {
  if (shapes.size() % 2 != 0) return Status::decode_failure("layer shapes must come in (rows, cols) pairs");
  const std::size_t layers = shapes.size() / 2;
  if (payload.blobs.size() < first_blob + 2 * layers) {
    return Status::decode_failure("expected " + std::to_string(2 * layers) + " tensor frames, got " +
                                  std::to_string(payload.blobs.size() - std::min(first_blob, payload.blobs.size())));
  }
  std::vector<FrameLayer> views;
  for (std::size_t l = 0; l < layers; ++l) {
    const std::int64_t rows = shapes[2 * l], cols = shapes[2 * l + 1];
    // Bounded so that rows * cols * 4 cannot overflow: no frame is larger than the message cap anyway.
    constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;
    if (rows < 0 || cols < 0 || rows > kMaxDim || cols > kMaxDim) {
      return Status::decode_failure("layer " + std::to_string(l) + " has a shape out of range");
    }
    const rt::Blob& w = payload.blobs[first_blob + 2 * l];
    const rt::Blob& b = payload.blobs[first_blob + 2 * l + 1];
    if (w.size() != sizeof(float) * static_cast<std::size_t>(rows * cols) ||
        b.size() != sizeof(float) * static_cast<std::size_t>(rows)) {
      return Status::decode_failure("layer " + std::to_string(l) + ": frames of " + std::to_string(w.size()) +
                                    " and " + std::to_string(b.size()) + " bytes do not hold a " +
                                    std::to_string(rows) + "x" + std::to_string(cols) + " float layer");
    }
    views.push_back(FrameLayer{w.as<float>().data(), b.as<float>().data(), rows, cols});
  }
  return views;
}

namespace {

// Copies one layer's frames into layer, resizing its buffers only when their shape differs.
void copy_into(const FrameLayer& view, Linear& layer) {
  layer.weight.resize(view.rows, view.cols);
  layer.bias.resize(view.rows);
  std::copy(view.weight, view.weight + view.rows * view.cols, layer.weight.data());
  std::copy(view.bias, view.bias + view.rows, layer.bias.data());
  count_copy(sizeof(float) * static_cast<std::size_t>(view.rows * view.cols + view.rows));
}

}  // namespace

Result<Mlp> read_layers(const rt::Payload& payload, const std::vector<std::int64_t>& shapes, std::size_t first_blob) {
  IST_ASSIGN_OR_RETURN(std::vector<FrameLayer> views, frame_layers(payload, shapes, first_blob));
  Mlp model;
  model.layers.resize(views.size());
  for (std::size_t l = 0; l < views.size(); ++l) copy_into(views[l], model.layers[l]);
  return model;
}

struct LentNet::Storage final : rt::Blob::Storage {
  Mlp net;
};

Result<Mlp*> LentNet::fill_from(const rt::Payload& payload, const std::vector<std::int64_t>& shapes,
                                std::size_t first_blob) {
  IST_ASSIGN_OR_RETURN(std::vector<FrameLayer> views, frame_layers(payload, shapes, first_blob));
  reused_ = writable_again(storage_);
  if (!reused_) storage_ = std::make_shared<Storage>();
  Mlp& net = storage_->net;
  net.layers.resize(views.size());
  for (std::size_t l = 0; l < views.size(); ++l) {
    reused_ = reused_ && net.layers[l].weight.rows() == views[l].rows && net.layers[l].weight.cols() == views[l].cols;
    copy_into(views[l], net.layers[l]);
  }
  return &net;
}

std::vector<std::int64_t> LentNet::lend_to(rt::Payload& payload, AfterLending after) {
  std::vector<std::int64_t> shapes;
  for (const Linear& layer : storage_->net.layers) {
    shapes.push_back(layer.weight.rows());
    shapes.push_back(layer.weight.cols());
    payload.blobs.push_back(rt::Blob::adopt(storage_, bytes_of(layer.weight)));
    payload.blobs.push_back(rt::Blob::adopt(storage_, bytes_of(layer.bias)));
  }
  if (after == AfterLending::kRelease) storage_.reset();  // the frames hold the buffers alone now
  return shapes;
}

}  // namespace ist::actors
