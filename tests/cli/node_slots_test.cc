// NodeSlots: the worker nodes a sweep's side-by-side runs take and give back.
#include "cli/node_slots.h"

#include <gtest/gtest.h>

namespace ist::cli {
namespace {

TEST(NodeSlots, ARunTakesOneNodePerTrainerAndAtMostEveryWorker) {
  NodeSlots slots({1, 2, 3});
  EXPECT_EQ(slots.needed(2), 2u);
  EXPECT_EQ(slots.needed(8), 3u) << "more trainers than workers: they share every worker";
  EXPECT_EQ(slots.needed(0), 1u);
  const auto big = slots.take(8);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(*big, (std::vector<rt::NodeId>{1, 2, 3}));
  EXPECT_FALSE(slots.take(1).has_value()) << "every node is taken";
}

TEST(NodeSlots, RunsGetDisjointNodesAndNodesGivenBackAreTakenAgain) {
  NodeSlots slots({10, 11, 12, 13});
  const auto a = slots.take(1), b = slots.take(2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, (std::vector<rt::NodeId>{10}));
  EXPECT_EQ(*b, (std::vector<rt::NodeId>{11, 12}));
  EXPECT_FALSE(slots.take(2).has_value()) << "one node free, two needed";
  EXPECT_EQ(slots.free(), 1u);
  slots.give_back(*a);
  const auto c = slots.take(2);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, (std::vector<rt::NodeId>{13, 10}));
}

}  // namespace
}  // namespace ist::cli
