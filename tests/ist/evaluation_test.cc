// Evaluating a model on a labelled set: the accuracy is the training loop's, the confusion matrix holds
// every example once, and data that does not fit the model is named.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "ist/evaluation.h"

namespace ist {
namespace {

Dataset random_data(int examples, int features, int classes) {
  std::mt19937 random(11);
  std::normal_distribution<float> normal;
  Dataset d;
  d.num_classes = classes;
  d.features.resize(examples, features);
  for (Index i = 0; i < d.features.size(); ++i) d.features.data()[i] = normal(random);
  for (int e = 0; e < examples; ++e) d.labels.push_back(e % classes);
  return d;
}

TEST(Evaluation, AccuracyIsTheTrainingLoopsAndTheConfusionMatrixCountsEveryExampleOnce) {
  const Mlp model = make_mlp({12, 16, 5}, 4).value();
  const Dataset data = random_data(2500, 12, 5);  // more than one batch of 1024
  auto e = evaluate(model, data);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->examples, 2500);
  EXPECT_DOUBLE_EQ(e->accuracy, accuracy(model, data.features, data.labels));
  std::int64_t total = 0, diagonal = 0;
  for (std::size_t c = 0; c < e->confusion.size(); ++c) {
    total += std::accumulate(e->confusion[c].begin(), e->confusion[c].end(), std::int64_t{0});
    diagonal += e->confusion[c][c];
    EXPECT_EQ(e->class_examples[c], 500);
  }
  EXPECT_EQ(total, 2500);
  EXPECT_DOUBLE_EQ(e->accuracy, static_cast<double>(diagonal) / 2500.0);
  EXPECT_GT(e->mean_loss, 0.0);
}

TEST(Evaluation, AccuracyOverManyThreadsCountsEveryChunkOnceAndMatchesOneThread) {
  const Mlp model = make_mlp({12, 16, 5}, 4).value();
  const Dataset data = random_data(4321, 12, 5);  // five chunks of 1000, the last one short
  auto e = evaluate(model, data);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const double one = accuracy(model, data.features, data.labels, 1);
  EXPECT_DOUBLE_EQ(one, e->accuracy);
  for (int threads : {2, 3, 5, 16}) EXPECT_EQ(accuracy(model, data.features, data.labels, threads), one) << threads;
}

TEST(Evaluation, WideModelsAreEvaluatedInSmallerChunksWithTheSameAccuracy) {
  // The main job's widths keep chunks of 1000 rows; wider layers take fewer rows, 8 MiB of activations.
  const auto layers_of_outputs = [](std::vector<Index> outputs) {  // only the layers' widths matter
    Mlp m;
    for (Index out : outputs) m.layers.push_back(Linear{Matrix(out, 1), Vector(out), 1.0f});
    return m;
  };
  EXPECT_EQ(accuracy_chunk_rows(layers_of_outputs({2048, 2048, 10})), 1000);
  EXPECT_EQ(accuracy_chunk_rows(layers_of_outputs({8192, 8192, 10})), 256);
  const Mlp wide = make_mlp({12, 16384, 5}, 4).value();  // 128 rows per chunk
  ASSERT_EQ(accuracy_chunk_rows(wide), 128);
  const Dataset data = random_data(300, 12, 5);
  auto e = evaluate(wide, data);  // batches of 1024 rows: one pass
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_DOUBLE_EQ(accuracy(wide, data.features, data.labels, 1), e->accuracy);
  EXPECT_DOUBLE_EQ(accuracy(wide, data.features, data.labels, 3), e->accuracy);
}

TEST(Evaluation, PredictionsAgreeWithTheConfusionMatrixAndAreProbabilities) {
  const Mlp model = make_mlp({12, 16, 5}, 4).value();
  const Dataset data = random_data(300, 12, 5);
  auto p = predict(model, data.features);
  ASSERT_TRUE(p.ok());
  auto e = evaluate(model, data);
  std::vector<std::int64_t> called(5, 0);
  for (const Prediction& x : *p) {
    ++called[static_cast<std::size_t>(x.predicted)];
    EXPECT_GE(x.confidence, 0.2f) << "the top class of 5 has at least a fifth";
    EXPECT_LE(x.confidence, 1.0f);
  }
  for (std::size_t k = 0; k < 5; ++k) {
    std::int64_t column = 0;
    for (std::size_t c = 0; c < 5; ++c) column += e->confusion[c][k];
    EXPECT_EQ(column, called[k]);
  }
}

TEST(Evaluation, DataThatDoesNotFitTheModelIsNamed) {
  const Mlp model = make_mlp({12, 16, 5}, 4).value();
  Dataset wide = random_data(10, 13, 5);
  EXPECT_EQ(evaluate(model, wide).status().code(), ErrorCode::kInvalidArgument);
  Dataset labels = random_data(10, 12, 5);
  labels.labels[7] = 5;
  const Status s = evaluate(model, labels).status();
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("example 7"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace ist
