// A short IST run on the real Fashion-MNIST files beats chance clearly and improves.
#include <gtest/gtest.h>

#include "ist/reference.h"
#include "test_data.h"

namespace ist {
namespace {

TEST(IstOnFashionMnist, AShortRunBeatsChanceClearlyAndImproves) {
  const int workers = 2;
  std::vector<Dataset> shards;
  for (int w = 0; w < workers; ++w) {
    auto shard = load_idx_dataset(testing::fashion_mnist_dir(), Split::kTrain, ShardSpec{w, workers, ShardPolicy::kIid, 1});
    ASSERT_TRUE(shard.ok()) << shard.status().to_string();
    shards.push_back(std::move(shard).value());
  }
  auto test = load_idx_dataset(testing::fashion_mnist_dir(), Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().to_string();
  TrainingConfig c;
  c.widths = {784, 256, 256, 10};
  c.workers = workers;
  c.local_steps = 10;
  c.batch_size = 64;
  c.rounds = 30;
  c.eval_every = 3;
  c.sgd.learning_rate = 0.05f;
  c.sgd.momentum = 0.9f;
  c.seed = 5;
  RunResult r = run_reference(c, shards, test.value()).value();
  ASSERT_TRUE(r.records[2].test_accuracy.has_value());
  const double early = *r.records[2].test_accuracy;
  const double final_accuracy = *r.final_test_accuracy;
  EXPECT_GT(final_accuracy, 0.7) << "chance is 0.1";
  EXPECT_GT(final_accuracy, early);
  EXPECT_LT(r.records.back().train_loss.value(), r.records.front().train_loss.value());
}

}  // namespace
}  // namespace ist
