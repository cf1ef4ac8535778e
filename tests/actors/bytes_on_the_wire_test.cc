// Bytes per round per worker match ist-algorithm.md's table: IST moves one subnet each way per round;
// data parallel moves 2(W-1)/W of the model per step. What is counted is every payload byte (the msgpack
// header of the request or reply plus the tensor frames); the envelope frame (about 100 bytes) is not.
#include <gtest/gtest.h>

#include "actors/driver.h"
#include "ist/partition.h"
#include "ist/slice.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

class BytesOnTheWire : public testing::TrainerCluster {
 protected:
  RunResult run(const TrainingConfig& c) {
    DriverOptions options;
    options.training = c;
    options.data.path = kData;
    Driver driver(head->client(), options, load_idx_dataset(kData, Split::kTest).value());
    EXPECT_TRUE(driver.start(worker_ids()).ok());
    auto result = driver.run();
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    return result.ok() ? std::move(result).value() : RunResult{};
  }
};

TrainingConfig config(Algorithm algorithm) {
  TrainingConfig c;
  c.widths = {784, 64, 64, 10};
  c.algorithm = algorithm;
  c.workers = 2;
  c.local_steps = 3;
  c.batch_size = 32;
  c.rounds = 2;
  c.eval_every = 2;
  c.seed = 4;
  return c;
}

TEST_F(BytesOnTheWire, IstMovesOneSubnetEachWayPerRoundPlusASmallHeader) {
  start_cluster(2);
  const TrainingConfig c = config(Algorithm::kIst);
  const RunResult r = run(c);
  ASSERT_EQ(r.records.size(), 2u);
  // With H = 64 and S = 2 every subnet has 32 + 32 hidden neurons.
  const double subnet_bytes = 4.0 * (784 * 32 + 32 + 32 * 32 + 32 + 10 * 32 + 10);
  // Header: the round's options and cursor, the 64 neuron indices (at most 5 bytes each in msgpack), shapes.
  const double header_allowance = 200.0 + 5.0 * 64;
  for (const RoundRecord& record : r.records) {
    EXPECT_GE(record.bytes_received_per_worker, subnet_bytes);
    EXPECT_LE(record.bytes_received_per_worker, subnet_bytes + header_allowance);
    EXPECT_GE(record.bytes_sent_per_worker, subnet_bytes);
    EXPECT_LE(record.bytes_sent_per_worker, subnet_bytes + 200.0);
  }
}

TEST_F(BytesOnTheWire, DataParallelMovesTwiceWMinusOneOverWOfTheModelEveryStep) {
  start_cluster(2);
  const TrainingConfig c = config(Algorithm::kDataParallel);
  const RunResult r = run(c);
  const double model_bytes = 4.0 * static_cast<double>(make_mlp(c.widths, 1).value().parameter_count());
  const double expected = c.local_steps * 2.0 * (c.workers - 1) / c.workers * model_bytes;
  for (const RoundRecord& record : r.records) {
    EXPECT_NEAR(record.bytes_sent_per_worker, expected, 4.0 * c.local_steps * c.workers);  // uneven chunks
  }
}

}  // namespace
}  // namespace ist::actors
