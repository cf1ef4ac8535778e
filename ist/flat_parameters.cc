#include "ist/flat_parameters.h"

#include <algorithm>

namespace ist {

namespace {
template <typename M>
void append(std::vector<float>& flat, const M& m) {
  flat.insert(flat.end(), m.data(), m.data() + m.size());
}
template <typename M>
std::size_t read_into(const std::vector<float>& flat, std::size_t offset, M& m) {
  std::copy(flat.begin() + static_cast<std::ptrdiff_t>(offset),
            flat.begin() + static_cast<std::ptrdiff_t>(offset + static_cast<std::size_t>(m.size())), m.data());
  return offset + static_cast<std::size_t>(m.size());
}
}  // namespace

std::vector<float> flatten_parameters(const Mlp& model) {
  std::vector<float> flat;
  flatten_parameters(model, flat);
  return flat;
}

void flatten_parameters(const Mlp& model, std::vector<float>& flat) {
  flat.clear();
  flat.reserve(static_cast<std::size_t>(model.parameter_count()));
  for (const Linear& layer : model.layers) {
    append(flat, layer.weight);
    append(flat, layer.bias);
  }
}

void unflatten_parameters(const std::vector<float>& flat, Mlp& model) {
  std::size_t offset = 0;
  for (Linear& layer : model.layers) {
    offset = read_into(flat, offset, layer.weight);
    offset = read_into(flat, offset, layer.bias);
  }
}

void flatten_gradients(const Gradients& grads, std::vector<float>& flat) {
  flat.clear();
  for (std::size_t l = 0; l < grads.weight.size(); ++l) {
    append(flat, grads.weight[l]);
    append(flat, grads.bias[l]);
  }
}

void unflatten_gradients(const std::vector<float>& flat, Gradients& grads) {
  std::size_t offset = 0;
  for (std::size_t l = 0; l < grads.weight.size(); ++l) {
    offset = read_into(flat, offset, grads.weight[l]);
    offset = read_into(flat, offset, grads.bias[l]);
  }
}

void scale_to_mean(std::vector<float>& values, int count) {
  const float inv = 1.0f / static_cast<float>(count);
  for (float& v : values) v *= inv;
}

}  // namespace ist
