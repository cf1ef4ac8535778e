#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "ist/partition.h"

namespace ist {
namespace {

void expect_covers_every_neuron_once(const std::vector<int>& hidden, int subnets) {
  SubnetPlan plan = make_partition(hidden, subnets, 42, 3).value();
  ASSERT_EQ(plan.groups.size(), hidden.size());
  for (std::size_t l = 0; l < hidden.size(); ++l) {
    std::vector<int> count(static_cast<std::size_t>(hidden[l]), 0);
    std::size_t smallest = SIZE_MAX, largest = 0;
    ASSERT_EQ(plan.groups[l].size(), static_cast<std::size_t>(subnets));
    for (const auto& group : plan.groups[l]) {
      EXPECT_TRUE(std::is_sorted(group.begin(), group.end()));
      smallest = std::min(smallest, group.size());
      largest = std::max(largest, group.size());
      for (std::int32_t n : group) {
        ASSERT_GE(n, 0);
        ASSERT_LT(n, hidden[l]);
        ++count[static_cast<std::size_t>(n)];
      }
    }
    EXPECT_TRUE(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; })) << "layer " << l;
    EXPECT_LE(largest - smallest, 1u) << "layer " << l;
  }
}

TEST(Partition, CoversEveryNeuronExactlyOnce) { expect_covers_every_neuron_once({64, 32}, 4); }
TEST(Partition, CoversEveryNeuronWhenHIsNotDivisibleByS) { expect_covers_every_neuron_once({37, 10, 23}, 3); }
TEST(Partition, AllowsSEqualToH) { expect_covers_every_neuron_once({5}, 5); }
TEST(Partition, WithOneSubnetHoldsTheWholeLayerInOrder) {
  SubnetPlan plan = make_partition({6, 4}, 1, 9, 0).value();
  EXPECT_EQ(plan.groups[0][0], (std::vector<std::int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(plan.groups[1][0], (std::vector<std::int32_t>{0, 1, 2, 3}));
}

TEST(Partition, IsAFunctionOfSeedAndRound) {
  auto a = make_partition({100, 100}, 4, 1, 5).value();
  auto b = make_partition({100, 100}, 4, 1, 5).value();
  auto next_round = make_partition({100, 100}, 4, 1, 6).value();
  auto other_seed = make_partition({100, 100}, 4, 2, 5).value();
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_NE(a.groups, next_round.groups);
  EXPECT_NE(a.groups, other_seed.groups);
  EXPECT_NE(a.groups[0], a.groups[1]) << "layers are partitioned separately";
}

TEST(Partition, RejectsMoreSubnetsThanNeuronsNamingTheLayer) {
  auto plan = make_partition({16, 3}, 4, 1, 0);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(plan.status().message().find("hidden layer 2"), std::string::npos) << plan.status().to_string();
  EXPECT_NE(plan.status().message().find("S must not exceed H"), std::string::npos);
}

TEST(Partition, RejectsZeroSubnetsAndNoHiddenLayers) {
  EXPECT_FALSE(make_partition({16}, 0, 1, 0).ok());
  EXPECT_FALSE(make_partition({}, 2, 1, 0).ok());
}

}  // namespace
}  // namespace ist
