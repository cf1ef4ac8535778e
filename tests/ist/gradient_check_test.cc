// Every layer's backward pass agrees with finite differences of its forward pass.
#include <gtest/gtest.h>

#include <cmath>

#include "ist/mlp.h"
#include "ist/random.h"

namespace ist {
namespace {

// Mean cross-entropy on (x, y), and the on/off pattern of every ReLU on the way.
float loss_of(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& y,
              std::vector<bool>* relu_pattern) {
  Workspace ws;
  Matrix dlogits;
  const float loss = softmax_cross_entropy(forward(model, x, ws), y, dlogits);
  relu_pattern->clear();
  for (std::size_t l = 1; l + 1 < ws.activations.size(); ++l) {
    for (Index i = 0; i < ws.activations[l].size(); ++i) relu_pattern->push_back(ws.activations[l].data()[i] > 0);
  }
  return loss;
}

struct Fixture {
  Mlp model;
  Matrix x;
  std::vector<std::int32_t> y;
};

Fixture make_fixture(const std::vector<int>& widths, float input_scale_of_hidden) {
  Fixture f{make_mlp(widths, 7).value(), Matrix(), {}};
  for (std::size_t l = 1; l < f.model.layers.size(); ++l) f.model.layers[l].input_scale = input_scale_of_hidden;
  Rng rng(11);
  f.x.resize(6, widths.front());
  for (Index i = 0; i < f.x.size(); ++i) f.x.data()[i] = rng.normal();
  for (int i = 0; i < 6; ++i) f.y.push_back(static_cast<std::int32_t>(rng.uniform_below(widths.back())));
  // Non-zero biases so their gradients are tested away from zero.
  for (auto& layer : f.model.layers) {
    for (Index i = 0; i < layer.bias.size(); ++i) layer.bias(i) = 0.1f * rng.normal();
  }
  return f;
}

// Compares analytic gradients with central differences on a sample of every tensor's entries.
void expect_gradients_match_finite_differences(const std::vector<int>& widths, float input_scale) {
  Fixture f = make_fixture(widths, input_scale);
  Workspace ws;
  Gradients grads;
  compute_gradients(f.model, f.x, f.y, ws, grads);
  // Large enough that float rounding of the loss is negligible. A central difference across a ReLU kink
  // measures no derivative, so entries whose perturbation flips a ReLU are counted, not compared.
  const float eps = 3e-3f;
  int checked = 0;
  int across_kink = 0;
  for (std::size_t l = 0; l < f.model.layers.size(); ++l) {
    auto check = [&](float& param, float analytic, const char* what, Index index) {
      const float saved = param;
      std::vector<bool> pattern_up, pattern_down;
      param = saved + eps;
      const double up = loss_of(f.model, f.x, f.y, &pattern_up);
      param = saved - eps;
      const double down = loss_of(f.model, f.x, f.y, &pattern_down);
      param = saved;
      if (pattern_up != pattern_down) {
        ++across_kink;
        return;
      }
      const double numeric = (up - down) / (2.0 * eps);
      EXPECT_NEAR(analytic, numeric, 5e-4 + 2e-2 * std::abs(numeric))
          << "layer " << l << " " << what << " entry " << index;
      ++checked;
    };
    Linear& layer = f.model.layers[l];
    const Index stride = layer.weight.size() > 60 ? 3 : 1;
    for (Index i = 0; i < layer.weight.size(); i += stride) {
      check(layer.weight.data()[i], grads.weight[l].data()[i], "weight", i);
    }
    for (Index i = 0; i < layer.bias.size(); ++i) check(layer.bias(i), grads.bias[l](i), "bias", i);
  }
  EXPECT_GT(checked, 20);
  EXPECT_LE(across_kink * 5, checked) << "too few entries were comparable";
}

TEST(GradientCheck, OneHiddenLayerMatchesFiniteDifferences) {
  expect_gradients_match_finite_differences({5, 7, 3}, 1.0f);
}

TEST(GradientCheck, ThreeHiddenLayersMatchFiniteDifferences) {
  expect_gradients_match_finite_differences({4, 6, 5, 6, 3}, 1.0f);
}

TEST(GradientCheck, ScaledSubnetInputsMatchFiniteDifferences) {
  expect_gradients_match_finite_differences({5, 6, 6, 4}, 2.5f);
}

TEST(GradientCheck, NoHiddenLayerIsSoftmaxRegression) {
  expect_gradients_match_finite_differences({6, 4}, 1.0f);
}

TEST(SoftmaxCrossEntropy, IsLogOfClassCountForEqualLogits) {
  Matrix logits = Matrix::Zero(3, 10);
  Matrix dlogits;
  const float loss = softmax_cross_entropy(logits, {0, 4, 9}, dlogits);
  EXPECT_NEAR(loss, std::log(10.0f), 1e-6);
  EXPECT_NEAR(dlogits(1, 4), (0.1f - 1.0f) / 3.0f, 1e-6);
  EXPECT_NEAR(dlogits(1, 3), 0.1f / 3.0f, 1e-6);
}

TEST(SoftmaxCrossEntropy, StaysFiniteForHugeLogits) {
  Matrix logits(1, 3);
  logits << 1000.0f, -1000.0f, 0.0f;
  Matrix dlogits;
  EXPECT_NEAR(softmax_cross_entropy(logits, {0}, dlogits), 0.0f, 1e-6);
  EXPECT_TRUE(dlogits.allFinite());
}

}  // namespace
}  // namespace ist
