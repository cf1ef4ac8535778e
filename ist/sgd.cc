#include "ist/sgd.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ist {

Status validate(const SgdOptions& o) {
  if (!(o.learning_rate > 0.0f) || !std::isfinite(o.learning_rate)) {
    return Status::invalid_argument("learning_rate must be a positive number, got " +
                                    std::to_string(o.learning_rate));
  }
  if (!(o.momentum >= 0.0f && o.momentum < 1.0f)) {
    return Status::invalid_argument("momentum must be in [0, 1), got " + std::to_string(o.momentum));
  }
  if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay)) {
    return Status::invalid_argument("weight_decay must be >= 0, got " + std::to_string(o.weight_decay));
  }
  if (!(o.lr_decay_factor > 0.0f && o.lr_decay_factor <= 1.0f)) {
    return Status::invalid_argument("lr_decay_factor must be in (0, 1], got " +
                                    std::to_string(o.lr_decay_factor));
  }
  if (!(o.lr_decay_every_epochs >= 0.0)) {
    return Status::invalid_argument("lr_decay_every_epochs must be >= 0, got " +
                                    std::to_string(o.lr_decay_every_epochs));
  }
  if (!(o.cosine_epochs >= 0.0)) {
    return Status::invalid_argument("cosine_epochs must be >= 0, got " + std::to_string(o.cosine_epochs));
  }
  if (!(o.warmup_epochs >= 0.0)) {
    return Status::invalid_argument("warmup_epochs must be >= 0, got " + std::to_string(o.warmup_epochs));
  }
  if (!(o.subnet_lr_power >= 0.0f && o.subnet_lr_power <= 2.0f)) {
    return Status::invalid_argument("subnet_lr_power must be in [0, 2], got " + std::to_string(o.subnet_lr_power));
  }
  return Status::ok_status();
}

float learning_rate_at(const SgdOptions& options, double epochs_done) {
  float lr = options.learning_rate;
  if (options.lr_decay_every_epochs > 0.0 && options.lr_decay_factor != 1.0f) {
    const double steps = std::floor(epochs_done / options.lr_decay_every_epochs + 1e-9);
    lr = options.learning_rate * static_cast<float>(std::pow(options.lr_decay_factor, steps));
  }
  if (options.cosine_epochs > 0.0) {
    const double t = std::min(epochs_done / options.cosine_epochs, 1.0);
    lr *= static_cast<float>(0.5 * (1.0 + std::cos(3.14159265358979323846 * t)));
    lr = std::max(lr, options.learning_rate * 1e-3f);
  }
  if (options.warmup_epochs > 0.0 && epochs_done < options.warmup_epochs) {
    lr *= static_cast<float>(std::max(epochs_done / options.warmup_epochs, 0.05));
  }
  return lr;
}

float layer_learning_rate(const Linear& layer, float lr) {
  if (layer.input_scale == 1.0f) return lr;
  return lr / (layer.input_scale * layer.input_scale);
}

float layer_learning_rate(const Linear& layer, float lr, float power) {
  if (power == 2.0f) return layer_learning_rate(layer, lr);
  if (layer.input_scale == 1.0f || power == 0.0f) return lr;
  return lr / std::pow(layer.input_scale, power);
}

float SgdOptimizer::weight_rate(const Linear& layer, float lr) const {
  return layer_learning_rate(layer, lr, correction_.power);
}

float SgdOptimizer::bias_rate(const Linear& layer, float lr) const {
  return correction_.on_bias ? layer_learning_rate(layer, lr, correction_.power) : lr;
}

void SgdOptimizer::restart(float momentum, float weight_decay, SubnetLrCorrection correction) {
  momentum_ = momentum;
  weight_decay_ = weight_decay;
  correction_ = correction;
  for (Matrix& v : weight_velocity_) v.setZero();
  for (Vector& v : bias_velocity_) v.setZero();
}

void SgdOptimizer::ensure_buffers(const Mlp& model) {
  if (momentum_ == 0.0f) return;
  weight_velocity_.resize(model.layers.size());
  bias_velocity_.resize(model.layers.size());
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const Linear& layer = model.layers[l];
    // A buffer of the right shape holds this model's momentum (zero after a restart): keep it.
    if (weight_velocity_[l].rows() != layer.weight.rows() || weight_velocity_[l].cols() != layer.weight.cols()) {
      weight_velocity_[l] = Matrix::Zero(layer.weight.rows(), layer.weight.cols());
    }
    if (bias_velocity_[l].size() != layer.bias.size()) bias_velocity_[l] = Vector::Zero(layer.bias.size());
  }
}

// velocity already holds momentum * v + gradient; adds weight decay and steps the weights, in one pass.
void SgdOptimizer::update_weights_from_velocity(Matrix& weight, Matrix& velocity, float lr) const {
  float* w = weight.data();
  float* v = velocity.data();
  const Index n = weight.size();
  if (weight_decay_ != 0.0f) {
    for (Index i = 0; i < n; ++i) {
      const float vi = v[i] + weight_decay_ * w[i];
      v[i] = vi;
      w[i] -= lr * vi;
    }
  } else {
    for (Index i = 0; i < n; ++i) w[i] -= lr * v[i];
  }
}

void SgdOptimizer::update_bias(Vector& bias, Vector& velocity, const Vector& grad, float lr) const {
  if (momentum_ == 0.0f) {
    bias -= lr * (grad + weight_decay_ * bias);
    return;
  }
  velocity = momentum_ * velocity + grad + weight_decay_ * bias;
  bias -= lr * velocity;
}

float SgdOptimizer::train_step(Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels, float lr,
                               Workspace& ws) {
  ensure_buffers(model);
  const std::size_t n = model.layers.size();
  const Matrix& logits = forward(model, x, ws);
  const float loss = softmax_cross_entropy(logits, labels, ws.logits_grad);
  Matrix* dy = &ws.logits_grad;
  ws.bias_grads.resize(n);
  Vector no_velocity;
  for (std::size_t l = n; l-- > 0;) {
    Linear& layer = model.layers[l];
    const float layer_lr = weight_rate(layer, lr);
    const float layer_bias_lr = bias_rate(layer, lr);
    const Matrix& input = l == 0 ? x : ws.activations[l];
    // The input gradient needs the weights before this step's update.
    Matrix* dx = nullptr;
    if (l > 0) {
      dx = dy == &ws.grad_a ? &ws.grad_b : &ws.grad_a;
      dx->resize(dy->rows(), layer.inputs());
      gemm(false, false, layer.input_scale, *dy, layer.weight, 0.0f, *dx);
    }
    Vector& bias_grad = ws.bias_grads[l];
    bias_grad = dy->colwise().sum().transpose();
    if (momentum_ == 0.0f) {
      // W <- (1 - lr*wd) W - lr * s * dy^T x, all inside the GEMM.
      gemm(true, false, -layer_lr * layer.input_scale, *dy, input, 1.0f - layer_lr * weight_decay_, layer.weight);
      update_bias(layer.bias, no_velocity, bias_grad, layer_bias_lr);
    } else {
      // v <- momentum v + s * dy^T x inside the GEMM, then decay and step in one pass.
      gemm(true, false, layer.input_scale, *dy, input, momentum_, weight_velocity_[l]);
      update_weights_from_velocity(layer.weight, weight_velocity_[l], layer_lr);
      update_bias(layer.bias, bias_velocity_[l], bias_grad, layer_bias_lr);
    }
    if (dx != nullptr) {
      relu_backward(ws.activations[l], *dx);
      dy = dx;
    }
  }
  return loss;
}

void SgdOptimizer::apply(Mlp& model, const Gradients& grads, float lr) {
  ensure_buffers(model);
  Vector no_velocity;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    Linear& layer = model.layers[l];
    const float layer_lr = weight_rate(layer, lr);
    const float layer_bias_lr = bias_rate(layer, lr);
    if (momentum_ == 0.0f) {
      layer.weight = (1.0f - layer_lr * weight_decay_) * layer.weight - layer_lr * grads.weight[l];
      update_bias(layer.bias, no_velocity, grads.bias[l], layer_bias_lr);
    } else {
      weight_velocity_[l] = momentum_ * weight_velocity_[l] + grads.weight[l];
      update_weights_from_velocity(layer.weight, weight_velocity_[l], layer_lr);
      update_bias(layer.bias, bias_velocity_[l], grads.bias[l], layer_bias_lr);
    }
  }
}

}  // namespace ist
