// shard_indices: disjoint, covering, balanced, seeded; label skew concentrates classes; a holdout is
// seeded, of the size asked for and in no shard.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "ist/data.h"

namespace ist {
namespace {

// n examples, label i % classes, so every class is (almost) equally common.
std::vector<std::int32_t> cyclic_labels(int n, int classes) {
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = i % classes;
  return labels;
}

std::vector<std::vector<std::int64_t>> all_shards(const std::vector<std::int32_t>& labels, int w,
                                                   ShardPolicy policy, std::uint64_t seed) {
  std::vector<std::vector<std::int64_t>> shards;
  for (int s = 0; s < w; ++s) {
    auto indices = shard_indices(labels, ShardSpec{s, w, policy, seed});
    EXPECT_TRUE(indices.ok()) << indices.status().to_string();
    shards.push_back(indices.ok() ? *indices : std::vector<std::int64_t>{});
  }
  return shards;
}

std::set<std::int32_t> classes_of(const std::vector<std::int64_t>& shard, const std::vector<std::int32_t>& labels) {
  std::set<std::int32_t> classes;
  for (std::int64_t i : shard) classes.insert(labels[static_cast<std::size_t>(i)]);
  return classes;
}

TEST(ShardIndices, ShardsAreDisjointCoverEverythingAndDifferInSizeByAtMostOne) {
  const std::vector<std::int32_t> labels = cyclic_labels(1003, 10);
  for (ShardPolicy policy : {ShardPolicy::kIid, ShardPolicy::kLabelSkew}) {
    for (int w : {1, 2, 3, 7, 10, 1003}) {
      SCOPED_TRACE("policy " + std::to_string(static_cast<int>(policy)) + ", W = " + std::to_string(w));
      const auto shards = all_shards(labels, w, policy, 42);
      std::vector<int> seen(labels.size(), 0);
      std::size_t smallest = labels.size();
      std::size_t largest = 0;
      for (const auto& shard : shards) {
        EXPECT_TRUE(std::is_sorted(shard.begin(), shard.end()));
        smallest = std::min(smallest, shard.size());
        largest = std::max(largest, shard.size());
        for (std::int64_t i : shard) {
          ASSERT_GE(i, 0);
          ASSERT_LT(i, static_cast<std::int64_t>(labels.size()));
          ++seen[static_cast<std::size_t>(i)];
        }
      }
      EXPECT_LE(largest - smallest, 1u);
      EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }))
          << "every example in exactly one shard";
    }
  }
}

TEST(ShardIndices, LabelSkewShardsHoldFewerClassesThanIidShards) {
  const std::vector<std::int32_t> labels = cyclic_labels(1000, 10);
  const auto skewed = all_shards(labels, 5, ShardPolicy::kLabelSkew, 3);
  const auto iid = all_shards(labels, 5, ShardPolicy::kIid, 3);
  for (int s = 0; s < 5; ++s) {
    // 200 examples sorted by label: exactly two classes of 100 each.
    EXPECT_EQ(classes_of(skewed[static_cast<std::size_t>(s)], labels).size(), 2u) << "shard " << s;
    EXPECT_EQ(classes_of(iid[static_cast<std::size_t>(s)], labels).size(), 10u) << "shard " << s;
  }
}

TEST(ShardIndices, SameSeedGivesTheSameShards) {
  const std::vector<std::int32_t> labels = cyclic_labels(500, 10);
  for (ShardPolicy policy : {ShardPolicy::kIid, ShardPolicy::kLabelSkew}) {
    EXPECT_EQ(all_shards(labels, 4, policy, 9), all_shards(labels, 4, policy, 9));
  }
}

TEST(ShardIndices, AnotherSeedGivesOtherShards) {
  const std::vector<std::int32_t> labels = cyclic_labels(500, 10);
  for (ShardPolicy policy : {ShardPolicy::kIid, ShardPolicy::kLabelSkew}) {
    const auto a = all_shards(labels, 4, policy, 9);
    const auto b = all_shards(labels, 4, policy, 10);
    for (std::size_t s = 0; s < a.size(); ++s) EXPECT_NE(a[s], b[s]) << "shard " << s;
  }
}

TEST(ShardIndices, LabelSkewBreaksTiesBySeedNotByIndex) {
  const std::vector<std::int32_t> labels(100, 0);  // one class: the order is the seeded permutation alone
  auto first = shard_indices(labels, ShardSpec{0, 2, ShardPolicy::kLabelSkew, 1});
  ASSERT_TRUE(first.ok());
  std::vector<std::int64_t> lower_half(50);
  for (std::int64_t i = 0; i < 50; ++i) lower_half[static_cast<std::size_t>(i)] = i;
  EXPECT_NE(*first, lower_half);
}

TEST(ShardIndices, RejectsSpecsThatCannotWork) {
  const std::vector<std::int32_t> labels = cyclic_labels(10, 2);
  const ShardSpec bad[] = {
      {0, 0, ShardPolicy::kIid, 1},   // no shards
      {-1, 2, ShardPolicy::kIid, 1},  // negative shard
      {2, 2, ShardPolicy::kIid, 1},   // shard past the end
      {0, 11, ShardPolicy::kIid, 1},  // more shards than examples
  };
  for (const ShardSpec& spec : bad) {
    auto indices = shard_indices(labels, spec);
    ASSERT_FALSE(indices.ok()) << "shard " << spec.shard << " of " << spec.num_shards;
    EXPECT_EQ(indices.status().code(), ErrorCode::kInvalidArgument);
  }
}

std::vector<std::int64_t> held_out(const std::vector<std::int32_t>& labels, double fraction, std::uint64_t seed,
                                   std::uint64_t shard_seed = 1) {
  auto indices = shard_indices(labels, ShardSpec{0, 1, ShardPolicy::kIid, shard_seed, Holdout{fraction, seed, true}});
  EXPECT_TRUE(indices.ok()) << indices.status().to_string();
  return indices.ok() ? *indices : std::vector<std::int64_t>{};
}

TEST(Holdout, HoldsOutTheRoundedShareAndTheShardsCutTheRestDisjointlyCoveringTheFile) {
  const std::vector<std::int32_t> labels = cyclic_labels(1003, 10);
  const std::vector<std::int64_t> test = held_out(labels, 0.1, 5);
  EXPECT_EQ(test.size(), 100u);  // round(100.3)
  EXPECT_TRUE(std::is_sorted(test.begin(), test.end()));
  for (ShardPolicy policy : {ShardPolicy::kIid, ShardPolicy::kLabelSkew}) {
    std::vector<int> seen(labels.size(), 0);
    for (std::int64_t i : test) ++seen[static_cast<std::size_t>(i)];
    for (int s = 0; s < 3; ++s) {
      auto shard = shard_indices(labels, ShardSpec{s, 3, policy, 1, Holdout{0.1, 5, false}});
      ASSERT_TRUE(shard.ok()) << shard.status().to_string();
      EXPECT_EQ(shard->size(), 301u);  // 903 kept, cut in three
      EXPECT_TRUE(std::is_sorted(shard->begin(), shard->end()));
      for (std::int64_t i : *shard) ++seen[static_cast<std::size_t>(i)];
    }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }))
        << "every example is in exactly one of the test set and the shards";
  }
}

TEST(Holdout, TheSameSeedHoldsOutTheSameExamplesAnotherSeedOthersWhateverTheShardSeed) {
  const std::vector<std::int32_t> labels = cyclic_labels(500, 10);
  EXPECT_EQ(held_out(labels, 0.2, 5, 1), held_out(labels, 0.2, 5, 2));
  EXPECT_NE(held_out(labels, 0.2, 5), held_out(labels, 0.2, 6));
}

TEST(Holdout, AShareOutsideZeroToOneOrOneLeavingAPartEmptyIsAnErrorNamingDataHoldout) {
  const std::vector<std::int32_t> labels = cyclic_labels(10, 2);
  for (double fraction : {1.0, -0.1, 1.5, 0.01, 0.99}) {
    for (bool test : {true, false}) {
      auto indices = shard_indices(labels, ShardSpec{0, 1, ShardPolicy::kIid, 1, Holdout{fraction, 1, test}});
      ASSERT_FALSE(indices.ok()) << fraction;
      EXPECT_EQ(indices.status().code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(indices.status().message().rfind("data.holdout: ", 0), 0u) << indices.status().to_string();
    }
  }
  auto none = shard_indices(labels, ShardSpec{0, 1, ShardPolicy::kIid, 1, Holdout{0.01, 1, true}});
  EXPECT_NE(none.status().message().find("0.01 of 10 examples holds out 0"), std::string::npos) << none.status().to_string();
}

}  // namespace
}  // namespace ist
