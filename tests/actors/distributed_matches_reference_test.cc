// The distributed runs end with exactly the model the in-process reference ends with: this checks the
// partition, the slicing, the frames, the transport, the ring and the merge at once.
#include <gtest/gtest.h>

#include "actors/driver.h"
#include "ist/reference.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

TrainingConfig small_config(Algorithm algorithm) {
  TrainingConfig c;
  c.widths = {784, 48, 32, 10};
  c.algorithm = algorithm;
  c.workers = 2;
  c.local_steps = 4;
  c.batch_size = 32;
  c.rounds = 3;
  c.eval_every = 3;
  c.sgd.learning_rate = 0.05f;
  c.sgd.momentum = 0.9f;
  c.seed = 21;
  return c;
}

RunResult reference_run(const TrainingConfig& c, const Dataset& test) {
  std::vector<Dataset> shards;
  for (int w = 0; w < c.workers; ++w) {
    shards.push_back(load_idx_dataset(kData, Split::kTrain, ShardSpec{w, c.workers, c.shard_policy, c.seed}).value());
  }
  return run_reference(c, shards, test).value();
}

// The driver's split of each round: the slowest trainer's computation happened inside the round it timed,
// and the rounds (evaluations not in them) add up to less than the run's wall time.
void expect_compute_inside_the_rounds(const RunResult& run) {
  ASSERT_FALSE(run.records.empty());
  double rounds = 0.0;
  for (const RoundRecord& r : run.records) {
    EXPECT_GT(r.compute_seconds, 0.0) << "round " << r.round;
    EXPECT_LE(r.compute_seconds, r.round_seconds) << "round " << r.round;
    EXPECT_DOUBLE_EQ(r.compute_seconds + r.wait_seconds(), r.round_seconds) << "round " << r.round;
    rounds += r.round_seconds;
  }
  EXPECT_LT(rounds, run.records.back().wall_seconds);
}

class DistributedRun : public testing::TrainerCluster {
 protected:
  RunResult distributed_run(const TrainingConfig& c, const Dataset& test, std::vector<RoundTiming>* timings = nullptr,
                            const std::string& model_owner = "driver") {
    DriverOptions options;
    options.training = c;
    options.model_owner = model_owner;
    options.data.path = kData;
    Driver driver(head->client(), options, test);
    Status started = driver.start(worker_ids());
    EXPECT_TRUE(started.ok()) << started.to_string();
    auto result = driver.run();
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    if (timings != nullptr) *timings = driver.timings();
    return result.ok() ? std::move(result).value() : RunResult{};
  }
};

TEST_F(DistributedRun, IstEndsWithExactlyTheReferenceModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  const TrainingConfig c = small_config(Algorithm::kIst);
  const RunResult reference = reference_run(c, test);
  const RunResult distributed = distributed_run(c, test);
  ASSERT_EQ(distributed.records.size(), reference.records.size());
  EXPECT_EQ(parameter_hash(distributed.model), parameter_hash(reference.model));
  EXPECT_NE(parameter_hash(distributed.model), parameter_hash(make_mlp(c.widths, c.seed).value()));
  EXPECT_EQ(distributed.final_test_accuracy, reference.final_test_accuracy);
}

TEST_F(DistributedRun, IstWithPartitionedOwnersEndsWithExactlyTheReferenceAndTheDriverOwnedModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  TrainingConfig c = small_config(Algorithm::kIst);
  c.workers = 3;  // three owners of uneven shards (48 and 32 neurons in thirds), two sharing a process
  c.eval_every = 2;  // a gather in the middle of the run, and one at its end
  const RunResult reference = reference_run(c, test);
  const RunResult driver_owned = distributed_run(c, test);
  const RunResult partitioned = distributed_run(c, test, nullptr, "partitioned");
  ASSERT_EQ(partitioned.records.size(), reference.records.size());
  EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(reference.model));
  EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(driver_owned.model));
  EXPECT_EQ(partitioned.final_test_accuracy, reference.final_test_accuracy);
  EXPECT_EQ(partitioned.records[1].test_accuracy, reference.records[1].test_accuracy);
  // Gathered for the evaluations of rounds 2 and 3 only; a driver that owns the model gathers nothing.
  // Round 2's gather ran beside round 3 (its evaluation overlapped it) and still brought round 2's model:
  // the accuracy above is the reference's. The last round's gather is waited for.
  EXPECT_EQ(partitioned.records[0].gather_seconds, 0.0);
  EXPECT_GT(partitioned.records[1].gather_seconds, 0.0);
  EXPECT_TRUE(partitioned.records[1].gather_overlapped);
  EXPECT_GT(partitioned.records[2].gather_seconds, 0.0);
  EXPECT_FALSE(partitioned.records[2].gather_overlapped);
  for (const RoundRecord& r : driver_owned.records) EXPECT_EQ(r.gather_seconds, 0.0);
  for (std::size_t r = 0; r < partitioned.records.size(); ++r) {
    const RoundRecord& p = partitioned.records[r];
    const RoundRecord& d = driver_owned.records[r];
    // Only the plan goes through the driver: a few hundred bytes per trainer each way...
    EXPECT_GT(p.driver_bytes, 0.0);
    EXPECT_LT(p.driver_bytes, 4096.0) << "round " << p.round;
    // ... where the driver-owned run's link carries every subnet both ways (about 50 KB each here).
    EXPECT_GT((d.bytes_sent_per_worker + d.bytes_received_per_worker) * d.live_workers, 50.0 * p.driver_bytes);
    // The subnets still travel, peer to peer: each worker receives, as a trainer, the pieces of its
    // subnet the other owners hold and, as an owner, its pieces of the other subnets (about 2(W-1)/W
    // subnets), and every byte sent is received.
    EXPECT_GT(p.bytes_received_per_worker, 0.8 * d.bytes_received_per_worker);
    EXPECT_LT(p.bytes_received_per_worker, 2.0 * d.bytes_received_per_worker);
    EXPECT_DOUBLE_EQ(p.bytes_sent_per_worker, p.bytes_received_per_worker);
    EXPECT_EQ(p.live_workers, 3);
    EXPECT_GT(p.compute_seconds, 0.0);
  }
}

TEST_F(DistributedRun, IstWithPartitionedOwnersAndSubnetGroupsEndsWithExactlyTheReferenceModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  TrainingConfig c = small_config(Algorithm::kIst);
  c.workers = 3;
  for (const int subnets : {2, 1}) {
    // S = 2: subnet 0 trained by trainers 0 and 2 (their pieces averaged by every owner), subnet 1 by
    // trainer 1; S = 1: every trainer trains the whole model, as local SGD does.
    c.subnets = subnets;
    const RunResult reference = reference_run(c, test);
    const RunResult partitioned = distributed_run(c, test, nullptr, "partitioned");
    ASSERT_EQ(partitioned.records.size(), reference.records.size()) << "S = " << subnets;
    EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(reference.model)) << "S = " << subnets;
    EXPECT_EQ(partitioned.final_test_accuracy, reference.final_test_accuracy) << "S = " << subnets;
    for (const RoundRecord& r : partitioned.records) EXPECT_EQ(r.subnets, subnets);
  }
  // A schedule: one subnet per trainer for the first rounds, then groups.
  c.subnets = 0;
  c.rounds = 5;  // 0.0064 epochs each
  c.schedule = {SchedulePhase{}};
  c.schedule[0].from_epoch = 0.01;
  c.schedule[0].subnets = 2;
  const RunResult reference = reference_run(c, test);
  const RunResult partitioned = distributed_run(c, test, nullptr, "partitioned");
  ASSERT_EQ(partitioned.records.size(), reference.records.size());
  EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(reference.model));
  EXPECT_EQ(partitioned.records.front().subnets, 3);
  EXPECT_EQ(partitioned.records.back().subnets, 2);
}

TEST_F(DistributedRun, DataParallelRingEndsWithExactlyTheReferenceModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  TrainingConfig c = small_config(Algorithm::kDataParallel);
  c.workers = 3;  // three trainers on two nodes: uneven ring chunks, two trainers sharing a process
  const RunResult reference = reference_run(c, test);
  const RunResult distributed = distributed_run(c, test);
  EXPECT_EQ(parameter_hash(distributed.model), parameter_hash(reference.model));
  expect_compute_inside_the_rounds(distributed);
}

TEST_F(DistributedRun, LocalSgdEndsWithExactlyTheReferenceModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  const TrainingConfig c = small_config(Algorithm::kLocalSgd);
  const RunResult reference = reference_run(c, test);
  const RunResult distributed = distributed_run(c, test);
  EXPECT_EQ(parameter_hash(distributed.model), parameter_hash(reference.model));
  expect_compute_inside_the_rounds(distributed);
}

TEST_F(DistributedRun, IstWithTwoSubnetGroupsOfTwoEndsWithExactlyTheReferenceModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  TrainingConfig c = small_config(Algorithm::kIst);
  c.workers = 4;
  c.subnets = 2;
  const RunResult reference = reference_run(c, test);
  const RunResult distributed = distributed_run(c, test);
  ASSERT_EQ(distributed.records.size(), reference.records.size());
  EXPECT_EQ(parameter_hash(distributed.model), parameter_hash(reference.model));
  // The wire adds a header to the reference's payload floats.
  EXPECT_GE(distributed.records.back().bytes_sent_per_worker, reference.records.back().bytes_sent_per_worker);
  EXPECT_LT(distributed.records.back().bytes_sent_per_worker, reference.records.back().bytes_sent_per_worker + 1024);
  EXPECT_EQ(distributed.records.back().subnets, 2);
  expect_compute_inside_the_rounds(distributed);
}

TEST_F(DistributedRun, IstWithOneSubnetGroupEndsWithExactlyTheLocalSgdModel) {
  start_cluster(2);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  TrainingConfig c = small_config(Algorithm::kIst);
  c.workers = 3;  // uneven ring chunks in the group's average
  c.subnets = 1;
  const RunResult distributed = distributed_run(c, test);
  c.algorithm = Algorithm::kLocalSgd;
  c.subnets = 0;
  const RunResult local_sgd = reference_run(c, test);
  EXPECT_EQ(parameter_hash(distributed.model), parameter_hash(local_sgd.model));
}

}  // namespace
}  // namespace ist::actors
