// Issue 4's bar on real data: 4 trainers on Fashion-MNIST reach 0.86 test accuracy with IST
// (784-2048-2048-10, R = 20, batch 128, the default training options), within 10 epochs.
#include <gtest/gtest.h>

#include "actors/driver.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

class FashionMnist : public testing::TrainerCluster {};

TEST_F(FashionMnist, FourIstTrainersReachEightySixPercentWithinTenEpochs) {
  start_cluster(4);
  DriverOptions options;
  options.training.widths = {784, 2048, 2048, 10};
  options.training.workers = 4;
  options.training.epochs = 10;
  options.training.eval_every = 6;
  options.training.target_accuracy = 0.86;  // stop at the first evaluation that reaches it
  options.data.path = "/usr/share/datasets/fashion-mnist";
  Driver driver(head->client(), options, load_idx_dataset(options.data.path, Split::kTest).value());
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto result = driver.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_TRUE(result->final_test_accuracy.has_value());
  EXPECT_GE(*result->final_test_accuracy, 0.86) << "after " << result->records.back().epochs << " epochs";
  EXPECT_LE(result->records.back().epochs, 10.1);
  EXPECT_EQ(result->records.back().live_workers, 4);
}

}  // namespace
}  // namespace ist::actors
