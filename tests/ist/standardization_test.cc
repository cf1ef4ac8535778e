// The standardization measured on the training data: parts combine to the moments of the whole, the same
// shards give the same numbers bit for bit, constant features are only centred, and a run that measures
// equals a run given the measured numbers.
#include "ist/standardization.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ist/reference.h"
#include "test_data.h"

namespace ist {
namespace {

Dataset random_data(int rows, int cols, std::uint64_t seed, float offset) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Dataset d;
  d.num_classes = 3;
  d.features.resize(rows, cols);
  for (int i = 0; i < rows; ++i) {
    d.labels.push_back(i % 3);
    // Far from zero and with a small spread: where sum-of-squares formulas cancel catastrophically.
    for (int j = 0; j < cols; ++j)
      d.features(i, j) = offset + 0.001f * static_cast<float>(j + 1) * normal(random);
  }
  return d;
}

Dataset rows_of(const Dataset& d, Index begin, Index end) {
  Dataset part;
  part.num_classes = d.num_classes;
  part.features = d.features.middleRows(begin, end - begin);
  part.labels.assign(d.labels.begin() + begin, d.labels.begin() + end);
  return part;
}

TEST(Standardization, PartsCombineToTheMomentsOfTheWhole) {
  const Dataset whole = random_data(1000, 5, 1, 1000.0f);
  const FeatureMoments direct = measure_moments(whole);
  auto combined = combine_moments(
      {measure_moments(rows_of(whole, 0, 137)), measure_moments(rows_of(whole, 137, 600)),
       measure_moments(rows_of(whole, 600, 600)), measure_moments(rows_of(whole, 600, 1000))});
  ASSERT_TRUE(combined.ok()) << combined.status().to_string();
  EXPECT_EQ(combined->count, 1000);
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(combined->mean[j], direct.mean[j], 1e-9 * std::abs(direct.mean[j]));
    EXPECT_NEAR(combined->m2[j], direct.m2[j], 1e-6 * direct.m2[j]) << "feature " << j;
    // The spread is 0.001 * (j + 1) around 1000: a float sum of squares would have lost it.
    EXPECT_NEAR(std::sqrt(direct.m2[j] / 1000.0), 0.001 * (j + 1), 0.0002 * (j + 1));
  }
}

TEST(Standardization, PartsWithOtherFeatureCountsOrNoExamplesAreErrors) {
  auto mixed = combine_moments(
      {measure_moments(random_data(10, 3, 1, 0.0f)), measure_moments(random_data(10, 4, 1, 0.0f))});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("3 and 4 features"), std::string::npos)
      << mixed.status().to_string();
  EXPECT_FALSE(combine_moments({}).ok());
}

TEST(Standardization, GlobalMeasuresAllValuesAsOneSampleAndPerFeatureEachFeature) {
  Dataset d;
  d.num_classes = 1;
  d.features.resize(4, 2);
  d.features << 1, 10, 3, 10, 5, 10, 7, 10;  // feature 0: mean 4, std sqrt(5); feature 1: constant 10
  d.labels = {0, 0, 0, 0};
  TrainingConfig global;
  global.widths = {2, 4, 1};
  global.standardize = Standardize::kGlobal;
  ASSERT_TRUE(measure_standardization(global, {d}).ok());
  EXPECT_EQ(global.standardize, Standardize::kGiven);
  EXPECT_FLOAT_EQ(global.input_mean, 7.0f);
  EXPECT_FLOAT_EQ(global.input_std, std::sqrt(11.5f));  // values 1 3 5 7 10 10 10 10: variance 92 / 8
  EXPECT_TRUE(global.feature_mean.empty());

  TrainingConfig per_feature = global;
  per_feature.standardize = Standardize::kPerFeature;
  ASSERT_TRUE(measure_standardization(per_feature, {d}).ok());
  ASSERT_EQ(per_feature.feature_mean.size(), 2u);
  EXPECT_FLOAT_EQ(per_feature.feature_mean[0], 4.0f);
  EXPECT_FLOAT_EQ(per_feature.feature_std[0], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(per_feature.feature_mean[1], 10.0f);
  EXPECT_FLOAT_EQ(per_feature.feature_std[1], 1.0f) << "a constant feature is only centred";
  normalize_inputs(per_feature, d);
  EXPECT_FLOAT_EQ(d.features(0, 0), -3.0f / std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(d.features(3, 1), 0.0f);
}

TEST(Standardization, GivenValuesAreLeftAlone) {
  TrainingConfig c;
  c.input_mean = 0.5f;
  c.input_std = 2.0f;
  ASSERT_TRUE(measure_standardization(c, {random_data(10, 784, 1, 0.0f)}).ok());
  EXPECT_EQ(c.input_mean, 0.5f);
  EXPECT_EQ(c.input_std, 2.0f);
}

TEST(Standardization, FashionMnistMeasuredGloballyIsTheTypedPixelMeanAndStd) {
  std::vector<Dataset> shards;
  for (int w = 0; w < 3; ++w) {
    shards.push_back(
        load_idx_dataset(testing::fashion_mnist_dir(), Split::kTrain, ShardSpec{w, 3, ShardPolicy::kIid, 1})
            .value());
  }
  TrainingConfig c;
  c.standardize = Standardize::kGlobal;
  ASSERT_TRUE(measure_standardization(c, shards).ok());
  EXPECT_NEAR(c.input_mean, 0.2860f, 0.0001f);
  EXPECT_NEAR(c.input_std, 0.3530f, 0.0001f);
  TrainingConfig again;
  again.standardize = Standardize::kGlobal;
  ASSERT_TRUE(measure_standardization(again, shards).ok());
  EXPECT_EQ(again.input_mean, c.input_mean) << "the same shards measure to the same bits";
  EXPECT_EQ(again.input_std, c.input_std);
}

TEST(Standardization, AReferenceRunThatMeasuresEqualsOneGivenTheMeasuredNumbers) {
  std::vector<Dataset> shards = {random_data(200, 6, 1, 3.0f), random_data(200, 6, 2, 3.0f)};
  const Dataset test = random_data(60, 6, 3, 3.0f);
  TrainingConfig measuring;
  measuring.widths = {6, 8, 3};
  measuring.workers = 2;
  measuring.rounds = 3;
  measuring.local_steps = 2;
  measuring.batch_size = 8;
  measuring.standardize = Standardize::kPerFeature;
  TrainingConfig given = measuring;
  ASSERT_TRUE(measure_standardization(given, shards).ok());
  auto a = run_reference(measuring, shards, test);
  auto b = run_reference(given, shards, test);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  for (std::size_t l = 0; l < a->model.layers.size(); ++l) {
    EXPECT_TRUE(a->model.layers[l].weight == b->model.layers[l].weight) << "layer " << l;
  }
  TrainingConfig raw = given;
  raw.feature_mean.clear();
  raw.feature_std.clear();
  raw.input_mean = 0.0f;
  raw.input_std = 1.0f;
  auto c = run_reference(raw, shards, test);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->model.layers[0].weight == a->model.layers[0].weight) << "the standardization took effect";
}

}  // namespace
}  // namespace ist
