// A fully connected network of any depth: hidden layers with ReLU, a linear output layer whose logits
// feed softmax cross-entropy. Float32, row-major, weights (out x in) as in PyTorch. Every layer is a
// forward/backward pair of free functions over explicit buffers, so the reference path and the fast
// training step share them and a gradient check can test each one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/tensor.h"

namespace ist {

struct Linear {
  Matrix weight;  // (out x in)
  Vector bias;    // (out)
  // Multiplier applied to this layer's input (1 in a full model; H/|I| inside an IST subnet with
  // inverted-dropout scaling, see slice.h). Kept per layer so a subnet is an ordinary Mlp.
  float input_scale = 1.0f;

  Index inputs() const { return weight.cols(); }
  Index outputs() const { return weight.rows(); }
};

struct Mlp {
  std::vector<Linear> layers;  // layers.size() == number of hidden layers + 1

  // {inputs, hidden_1, ..., hidden_L, classes}
  std::vector<int> widths() const;
  int hidden_layer_count() const { return static_cast<int>(layers.size()) - 1; }
  std::int64_t parameter_count() const;
};

// Checks that widths describe a net: at least {inputs, classes}, every width >= 1.
// Errors: invalid_argument naming the offending position.
Status validate_widths(const std::vector<int>& widths);

// True when none of the `count` floats is NaN or infinite (reads them at memory speed).
bool all_finite(const float* values, Index count);

// Names the first parameter that is NaN or infinite, e.g. "layers.1.weight (row 3, column 7)", or
// nothing when every weight and bias is finite. Reads the whole model once; changes nothing.
std::optional<std::string> first_non_finite(const Mlp& model);

// He (Kaiming) normal initialization: weights ~ N(0, 2 / fan_in), biases 0. Deterministic in seed.
Result<Mlp> make_mlp(const std::vector<int>& widths, std::uint64_t seed);

// y = input_scale * x W^T + b.  x is (batch x in), y is resized to (batch x out).
void linear_forward(const Linear& layer, const Matrix& x, Matrix& y);
// Given dy = dLoss/dy (batch x out): weight_grad = input_scale * dy^T x (out x in), bias_grad = column sums
// of dy; if dx is not null, dx = input_scale * dy W (batch x in). Buffers are resized; results overwrite.
void linear_backward(const Linear& layer, const Matrix& x, const Matrix& dy, Matrix& weight_grad,
                     Vector& bias_grad, Matrix* dx);

// In place: z = max(z, 0).
void relu_forward(Matrix& z);
// In place: grad *= (activation > 0), where activation is relu_forward's output.
void relu_backward(const Matrix& activation, Matrix& grad);

// Mean softmax cross-entropy of logits (batch x classes) against labels; writes dlogits = d(mean loss)/d
// logits (same shape). REQUIRES: labels.size() == logits.rows(), every label in [0, classes).
float softmax_cross_entropy(const Matrix& logits, const std::vector<std::int32_t>& labels, Matrix& dlogits);

// Reusable buffers of one forward/backward pass, sized on first use: keeps the training loop free of
// allocations. activations[0] is unused (the input is passed by reference); activations[l+1] is layer
// l's output (after ReLU for hidden layers, logits for the last).
struct Workspace {
  std::vector<Matrix> activations;
  Matrix grad_a;  // gradient flowing backwards, swapped with grad_b between layers
  Matrix grad_b;
  Matrix logits_grad;
  std::vector<Vector> bias_grads;  // per layer (the fused training step, which needs no weight gradients)
};

// Forward pass; returns the logits (a reference into ws).
const Matrix& forward(const Mlp& model, const Matrix& x, Workspace& ws);

struct Gradients {
  std::vector<Matrix> weight;  // same shapes as the model's weights
  std::vector<Vector> bias;
};

// The reference gradient: mean cross-entropy of (x, labels) and its gradient with respect to every
// parameter. Slow-but-clear path for gradient checks and data-parallel training.
float compute_gradients(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels,
                        Workspace& ws, Gradients& grads);

// Fraction of rows whose arg-max logit equals the label (ties: lowest index). Evaluated in chunks.
double accuracy(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels);

// Stable hash of every parameter's bytes and of the shapes (FNV-1a 64): equal models, equal hash.
std::uint64_t parameter_hash(const Mlp& model);

}  // namespace ist
