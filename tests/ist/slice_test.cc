#include <gtest/gtest.h>

#include "ist/mlp.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist {
namespace {

std::vector<int> hidden_of(const std::vector<int>& widths) { return {widths.begin() + 1, widths.end() - 1}; }

TEST(Slice, ExtractThenMergeWithoutTrainingLeavesTheModelUnchanged) {
  const std::vector<int> widths = {13, 11, 9, 7, 5};
  Mlp model = make_mlp(widths, 1).value();
  for (auto& layer : model.layers) layer.bias.setLinSpaced(-1.0f, 1.0f);
  model.layers.back().bias.setConstant(0.25f);  // the shared bias is averaged: equal values survive exactly
  const std::uint64_t before = parameter_hash(model);
  SubnetPlan plan = make_partition(hidden_of(widths), 3, 5, 0).value();
  std::vector<Slice> slices;
  for (int s = 0; s < 3; ++s) slices.push_back(extract_slice(model, plan, s, SubnetScaling::kInvertedDropout));
  ASSERT_TRUE(merge_slices(model, plan, {&slices[0], &slices[1], &slices[2]}).ok());
  EXPECT_EQ(parameter_hash(model), before);
}

TEST(Slice, HoldsFirstLayerRowsBlockDiagonalBlocksAndOutputColumns) {
  const std::vector<int> widths = {4, 6, 5, 3};
  Mlp model = make_mlp(widths, 2).value();
  SubnetPlan plan = make_partition(hidden_of(widths), 2, 8, 1).value();
  Slice slice = extract_slice(model, plan, 1, SubnetScaling::kInvertedDropout);
  const auto& i1 = slice.neurons[0];
  const auto& i2 = slice.neurons[1];
  ASSERT_EQ(slice.model.layers[0].weight.rows(), static_cast<Index>(i1.size()));
  ASSERT_EQ(slice.model.layers[0].weight.cols(), 4);
  for (std::size_t r = 0; r < i1.size(); ++r) {
    EXPECT_EQ(slice.model.layers[0].weight.row(static_cast<Index>(r)), model.layers[0].weight.row(i1[r]));
  }
  for (std::size_t r = 0; r < i2.size(); ++r) {
    for (std::size_t c = 0; c < i1.size(); ++c) {
      EXPECT_EQ(slice.model.layers[1].weight(static_cast<Index>(r), static_cast<Index>(c)),
                model.layers[1].weight(i2[r], i1[c]));
    }
  }
  for (Index k = 0; k < 3; ++k) {
    for (std::size_t c = 0; c < i2.size(); ++c) {
      EXPECT_EQ(slice.model.layers[2].weight(k, static_cast<Index>(c)), model.layers[2].weight(k, i2[c]));
    }
  }
  EXPECT_EQ(slice.model.layers[2].bias, model.layers[2].bias);
  EXPECT_FLOAT_EQ(slice.model.layers[0].input_scale, 1.0f);
  EXPECT_FLOAT_EQ(slice.model.layers[1].input_scale, 6.0f / static_cast<float>(i1.size()));
  EXPECT_FLOAT_EQ(slice.model.layers[2].input_scale, 5.0f / static_cast<float>(i2.size()));
  EXPECT_FLOAT_EQ(extract_slice(model, plan, 1, SubnetScaling::kNone).model.layers[2].input_scale, 1.0f);
}

TEST(Slice, MergeWritesBackTrainedValuesAndAveragesTheSharedBias) {
  const std::vector<int> widths = {4, 6, 3};
  Mlp model = make_mlp(widths, 3).value();
  const Mlp original = model;
  SubnetPlan plan = make_partition(hidden_of(widths), 2, 1, 0).value();
  Slice a = extract_slice(model, plan, 0, SubnetScaling::kNone);
  Slice b = extract_slice(model, plan, 1, SubnetScaling::kNone);
  a.model.layers[0].weight.setConstant(1.0f);
  b.model.layers[0].weight.setConstant(2.0f);
  a.model.layers[1].bias.setConstant(1.0f);
  b.model.layers[1].bias.setConstant(3.0f);
  ASSERT_TRUE(merge_slices(model, plan, {&a, &b}).ok());
  for (std::int32_t r : plan.groups[0][0]) EXPECT_EQ(model.layers[0].weight.row(r).maxCoeff(), 1.0f);
  for (std::int32_t r : plan.groups[0][1]) EXPECT_EQ(model.layers[0].weight.row(r).minCoeff(), 2.0f);
  EXPECT_EQ(model.layers[1].bias, Vector::Constant(3, 2.0f));
  (void)original;
}

TEST(Slice, MergeOfTheSurvivorsKeepsALostSliceAsItWas) {
  const std::vector<int> widths = {4, 8, 3};
  Mlp model = make_mlp(widths, 3).value();
  const Mlp original = model;
  SubnetPlan plan = make_partition(hidden_of(widths), 2, 1, 0).value();
  Slice survivor = extract_slice(model, plan, 0, SubnetScaling::kNone);
  survivor.model.layers[0].weight.setConstant(5.0f);
  ASSERT_TRUE(merge_slices(model, plan, {&survivor}).ok());
  for (std::int32_t r : plan.groups[0][1]) EXPECT_EQ(model.layers[0].weight.row(r), original.layers[0].weight.row(r));
  for (std::int32_t r : plan.groups[0][0]) EXPECT_EQ(model.layers[0].weight.row(r).minCoeff(), 5.0f);
}

TEST(Slice, MergeRejectsASliceThatDoesNotMatchThePlanAndLeavesTheModelUntouched) {
  const std::vector<int> widths = {4, 8, 3};
  Mlp model = make_mlp(widths, 3).value();
  const std::uint64_t before = parameter_hash(model);
  SubnetPlan plan = make_partition(hidden_of(widths), 2, 1, 0).value();
  Slice good = extract_slice(model, plan, 0, SubnetScaling::kNone);
  good.model.layers[0].weight.setConstant(9.0f);
  Slice bad = extract_slice(model, plan, 1, SubnetScaling::kNone);
  bad.model.layers[1].weight.resize(3, 1);
  Status status = merge_slices(model, plan, {&good, &bad});
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("layer 1"), std::string::npos) << status.to_string();
  EXPECT_EQ(parameter_hash(model), before);
  Slice duplicate = extract_slice(model, plan, 0, SubnetScaling::kNone);
  EXPECT_FALSE(merge_slices(model, plan, {&good, &duplicate}).ok());
  Slice wrong_neurons = extract_slice(model, plan, 1, SubnetScaling::kNone);
  wrong_neurons.neurons[0][0] = plan.groups[0][0][0];
  EXPECT_FALSE(merge_slices(model, plan, {&wrong_neurons}).ok());
}

TEST(Slice, ParameterCountMatchesTheExtractedSubnet) {
  const std::vector<int> widths = {7, 10, 9, 4};
  Mlp model = make_mlp(widths, 3).value();
  SubnetPlan plan = make_partition(hidden_of(widths), 3, 1, 0).value();
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(slice_parameter_count(widths, plan, s),
              extract_slice(model, plan, s, SubnetScaling::kNone).model.parameter_count());
  }
}

}  // namespace
}  // namespace ist
