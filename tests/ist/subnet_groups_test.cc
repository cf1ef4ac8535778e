// Subnet groups: which trainer trains which subnet, and how a group's slices become one.
#include "ist/subnet_groups.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ist/mlp.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist {
namespace {

TEST(SubnetGroups, DefaultIsOneSubnetPerTrainerAndNeverMoreSubnetsThanTrainers) {
  EXPECT_EQ(subnets_for_round(0, 4), 4);
  EXPECT_EQ(subnets_for_round(2, 4), 2);
  EXPECT_EQ(subnets_for_round(4, 3), 3);  // a trainer lost: S shrinks with the live trainers
  EXPECT_EQ(subnet_of_trainer(0, 2), 0);
  EXPECT_EQ(subnet_of_trainer(1, 2), 1);
  EXPECT_EQ(subnet_of_trainer(2, 2), 0);
  EXPECT_EQ(subnet_of_trainer(3, 2), 1);
}

// widths 5-6-4-3, S = 2: members of one subnet hold the same shapes; filled with a constant each.
struct TwoGroups {
  const std::vector<int> widths = {5, 6, 4, 3};
  Mlp model = make_mlp(widths, 3).value();
  SubnetPlan plan = make_partition({6, 4}, 2, 9, 0).value();
  std::vector<Slice> slices;

  Slice& add(int subnet, float value) {
    slices.push_back(extract_slice(model, plan, subnet, SubnetScaling::kSqrt));
    for (Linear& layer : slices.back().model.layers) {
      layer.weight.setConstant(value);
      layer.bias.setConstant(value);
    }
    return slices.back();
  }
};

TEST(SubnetGroups, AGroupsSlicesAreAveragedAndASoleMemberPassesThroughUntouched) {
  TwoGroups g;
  g.slices.reserve(3);
  g.add(0, 1.0f);
  g.add(1, 5.0f);
  g.add(0, 3.0f);
  const std::vector<SliceView> views = views_of(g.slices);
  GroupedSlices grouped = average_groups(g.model, g.plan, views).value();
  ASSERT_EQ(grouped.views.size(), 2u);
  EXPECT_EQ(grouped.views[0].subnet, 0);
  EXPECT_EQ(grouped.views[1].subnet, 1);
  for (const LayerView& layer : grouped.views[0].layers) {
    for (Index i = 0; i < layer.rows * layer.cols; ++i) ASSERT_EQ(layer.weight[i], 2.0f);
    for (Index i = 0; i < layer.rows; ++i) ASSERT_EQ(layer.bias[i], 2.0f);
  }
  EXPECT_EQ(grouped.views[1].layers[0].weight, views[1].layers[0].weight);  // no copy for a group of one

  // Merged, the subnets' neurons hold their groups' means, the shared bias the mean over the groups.
  ASSERT_TRUE(merge_slice_views(g.model, g.plan, grouped.views).ok());
  const std::int32_t neuron_of_0 = g.plan.groups[0][0].front();
  const std::int32_t neuron_of_1 = g.plan.groups[0][1].front();
  EXPECT_EQ(g.model.layers[0].bias(neuron_of_0), 2.0f);
  EXPECT_EQ(g.model.layers[0].bias(neuron_of_1), 5.0f);
  EXPECT_EQ(g.model.layers.back().bias(0), 3.5f);
}

TEST(SubnetGroups, AnyRunOfAGroupsSlicesAveragesBitForBitAsTheWholeGroupDoes) {
  // Partitioned owners average their pieces, runs of the flat slice, with ring_mean_run: it must give
  // average_groups' floats at every position, whatever the run's bounds (ring chunks cut across runs).
  TwoGroups g;
  g.slices.reserve(3);
  for (int m = 0; m < 3; ++m) {
    Slice& slice = g.add(0, 0.0f);
    std::uint32_t x = 12345u + 977u * static_cast<std::uint32_t>(m);
    for (Linear& layer : slice.model.layers) {
      for (Index i = 0; i < layer.weight.size(); ++i) layer.weight.data()[i] = static_cast<float>((x = x * 1664525u + 1013904223u) >> 8) * 1e-7f;
      for (Index i = 0; i < layer.bias.size(); ++i) layer.bias.data()[i] = static_cast<float>((x = x * 1664525u + 1013904223u) >> 8) * 1e-7f;
    }
  }
  const std::vector<SliceView> views = views_of(g.slices);
  const GroupedSlices grouped = average_groups(g.model, g.plan, views).value();
  std::vector<float> whole, member[3];
  for (const LayerView& layer : grouped.views[0].layers) {
    whole.insert(whole.end(), layer.weight, layer.weight + layer.rows * layer.cols);
    whole.insert(whole.end(), layer.bias, layer.bias + layer.rows);
  }
  for (int m = 0; m < 3; ++m) {
    for (const Linear& layer : g.slices[static_cast<std::size_t>(m)].model.layers) {
      member[m].insert(member[m].end(), layer.weight.data(), layer.weight.data() + layer.weight.size());
      member[m].insert(member[m].end(), layer.bias.data(), layer.bias.data() + layer.bias.size());
    }
  }
  const auto length = static_cast<std::int64_t>(whole.size());
  int sums_differ = 0;  // positions where summing in plain member order would give other floats
  for (std::int64_t begin = 0; begin < length; begin += 7) {
    const std::int64_t count = std::min<std::int64_t>(11, length - begin);
    std::vector<float> out(static_cast<std::size_t>(count));
    const std::vector<const float*> at = {member[0].data() + begin, member[1].data() + begin, member[2].data() + begin};
    ring_mean_run(length, begin, count, at, out.data());
    for (std::int64_t i = 0; i < count; ++i) {
      const std::size_t pos = static_cast<std::size_t>(begin + i);
      ASSERT_EQ(out[static_cast<std::size_t>(i)], whole[pos]) << "position " << pos;
      sums_differ += ((member[0][pos] + member[1][pos]) + member[2][pos]) * (1.0f / 3.0f) != whole[pos];
    }
  }
  EXPECT_GT(sums_differ, 0) << "the order of the sums was never tested";
}

TEST(SubnetGroups, AGroupWithNoMemberBackKeepsItsSubnetOutOfTheMerge) {
  TwoGroups g;
  g.slices.reserve(2);
  g.add(1, 4.0f);
  g.add(1, 6.0f);
  GroupedSlices grouped = average_groups(g.model, g.plan, views_of(g.slices)).value();
  ASSERT_EQ(grouped.views.size(), 1u);
  EXPECT_EQ(grouped.views[0].subnet, 1);
  EXPECT_EQ(grouped.views[0].layers[1].bias[0], 5.0f);
}

TEST(SubnetGroups, ASliceOutsideThePlanIsRefused) {
  TwoGroups g;
  g.slices.reserve(1);
  g.add(0, 1.0f).subnet = 2;
  auto grouped = average_groups(g.model, g.plan, views_of(g.slices));
  ASSERT_FALSE(grouped.ok());
  EXPECT_EQ(grouped.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ist
