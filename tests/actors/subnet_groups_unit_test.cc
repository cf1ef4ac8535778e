// Subnet groups through the driver, against the in-process ScriptedTrainerBackend: the driver equals the
// reference for S between 1 and W (and with a schedule), and a run with groups stopped after a checkpoint
// and resumed across a change of the schedule ends with exactly the model of a run that never stopped.
// Milliseconds, no processes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "actors/checkpoint.h"
#include "actors/driver.h"
#include "ist/reference.h"
#include "tests/actors/scripted_trainer_backend.h"

namespace ist::actors {
namespace {

using testing::ScriptedTrainerBackend;

Dataset data() {
  return testing::clustered_dataset(1200, 16, 4, 7);
}

DriverOptions options(int workers, int subnets, std::int64_t rounds) {
  DriverOptions o;
  o.training.widths = {16, 24, 24, 4};
  o.training.workers = workers;
  o.training.subnets = subnets;
  o.training.rounds = rounds;
  o.training.eval_every = 2;
  o.training.local_steps = 5;
  o.training.batch_size = 16;
  o.training.sgd.momentum = 0.9f;
  o.training.input_mean = 0.0f;
  o.training.input_std = 1.0f;
  return o;
}

Result<RunResult> driver_run(const DriverOptions& o, const DriverCheckpoint* resume = nullptr,
                             const RoundCallback& on_round = {}) {
  auto backend = std::make_unique<ScriptedTrainerBackend>(data(), o.round_deadline);
  const std::vector<rt::NodeId> nodes = backend->worker_nodes(o.training.workers);
  Driver driver(std::move(backend), o, data());
  if (resume != nullptr) IST_RETURN_IF_ERROR(driver.resume_from(*resume));
  IST_RETURN_IF_ERROR(driver.start(nodes));
  return driver.run(on_round);
}

RunResult reference(const TrainingConfig& c) {
  std::vector<Dataset> shards;
  for (int w = 0; w < c.workers; ++w) {
    shards.push_back(
        testing::shard_as_trainer_loads(data(), TrainerSpec{{}, w, c.workers, "iid", c.seed, 0.0f, 1.0f, 0, {}, {}})
            .value());
  }
  return run_reference(c, shards, data()).value();
}

TEST(SubnetGroupsUnit, DriverEqualsTheReferenceForEveryGroupCountBitForBit) {
  for (int subnets : {1, 2, 3, 5}) {
    const DriverOptions o = options(5, subnets, 4);  // 5 trainers: groups of unequal size for S = 2, 3
    auto distributed = driver_run(o);
    ASSERT_TRUE(distributed.ok()) << distributed.status().to_string();
    EXPECT_EQ(parameter_hash(distributed->model), parameter_hash(reference(o.training).model))
        << "S = " << subnets;
  }
}

TEST(SubnetGroupsUnit, DriverFollowsAScheduleExactlyAsTheReferenceDoes) {
  DriverOptions o = options(4, 4, 8);
  o.training.schedule = {SchedulePhase{0.5, 2, 0.0f, 0}, SchedulePhase{1.0, 1, 0.02f, 8}};
  auto distributed = driver_run(o);
  ASSERT_TRUE(distributed.ok()) << distributed.status().to_string();
  const RunResult expected = reference(o.training);
  EXPECT_EQ(parameter_hash(distributed->model), parameter_hash(expected.model));
  ASSERT_EQ(distributed->records.size(), expected.records.size());
  for (std::size_t i = 0; i < expected.records.size(); ++i) {
    EXPECT_EQ(distributed->records[i].subnets, expected.records[i].subnets) << "round " << i + 1;
  }
  EXPECT_EQ(distributed->records.front().subnets, 4);
  EXPECT_EQ(distributed->records.back().subnets, 1);
}

TEST(SubnetGroupsUnit, ResumedRunWithGroupsAndAScheduleEndsWithTheModelOfAnUninterruptedRun) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ist_subnet_groups_unit_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  DriverOptions o = options(4, 2, 6);
  // 320 samples of 1200 per round: the phase starts with round 3, right after the checkpoint.
  o.training.schedule = {SchedulePhase{0.5, 1, 0.02f, 3}};
  o.checkpoint_every = 2;
  o.checkpoint_path = (dir / "checkpoint.safetensors").string();
  auto whole = driver_run(o);
  ASSERT_TRUE(whole.ok()) << whole.status().to_string();
  EXPECT_EQ(whole->records[1].subnets, 2);
  EXPECT_EQ(whole->records[2].subnets, 1);

  // Stopped after round 3 (checkpoint of round 2 on disk), then resumed from it.
  auto stopped = driver_run(o, nullptr, [](const RoundRecord& r) {
    return r.round == 3 ? Status::cancelled("stopped for the test") : Status::ok_status();
  });
  ASSERT_FALSE(stopped.ok());
  const DriverCheckpoint checkpoint = load_checkpoint(o.checkpoint_path).value();
  EXPECT_EQ(checkpoint.next_round, 2);
  auto resumed = driver_run(o, &checkpoint);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
  EXPECT_EQ(parameter_hash(resumed->model), parameter_hash(whole->model));
}

}  // namespace
}  // namespace ist::actors
