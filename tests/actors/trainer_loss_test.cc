// kill -9 of a trainer's node during a run: the driver learns of it within the detection deadline, merges
// what the survivors returned, keeps the lost slice as it was, and partitions later rounds over the
// survivors. No survivor restarts; the loss is an event in the metrics.
#include <gtest/gtest.h>

#include <signal.h>

#include "actors/driver.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

class TrainerLoss : public testing::TrainerCluster {
 protected:
  DriverOptions options() const {
    DriverOptions o;
    o.training.widths = {784, 256, 256, 10};
    o.training.workers = 3;
    o.training.rounds = 24;
    o.training.eval_every = 24;
    o.training.local_steps = 20;
    o.training.batch_size = 64;
    o.data.path = kData;
    return o;
  }
};

TEST_F(TrainerLoss, KilledTrainerNodeCostsOnlyItsSliceAndTheRunCompletes) {
  start_cluster(3);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();

  Driver undisturbed(head->client(), options(), test);
  ASSERT_TRUE(undisturbed.start(worker_ids()).ok());
  auto baseline = undisturbed.run();
  ASSERT_TRUE(baseline.ok()) << baseline.status().to_string();

  Driver driver(head->client(), options(), test);
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto result = driver.run([&](const RoundRecord& record) {
    if (record.round == 8) {
      ASSERT_TRUE(cluster->signal_worker(0, SIGKILL).ok());
    }
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->records.size(), 24u);
  int losses = 0;
  for (const RoundRecord& r : result->records) {
    losses += r.count_events(RoundEvent::Kind::kTrainerLost);
    if (r.round <= 8) {
      EXPECT_EQ(r.live_workers, 3) << "round " << r.round;
    }
    if (r.round >= 10) {
      EXPECT_EQ(r.live_workers, 2) << "round " << r.round;
    }
  }
  EXPECT_EQ(losses, 1);
  // The round after the kill took about the detection deadline (1 s here), not the round deadline.
  const double slowest_round = result->records[8].wall_seconds - result->records[7].wall_seconds;
  EXPECT_LT(slowest_round, 5.0);
  // Within one point of the undisturbed run (it may end higher: two survivors train wider subnets).
  EXPECT_GE(*result->final_test_accuracy, *baseline->final_test_accuracy - 0.01);
}

}  // namespace
}  // namespace ist::actors
