// Slices as views: extracting into caller-owned buffers and merging from views give exactly what the
// owning forms (extract_slice, merge_slices) give, and a view the plan does not fit is refused untouched.
#include <gtest/gtest.h>

#include "ist/partition.h"
#include "ist/round_record.h"
#include "ist/slice.h"

namespace ist {
namespace {

TEST(SliceView, MergingViewsEqualsMergingSlicesBitForBit) {
  const Mlp full = make_mlp({9, 7, 5, 3}, 11).value();
  const SubnetPlan plan = make_partition({7, 5}, 3, 2, 0).value();
  std::vector<Slice> slices;
  for (int s = 0; s < 3; ++s) {
    slices.push_back(extract_slice(full, plan, s, SubnetScaling::kSqrt));
    for (Linear& l : slices.back().model.layers) l.weight.array() += 0.25f * static_cast<float>(s + 1);
    for (Linear& l : slices.back().model.layers) l.bias.array() -= 0.5f * static_cast<float>(s + 1);
  }
  Mlp by_slices = full, by_views = full;
  ASSERT_TRUE(merge_slices(by_slices, plan, {&slices[0], &slices[2]}).ok());
  ASSERT_TRUE(merge_slice_views(by_views, plan, {view_of(slices[0]), view_of(slices[2])}).ok());
  for (std::size_t l = 0; l < full.layers.size(); ++l) {
    EXPECT_TRUE(by_views.layers[l].weight == by_slices.layers[l].weight) << "layer " << l;
    EXPECT_TRUE(by_views.layers[l].bias == by_slices.layers[l].bias) << "layer " << l;
  }
  EXPECT_FALSE(by_views.layers[0].weight == full.layers[0].weight);
}

TEST(SliceView, ViewWithAShapeThePlanDoesNotGiveItIsRefusedAndTheModelIsUntouched) {
  const Mlp full = make_mlp({9, 7, 5, 3}, 11).value();
  const SubnetPlan plan = make_partition({7, 5}, 3, 2, 0).value();
  const Slice good = extract_slice(full, plan, 0, SubnetScaling::kSqrt);
  // Subnet 2's slice whose layer 1 claims one input column too many.
  SliceView bad = view_of(extract_slice(full, plan, 2, SubnetScaling::kSqrt));
  Mlp merged = full;
  merged.layers[0].weight(0, 0) += 1.0f;
  const Mlp before = merged;
  const SliceView good_view = view_of(good);
  bad.layers[1].cols += 1;
  const Status s = merge_slice_views(merged, plan, {good_view, bad});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("subnet 2"), std::string::npos) << s.to_string();
  EXPECT_TRUE(merged.layers[0].weight == before.layers[0].weight) << "nothing is merged on error";
  SliceView outside = good_view;
  outside.subnet = 3;
  EXPECT_EQ(check_slice_view(full, plan, outside).code(), ErrorCode::kInvalidArgument);
}

TEST(SliceView, ExtractingIntoBuffersEqualsExtractSlice) {
  const Mlp full = make_mlp({9, 7, 5, 3}, 4).value();
  const SubnetPlan plan = make_partition({7, 5}, 2, 3, 1).value();
  const SliceShape shape = slice_shape(full, plan, 1, SubnetScaling::kInvertedDropout);
  std::vector<std::vector<float>> weights, biases;
  std::vector<MutableLayerView> out;
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    weights.emplace_back(static_cast<std::size_t>(shape.rows[l] * shape.cols[l]));
    biases.emplace_back(static_cast<std::size_t>(shape.rows[l]));
  }
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    out.push_back(MutableLayerView{weights[l].data(), biases[l].data(), shape.rows[l], shape.cols[l]});
  }
  extract_slice_into(full, plan, 1, out);
  const Slice slice = extract_slice(full, plan, 1, SubnetScaling::kInvertedDropout);
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    EXPECT_TRUE(Eigen::Map<const Matrix>(weights[l].data(), shape.rows[l], shape.cols[l]) == slice.model.layers[l].weight);
    EXPECT_TRUE(Eigen::Map<const Vector>(biases[l].data(), shape.rows[l]) == slice.model.layers[l].bias);
    EXPECT_EQ(shape.input_scales[l], slice.model.layers[l].input_scale);
  }
}

TEST(RoundEvents, TextKeepsTheWordingToolsAndPeopleKnow) {
  RoundEvent lost{RoundEvent::Kind::kTrainerLost, -1, 1, 0xab, 0, "node dead: its node died"};
  EXPECT_EQ(describe(lost), "trainer on node 00000000000000ab (shard 1) lost: node dead: its node died");
  RoundEvent shard{RoundEvent::Kind::kPrivateShardLost, -1, 1, 0, 20000, "33.3%"};
  EXPECT_EQ(describe(shard), "private data: shard 1 (20000 examples, 33.3% of the training set) left with its worker");
  RoundEvent late{RoundEvent::Kind::kSliceLate, 2, 2, 0, 1000, ""};
  EXPECT_EQ(describe(late), "slice of trainer 2 late (round deadline 1000 ms): dropped for this round");
  EXPECT_STREQ(event_kind_name(RoundEvent::Kind::kDataRecut), "data_recut");
  RoundRecord record;
  record.events = {lost, late, lost};
  EXPECT_EQ(record.count_events(RoundEvent::Kind::kTrainerLost), 2);
}

}  // namespace
}  // namespace ist
