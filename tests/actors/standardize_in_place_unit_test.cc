// A trainer's second load, once the driver measured the standardization on the raw shards, is done in
// place (SubnetTrainer::load_shard): it must be taken only when the data cut is the same, and give the
// same values as loading the shard again, bit for bit.
#include <gtest/gtest.h>

#include <cstring>

#include "actors/wire.h"
#include "ist/data_source.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

TrainerSpec raw_spec() {
  TrainerSpec spec;
  spec.data.path = kData;
  spec.shard = 1;
  spec.num_shards = 3;
  spec.shard_seed = 11;
  spec.classes = 10;
  return spec;
}

TrainerSpec standardized(TrainerSpec spec) {
  spec.input_mean = 0.2860f;
  spec.input_std = 0.3530f;
  return spec;
}

TEST(StandardizeInPlace, IsChosenOnlyWhenTheRawShardOfTheSameCutIsHeld) {
  const TrainerSpec raw = raw_spec();
  EXPECT_TRUE(only_standardization_differs(raw, standardized(raw)));
  EXPECT_TRUE(only_standardization_differs(raw, raw));
  TrainerSpec other = standardized(raw);
  other.shard = 2;
  EXPECT_FALSE(only_standardization_differs(raw, other));
  other = standardized(raw);
  other.num_shards = 4;
  EXPECT_FALSE(only_standardization_differs(raw, other));
  other = standardized(raw);
  other.shard_seed = 12;
  EXPECT_FALSE(only_standardization_differs(raw, other));
  other = standardized(raw);
  other.data.path = "/elsewhere";
  EXPECT_FALSE(only_standardization_differs(raw, other));
  other = standardized(raw);
  other.shard_policy = "label_skew";
  EXPECT_FALSE(only_standardization_differs(raw, other));
  // A shard already standardized is not raw: standardizing it again would apply it twice.
  EXPECT_FALSE(only_standardization_differs(standardized(raw), standardized(raw)));
  TrainerSpec per_feature = raw;
  per_feature.feature_mean = std::vector<float>(784, 0.5f);
  per_feature.feature_std = std::vector<float>(784, 2.0f);
  EXPECT_FALSE(only_standardization_differs(per_feature, standardized(raw)));
}

TEST(StandardizeInPlace, GivesTheShardALoadWithTheStandardizationGives) {
  const TrainerSpec raw = raw_spec();
  const TrainerSpec wanted = standardized(raw);
  const ShardSpec cut{raw.shard, raw.num_shards, ShardPolicy::kIid, raw.shard_seed};
  DataSource source;
  source.path = kData;
  Dataset in_place = load_dataset(source, Split::kTrain, cut).value();
  ASSERT_TRUE(standardize_as_specified(raw, in_place).ok());  // the first load: left raw
  ASSERT_TRUE(standardize_as_specified(wanted, in_place).ok());
  Dataset reloaded = load_dataset(source, Split::kTrain, cut).value();
  ASSERT_TRUE(standardize_as_specified(wanted, reloaded).ok());
  ASSERT_EQ(in_place.features.rows(), reloaded.features.rows());
  EXPECT_EQ(in_place.labels, reloaded.labels);
  EXPECT_EQ(0, std::memcmp(in_place.features.data(), reloaded.features.data(),
                           sizeof(float) * static_cast<std::size_t>(reloaded.features.size())));
}

}  // namespace
}  // namespace ist::actors
