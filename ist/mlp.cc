#include "ist/mlp.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>

#include "ist/evaluation.h"
#include "ist/random.h"

namespace ist {

std::vector<int> Mlp::widths() const {
  std::vector<int> w;
  if (layers.empty()) return w;
  w.push_back(static_cast<int>(layers.front().inputs()));
  for (const Linear& layer : layers) w.push_back(static_cast<int>(layer.outputs()));
  return w;
}

std::int64_t Mlp::parameter_count() const {
  std::int64_t n = 0;
  for (const Linear& layer : layers) n += layer.weight.size() + layer.bias.size();
  return n;
}

Status validate_widths(const std::vector<int>& widths) {
  if (widths.size() < 2) {
    return Status::invalid_argument("a net needs at least an input and an output width, got " +
                                    std::to_string(widths.size()) + " width(s)");
  }
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (widths[i] < 1) {
      return Status::invalid_argument("width " + std::to_string(i) + " is " + std::to_string(widths[i]) +
                                      "; every width must be at least 1");
    }
  }
  return Status::ok_status();
}

// A float is NaN or infinite exactly when its exponent bits are all ones. Branch-free so it vectorizes:
// the check reads the model at memory speed (a few ms for 6M parameters).
bool all_finite(const float* values, Index count) {
  std::uint32_t bad = 0;
  for (Index i = 0; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof(bits));
    bad |= static_cast<std::uint32_t>((bits & 0x7F800000u) == 0x7F800000u);
  }
  return bad == 0;
}

std::optional<std::string> first_non_finite(const Mlp& model) {
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const Linear& layer = model.layers[l];
    const std::string name = "layers." + std::to_string(l);
    if (!all_finite(layer.weight.data(), layer.weight.size())) {
      for (Index r = 0; r < layer.weight.rows(); ++r) {
        for (Index c = 0; c < layer.weight.cols(); ++c) {
          if (!std::isfinite(layer.weight(r, c))) {
            return name + ".weight (row " + std::to_string(r) + ", column " + std::to_string(c) + ")";
          }
        }
      }
    }
    if (!all_finite(layer.bias.data(), layer.bias.size())) {
      for (Index i = 0; i < layer.bias.size(); ++i) {
        if (!std::isfinite(layer.bias(i))) return name + ".bias (entry " + std::to_string(i) + ")";
      }
    }
  }
  return std::nullopt;
}

Result<Mlp> make_mlp(const std::vector<int>& widths, std::uint64_t seed) {
  IST_RETURN_IF_ERROR(validate_widths(widths));
  Mlp model;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    Linear layer;
    layer.weight.resize(widths[l + 1], widths[l]);
    layer.bias = Vector::Zero(widths[l + 1]);
    Rng rng(derive_seed(seed, {kSeedInit, l}));
    const float stddev = std::sqrt(2.0f / static_cast<float>(widths[l]));
    float* w = layer.weight.data();
    for (Index i = 0; i < layer.weight.size(); ++i) w[i] = stddev * rng.normal();
    model.layers.push_back(std::move(layer));
  }
  return model;
}

void linear_forward(const Linear& layer, const Matrix& x, Matrix& y) {
  y.resize(x.rows(), layer.outputs());
  y.rowwise() = layer.bias.transpose();
  gemm(false, true, layer.input_scale, x, layer.weight, 1.0f, y);
}

void linear_backward(const Linear& layer, const Matrix& x, const Matrix& dy, Matrix& weight_grad,
                     Vector& bias_grad, Matrix* dx) {
  weight_grad.resize(layer.outputs(), layer.inputs());
  gemm(true, false, layer.input_scale, dy, x, 0.0f, weight_grad);
  bias_grad = dy.colwise().sum().transpose();
  if (dx != nullptr) {
    dx->resize(dy.rows(), layer.inputs());
    gemm(false, false, layer.input_scale, dy, layer.weight, 0.0f, *dx);
  }
}

void relu_forward(Matrix& z) { z = z.cwiseMax(0.0f); }

void relu_backward(const Matrix& activation, Matrix& grad) {
  grad = (activation.array() > 0.0f).select(grad, 0.0f);
}

float softmax_cross_entropy(const Matrix& logits, const std::vector<std::int32_t>& labels, Matrix& dlogits) {
  const Index batch = logits.rows();
  dlogits.resize(batch, logits.cols());
  double total = 0.0;
  const float inv_batch = 1.0f / static_cast<float>(batch);
  for (Index i = 0; i < batch; ++i) {
    const float max_logit = logits.row(i).maxCoeff();
    dlogits.row(i) = (logits.row(i).array() - max_logit).exp();
    const float sum = dlogits.row(i).sum();
    const std::int32_t label = labels[static_cast<std::size_t>(i)];
    total += std::log(sum) - (logits(i, label) - max_logit);
    dlogits.row(i) *= inv_batch / sum;
    dlogits(i, label) -= inv_batch;
  }
  return static_cast<float>(total / static_cast<double>(batch));
}

const Matrix& forward(const Mlp& model, const Matrix& x, Workspace& ws) {
  const std::size_t n = model.layers.size();
  ws.activations.resize(n + 1);
  for (std::size_t l = 0; l < n; ++l) {
    const Matrix& input = l == 0 ? x : ws.activations[l];
    linear_forward(model.layers[l], input, ws.activations[l + 1]);
    if (l + 1 < n) relu_forward(ws.activations[l + 1]);
  }
  return ws.activations[n];
}

float compute_gradients(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels,
                        Workspace& ws, Gradients& grads) {
  const std::size_t n = model.layers.size();
  const Matrix& logits = forward(model, x, ws);
  const float loss = softmax_cross_entropy(logits, labels, ws.logits_grad);
  grads.weight.resize(n);
  grads.bias.resize(n);
  Matrix* dy = &ws.logits_grad;
  for (std::size_t l = n; l-- > 0;) {
    const Matrix& input = l == 0 ? x : ws.activations[l];
    Matrix* dx = l == 0 ? nullptr : (dy == &ws.grad_a ? &ws.grad_b : &ws.grad_a);
    linear_backward(model.layers[l], input, *dy, grads.weight[l], grads.bias[l], dx);
    if (dx != nullptr) {
      relu_backward(ws.activations[l], *dx);
      dy = dx;
    }
  }
  return loss;
}

double accuracy(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels) {
  return accuracy(model, x, labels, static_cast<int>(std::thread::hardware_concurrency()));
}

namespace {
void fnv1a(std::uint64_t& h, const void* data, std::size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    h ^= p[i];
    h *= 0x100000001B3ULL;
  }
}
}  // namespace

std::uint64_t parameter_hash(const Mlp& model) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const Linear& layer : model.layers) {
    const std::int64_t shape[2] = {layer.weight.rows(), layer.weight.cols()};
    fnv1a(h, shape, sizeof(shape));
    fnv1a(h, layer.weight.data(), sizeof(float) * static_cast<std::size_t>(layer.weight.size()));
    fnv1a(h, layer.bias.data(), sizeof(float) * static_cast<std::size_t>(layer.bias.size()));
  }
  return h;
}

}  // namespace ist
