// A standalone model computes on raw features what the trained model computes on standardized ones, and
// says what it is in its metadata.
#include <gtest/gtest.h>

#include <random>

#include "ist/standalone_model.h"

namespace ist {
namespace {

Matrix raw_inputs(int rows, int cols) {
  std::mt19937 random(3);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  Matrix x(rows, cols);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = pixel(random);
  return x;
}

TEST(StandaloneModel, FoldedModelOnRawInputsGivesTheLogitsOfTheModelOnStandardizedInputs) {
  const Mlp model = make_mlp({20, 16, 12, 4}, 8).value();
  const float mean = 0.286f, std = 0.353f;
  const Matrix raw = raw_inputs(64, 20);
  const Matrix standardized = ((raw.array() - mean) * (1.0f / std)).matrix();
  Workspace a, b;
  const Matrix expected = forward(model, standardized, a);
  const Matrix folded = forward(fold_input_standardization(model, mean, std), raw, b);
  ASSERT_EQ(folded.rows(), expected.rows());
  EXPECT_LT((folded - expected).cwiseAbs().maxCoeff(), 1e-4f * (1.0f + expected.cwiseAbs().maxCoeff()));
}

TEST(StandaloneModel, FoldingLeavesEveryLayerButTheFirstAsItWas) {
  const Mlp model = make_mlp({20, 16, 12, 4}, 8).value();
  const Mlp folded = fold_input_standardization(model, 0.5f, 2.0f);
  EXPECT_FALSE(folded.layers[0].weight == model.layers[0].weight);
  EXPECT_TRUE(folded.layers[0].weight == model.layers[0].weight * 0.5f) << "a power-of-two std divides exactly";
  for (std::size_t l = 1; l < model.layers.size(); ++l) {
    EXPECT_TRUE(folded.layers[l].weight == model.layers[l].weight);
    EXPECT_TRUE(folded.layers[l].bias == model.layers[l].bias);
  }
}

TEST(StandaloneModel, MetadataSaysWhatTheFileIsAndWhatWasFolded) {
  const Mlp model = make_mlp({784, 32, 10}, 1).value();
  ModelCard card;
  card.folded_mean = 0.286f;
  card.folded_std = 0.353f;
  card.run = "fashion-mnist-ist";
  card.test_accuracy = 0.8656;
  card.algorithm = "ist";
  const auto m = standalone_metadata(model, card);
  EXPECT_EQ(m.at("input_size"), "784");
  EXPECT_EQ(m.at("classes"), "10");
  EXPECT_EQ(m.at("final_test_accuracy"), "0.8656");
  EXPECT_NE(m.at("folded_standardization").find("0.286"), std::string::npos);
  EXPECT_NE(m.at("activation").find("relu"), std::string::npos);
  EXPECT_EQ(m.at("run"), "fashion-mnist-ist");
  EXPECT_FALSE(m.at("ist_version").empty());
  EXPECT_EQ(m.count("class_names"), 0u) << "no names when none are known";
}

TEST(StandaloneModel, ClassNamesTravelAsAJsonArrayAndReadBack) {
  const Mlp model = make_mlp({4, 8, 3}, 1).value();
  ModelCard card;
  card.class_names = {"T-shirt/top", "say \"hi\"", "Ankle boot"};
  const auto m = standalone_metadata(model, card);
  EXPECT_EQ(m.at("class_names"), R"(["T-shirt/top","say \"hi\"","Ankle boot"])");
  EXPECT_EQ(class_names_of(m), card.class_names);
  EXPECT_TRUE(class_names_of({{"class_names", "not json"}}).empty());
  EXPECT_TRUE(class_names_of({}).empty());
}

TEST(StandaloneModel, PerFeatureFoldingGivesTheLogitsOfPerFeatureStandardizedInputs) {
  const Mlp model = make_mlp({20, 16, 4}, 8).value();
  std::vector<float> mean, std;
  for (int j = 0; j < 20; ++j) {
    mean.push_back(0.01f * static_cast<float>(j));
    std.push_back(0.5f + 0.1f * static_cast<float>(j));
  }
  const Matrix raw = raw_inputs(64, 20);
  Matrix standardized = raw;
  for (Index i = 0; i < raw.rows(); ++i) {
    for (Index j = 0; j < raw.cols(); ++j) standardized(i, j) = (raw(i, j) - mean[j]) / std[j];
  }
  Workspace a, b;
  const Matrix expected = forward(model, standardized, a);
  const Matrix folded = forward(fold_input_standardization(model, mean, std), raw, b);
  EXPECT_LT((folded - expected).cwiseAbs().maxCoeff(), 1e-4f * (1.0f + expected.cwiseAbs().maxCoeff()));
}

}  // namespace
}  // namespace ist
