// Flattening gradients for the ring: the values in layer order, written into a buffer that is reused
// from step to step (no new allocation once it has the model's size).
#include <gtest/gtest.h>

#include "ist/flat_parameters.h"

namespace ist {
namespace {

Gradients gradients_of(const Mlp& model, float base) {
  Gradients g;
  for (const Linear& layer : model.layers) {
    g.weight.push_back(Matrix::Constant(layer.weight.rows(), layer.weight.cols(), base));
    g.bias.push_back(Vector::Constant(layer.bias.size(), base + 0.5f));
    base += 1.0f;
  }
  return g;
}

TEST(FlatParameters, FlattenedGradientsReuseTheBufferAndRoundTripInLayerOrder) {
  const Mlp model = make_mlp({6, 4, 3}, 1).value();
  std::vector<float> flat;
  flatten_gradients(gradients_of(model, 1.0f), flat);
  ASSERT_EQ(static_cast<std::int64_t>(flat.size()), model.parameter_count());
  EXPECT_EQ(flat.front(), 1.0f);                 // layer 0's weight first
  EXPECT_EQ(flat[6 * 4], 1.5f);                  // then layer 0's bias
  EXPECT_EQ(flat.back(), 2.5f);                  // layer 1's bias last
  const float* storage = flat.data();
  flatten_gradients(gradients_of(model, 7.0f), flat);
  EXPECT_EQ(flat.data(), storage) << "a second step must not allocate a new buffer";
  EXPECT_EQ(static_cast<std::int64_t>(flat.size()), model.parameter_count());
  Gradients back = gradients_of(model, 0.0f);
  unflatten_gradients(flat, back);
  EXPECT_EQ(back.weight[1](0, 0), 8.0f);
  EXPECT_EQ(back.bias[0](3), 7.5f);
}

TEST(FlatParameters, ParametersFlattenedIntoAKeptBufferEqualAFreshOneWithoutANewAllocation) {
  Mlp model = make_mlp({6, 4, 3}, 2).value();
  std::vector<float> flat;
  flatten_parameters(model, flat);
  EXPECT_EQ(flat, flatten_parameters(model));
  const float* storage = flat.data();
  model.layers[1].bias(2) = 42.0f;  // the next round's replica
  flatten_parameters(model, flat);
  EXPECT_EQ(flat.data(), storage) << "a second round must not allocate a new buffer";
  EXPECT_EQ(flat, flatten_parameters(model));
  EXPECT_EQ(flat.back(), 42.0f);
}

}  // namespace
}  // namespace ist
