// The elasticity rules, against the in-process ScriptedTrainerBackend: a lost slice keeps its
// start-of-round values, a late trainer sits out until it is done and stays, the shared data is re-cut
// when the membership changes, the pool waits for joins below min_workers, private data is never
// re-cut, and scripted faults are armed beside the training messages. Milliseconds, no processes.
#include <gtest/gtest.h>

#include <string>

#include "actors/driver.h"
#include "tests/actors/run_history.h"
#include "ist/partition.h"
#include "ist/reference.h"
#include "ist/standardization.h"
#include "tests/actors/scripted_trainer_backend.h"

namespace ist::actors {
namespace {

using testing::ScriptedTrainerBackend;
using Kind = RoundEvent::Kind;

constexpr int kExamples = 1200;

Dataset data() { return testing::clustered_dataset(kExamples, 16, 4, 7); }

DriverOptions options(int workers, std::int64_t rounds) {
  DriverOptions o;
  o.training.widths = {16, 24, 24, 4};
  o.training.workers = workers;
  o.training.rounds = rounds;
  o.training.eval_every = rounds;
  o.training.local_steps = 5;
  o.training.batch_size = 16;
  o.training.sgd.warmup_epochs = 0;
  o.training.input_mean = 0.0f;
  o.training.input_std = 1.0f;
  o.min_workers = 1;
  return o;
}

using testing::history_of;
using testing::scripted;

// A driver over a scripted backend; the test keeps a pointer to the backend to script it.
struct ScriptedRun {
  explicit ScriptedRun(DriverOptions o, int nodes = -1) {
    auto owned = std::make_unique<ScriptedTrainerBackend>(data(), o.round_deadline);
    backend = owned.get();
    worker_nodes = backend->worker_nodes(nodes < 0 ? o.training.workers : nodes);
    driver = std::make_unique<Driver>(std::move(owned), o, data());
  }
  Result<RunResult> run(const RoundCallback& on_round = {}) {
    IST_RETURN_IF_ERROR(driver->start(worker_nodes));
    return driver->run(on_round);
  }
  ScriptedTrainerBackend* backend = nullptr;
  std::vector<rt::NodeId> worker_nodes;
  std::unique_ptr<Driver> driver;
};

// A pool of `workers` trainers on a scripted backend's nodes, without a driver: start() starts them.
struct ScriptedPool {
  explicit ScriptedPool(int workers)
      : o(options(workers, 1)),
        backend(data(), o.round_deadline),
        nodes(backend.worker_nodes(workers)),
        pool(backend, o.training, PoolOptions{o.data, o.min_workers, o.join_wait, o.placement, o.only_nodes}) {}
  Status start() { return pool.start(nodes); }
  const DriverOptions o;
  ScriptedTrainerBackend backend;
  const std::vector<rt::NodeId> nodes;
  TrainerPool pool;
};

TEST(ElasticUnit, UndisturbedRunOnInProcessTrainersEqualsTheReferenceBitForBit) {
  DriverOptions o = options(3, 6);
  ScriptedRun run(o);
  auto distributed = run.run();
  ASSERT_TRUE(distributed.ok()) << distributed.status().to_string();
  std::vector<Dataset> shards;
  for (int w = 0; w < 3; ++w) {
    shards.push_back(testing::shard_as_trainer_loads(data(), TrainerSpec{{}, w, 3, "iid", o.training.seed, 0.0f, 1.0f, 0, {}, {}}).value());
  }
  auto reference = run_reference(o.training, shards, data());
  ASSERT_TRUE(reference.ok()) << reference.status().to_string();
  ASSERT_EQ(distributed->records.size(), reference->records.size());
  for (std::size_t l = 0; l < reference->model.layers.size(); ++l) {
    EXPECT_TRUE(distributed->model.layers[l].weight == reference->model.layers[l].weight) << "layer " << l;
    EXPECT_TRUE(distributed->model.layers[l].bias == reference->model.layers[l].bias) << "layer " << l;
  }
  EXPECT_EQ(distributed->final_test_accuracy, reference->final_test_accuracy);
  for (int t = 0; t < 3; ++t) EXPECT_TRUE(run.backend->faults_armed_on(t).empty()) << "no fault rides along a normal run";
}

TEST(ElasticUnit, StandardizationMeasuredByTheTrainersEqualsTheReferencesBitForBit) {
  DriverOptions o = options(3, 4);
  o.training.standardize = Standardize::kPerFeature;
  ScriptedRun run(o);
  auto distributed = run.run();
  ASSERT_TRUE(distributed.ok()) << distributed.status().to_string();
  ASSERT_EQ(run.driver->training().standardize, Standardize::kGiven);
  std::vector<Dataset> shards;
  for (int w = 0; w < 3; ++w) {
    shards.push_back(testing::shard_as_trainer_loads(data(), TrainerSpec{{}, w, 3, "iid", o.training.seed, 0.0f, 1.0f, 0, {}, {}}).value());
  }
  TrainingConfig measured = o.training;
  ASSERT_TRUE(measure_standardization(measured, shards).ok());
  EXPECT_EQ(run.driver->training().feature_mean, measured.feature_mean);
  EXPECT_EQ(run.driver->training().feature_std, measured.feature_std);
  auto reference = run_reference(o.training, shards, data());
  ASSERT_TRUE(reference.ok()) << reference.status().to_string();
  for (std::size_t l = 0; l < reference->model.layers.size(); ++l) {
    EXPECT_TRUE(distributed->model.layers[l].weight == reference->model.layers[l].weight) << "layer " << l;
    EXPECT_TRUE(distributed->model.layers[l].bias == reference->model.layers[l].bias) << "layer " << l;
  }
  EXPECT_EQ(distributed->final_test_accuracy, reference->final_test_accuracy);
}

TEST(ElasticUnit, LostSliceKeepsItsStartOfRoundValuesAndTheOthersAreMerged) {
  DriverOptions o = options(3, 2);
  ScriptedRun run(o);
  run.backend->lose_in_round(1, 2);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[0].live_workers, 3);
  EXPECT_EQ(result->records[1].live_workers, 2) << history_of(*result);
  EXPECT_EQ(result->count_events(Kind::kTrainerLost), 1);
  // Round 2's plan, as the driver made it: subnet s went to trainer s.
  const SubnetPlan plan = make_partition({24, 24}, 3, o.training.seed, 1).value();
  const Mlp& merged = result->model;
  for (int s = 0; s < 3; ++s) {
    const Slice& sent = run.backend->last_slice_sent_to(s);
    const std::vector<std::int32_t> first_hidden = plan.neurons_of(s)[0];
    int unchanged = 0;
    for (std::size_t i = 0; i < first_hidden.size(); ++i) {
      unchanged += merged.layers[0].weight.row(first_hidden[i]) == sent.model.layers[0].weight.row(static_cast<Index>(i)) ? 1 : 0;
    }
    if (s == 1) {
      EXPECT_EQ(unchanged, static_cast<int>(first_hidden.size())) << "the lost subnet's rows keep their start-of-round values";
    } else {
      EXPECT_LT(unchanged, static_cast<int>(first_hidden.size())) << "subnet " << s << " was trained and merged";
    }
  }
}

TEST(ElasticUnit, ASliceHoldingNaNIsNeverMergedAndItsTrainerIsRecordedLost) {
  DriverOptions o = options(3, 3);
  ScriptedRun run(o);
  run.backend->poison_in_round(1, 2);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_FALSE(first_non_finite(result->model).has_value()) << "a NaN was merged";
  EXPECT_EQ(result->records[1].live_workers, 2) << history_of(*result);
  ASSERT_EQ(result->count_events(Kind::kTrainerLost), 1);
  for (const RoundEvent& e : result->records[1].events) {
    if (e.kind == Kind::kTrainerLost) {
      EXPECT_NE(e.detail.find("NaN or infinite"), std::string::npos) << e.detail;
    }
  }
  EXPECT_EQ(result->records[2].live_workers, 2);
}

TEST(ElasticUnit, LateTrainerSitsOutUntilItIsDoneAndThenTrainsAgain) {
  ScriptedRun run(options(3, 6));
  run.backend->late_in_round(2, 2, 4);  // late in round 2, busy through round 3
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(run.backend->rounds_trained_by(2), (std::vector<std::int64_t>{0, 1, 3, 4, 5})) << history_of(*result);
  EXPECT_EQ(result->count_events(Kind::kSliceLate), 1);
  EXPECT_EQ(result->count_events(Kind::kTrainerLost), 0) << "a late trainer is not lost";
  EXPECT_EQ(result->records[1].live_workers, 2) << "round 2 merged the two slices that came back";
  EXPECT_EQ(result->records[2].live_workers, 2) << "round 3 partitioned over the two free trainers";
  EXPECT_EQ(result->records[3].live_workers, 3) << "the straggler is back: " << history_of(*result);
}

TEST(ElasticUnit, DeadNodeLosesItsTrainerAndTheSharedDataIsRecutOverTheSurvivors) {
  ScriptedRun run(options(3, 4));
  auto result = run.run([&](const RoundRecord& record) {
    if (record.round == 2) run.backend->node_dies(run.worker_nodes[0]);
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[2].count_events(Kind::kTrainerLost), 1) << history_of(*result);
  ASSERT_EQ(result->records[2].count_events(Kind::kDataRecut), 1);
  for (const RoundEvent& e : result->records[2].events) {
    if (e.kind == Kind::kDataRecut) {
      EXPECT_EQ(e.count, 2) << "two shards for two survivors";
    }
  }
  EXPECT_EQ(result->records[2].live_workers, 2);
  EXPECT_EQ(run.backend->shard_loads(), 2) << "each survivor loaded its new shard once";
}

// A restore that lost a trainer asks the pool to hear of it (TrainerPool::await_loss): the news of a dead
// node is taken in and the trainer counted lost; with no news by the deadline, no loss is reported.
TEST(ElasticUnit, APoolAwaitingALossHearsOfADeadNodeAndReportsNoneWhenNoneCame) {
  ScriptedPool scripted(3);
  ASSERT_TRUE(scripted.start().ok());
  TrainerPool& pool = scripted.pool;
  std::vector<TrainerId> trainers;
  for (const PooledTrainer* t : pool.live()) trainers.push_back(t->id);
  ASSERT_EQ(trainers.size(), 3u);
  RoundRecord record;
  const Result<bool> quiet = pool.await_loss(trainers, record, rt::Clock::now());
  ASSERT_TRUE(quiet.ok()) << quiet.status().to_string();
  EXPECT_FALSE(*quiet);
  scripted.backend.node_dies(scripted.nodes[1]);
  const Result<bool> heard = pool.await_loss({trainers[1]}, record, rt::deadline_in(std::chrono::seconds(5)));
  ASSERT_TRUE(heard.ok()) << heard.status().to_string();
  EXPECT_TRUE(*heard);
  EXPECT_EQ(pool.live().size(), 2u);
  EXPECT_EQ(record.count_events(Kind::kTrainerLost), 1);
}

// A round may count a trainer lost before the pool hears that its node left: the leave is still recorded
// (its owner's handed-over shard is then used). Joins heard while a round waits for news of a loss wait
// for the next round's start, which re-cuts the data for them.
TEST(ElasticUnit, ALeaveHeardAfterTheRoundCountedTheTrainerLostIsRecordedAndJoinsWaitForTheNextRound) {
  ScriptedPool scripted(2);
  ASSERT_TRUE(scripted.start().ok());
  TrainerPool& pool = scripted.pool;
  RoundRecord record;
  PooledTrainer& second = *pool.live()[1];
  const TrainerId id = second.id;
  pool.lose(second, Status::actor_died("its round call failed"), record);
  scripted.backend.node_leaves(scripted.nodes[1]);
  scripted.backend.join_node();
  ASSERT_TRUE(pool.admit_losses(record).ok());
  EXPECT_TRUE(pool.trainer(id).left);
  EXPECT_EQ(pool.live().size(), 1u) << "the joined worker waits for the next round";
  ASSERT_TRUE(pool.admit_membership_events(record, rt::Clock::now(), 0).ok());
  EXPECT_EQ(pool.live().size(), 2u);
}

TEST(ElasticUnit, JoinedWorkerGetsATrainerAndAShareOfTheDataFromTheNextRound) {
  ScriptedRun run(options(2, 4));
  auto result = run.run([&](const RoundRecord& record) {
    if (record.round == 1) run.backend->join_node();
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[0].live_workers, 2);
  EXPECT_EQ(result->records[1].count_events(Kind::kTrainerJoined), 1) << history_of(*result);
  EXPECT_EQ(result->records[1].count_events(Kind::kDataRecut), 1);
  EXPECT_EQ(result->records[1].live_workers, 3);
  EXPECT_EQ(run.backend->trainers_started(), 3);
}

TEST(ElasticUnit, ScriptedAddStartsWorkersWhoseTrainersTrainInThatRound) {
  DriverOptions o = options(2, 4);
  ScriptedEvent add = scripted(ScriptedEvent::Kind::kAddWorkers, 3, 0);
  add.count = 2;
  o.events = {add};
  ScriptedRun run(o);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[1].live_workers, 2);
  EXPECT_EQ(result->records[2].count_events(Kind::kScriptedAdd), 1) << history_of(*result);
  EXPECT_EQ(result->records[2].count_events(Kind::kTrainerJoined), 2);
  EXPECT_EQ(result->records[2].live_workers, 4);
}

TEST(ElasticUnit, BelowMinWorkersThePoolWaitsForAJoinInsteadOfFailing) {
  DriverOptions o = options(2, 4);
  o.min_workers = 2;
  ScriptedRun run(o);
  run.backend->lose_in_round(0, 2);
  run.backend->join_when_waited();
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[2].count_events(Kind::kBelowMinWorkers), 1) << history_of(*result);
  EXPECT_EQ(result->records[2].count_events(Kind::kTrainerJoined), 1);
  EXPECT_EQ(result->records.back().live_workers, 2);
}

TEST(ElasticUnit, BelowMinWorkersWithoutJoinsTheRunFailsNamingMinWorkers) {
  DriverOptions o = options(2, 4);
  o.min_workers = 2;
  ScriptedRun run(o);
  run.backend->lose_in_round(0, 2);
  auto result = run.run();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kNodeDead);
  EXPECT_NE(result.status().message().find("fewer than min_workers = 2"), std::string::npos) << result.status().to_string();
}

TEST(ElasticUnit, PrivateDataIsNeverRecutItsLostShardIsCountedAndJoinersGetNoData) {
  DriverOptions o = options(3, 5);
  o.placement = "private";
  ScriptedRun run(o);
  run.backend->lose_in_round(1, 3);
  auto result = run.run([&](const RoundRecord& record) {
    if (record.round == 3) run.backend->join_node();
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(run.driver->lost_examples(), kExamples / 3);
  EXPECT_EQ(result->count_events(Kind::kPrivateShardLost), 1) << history_of(*result);
  EXPECT_EQ(result->count_events(Kind::kDataRecut), 0) << "private data is never re-cut";
  EXPECT_EQ(result->count_events(Kind::kJoinNotUsed), 1);
  EXPECT_EQ(result->records[2].live_workers, 2);
  EXPECT_EQ(result->records.back().live_workers, 2);
  EXPECT_EQ(run.backend->shard_loads(), 0);
  // The metrics count the examples of every worker whose work counted: three shards, then the two left.
  const std::vector<std::int64_t>& first = result->records.front().examples_per_worker;
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0] + first[1] + first[2], kExamples);
  EXPECT_EQ(result->records.back().examples_per_worker.size(), 2u);
}

TEST(ElasticUnit, ScriptedKillArmsACrashOnThatRoundsSubnetTrainerOnly) {
  DriverOptions o = options(3, 3);
  o.events = {scripted(ScriptedEvent::Kind::kKillWorker, 2, 1)};
  ScriptedRun run(o);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(run.backend->faults_armed_on(1).size(), 1u);
  EXPECT_TRUE(run.backend->faults_armed_on(1)[0].crash_midway);
  EXPECT_TRUE(run.backend->faults_armed_on(0).empty());
  EXPECT_TRUE(run.backend->faults_armed_on(2).empty());
  EXPECT_EQ(result->records[1].count_events(Kind::kScriptedKill), 1) << history_of(*result);
  EXPECT_EQ(result->count_events(Kind::kTrainerLost), 1) << "the failed call and the node's death are one loss";
  EXPECT_EQ(result->records[1].live_workers, 2);
}

TEST(ElasticUnit, ScriptedLeaveFinishesTheRoundThenTheTrainerLeaves) {
  DriverOptions o = options(3, 5);
  o.events = {scripted(ScriptedEvent::Kind::kLeaveWorker, 3, 0)};
  ScriptedRun run(o);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[2].live_workers, 3) << "the leaving trainer's slice was merged: " << history_of(*result);
  EXPECT_EQ(result->records.back().live_workers, 2);
  ASSERT_EQ(result->count_events(Kind::kTrainerLost), 1);
  EXPECT_EQ(result->records[3].events.front().detail, "node dead: its node left");
}

TEST(ElasticUnit, ScriptedSlowdownPastTheRoundDeadlineMakesTheSliceLate) {
  DriverOptions o = options(3, 5);
  o.training.local_steps = 20;
  o.round_deadline = std::chrono::milliseconds(1000);
  ScriptedEvent slow = scripted(ScriptedEvent::Kind::kSlowWorker, 2, 2);
  slow.delay_ms = 60;  // 20 steps x 60 ms: past the 1 s deadline
  o.events = {slow};
  ScriptedRun run(o);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[1].count_events(Kind::kScriptedSlow), 1) << history_of(*result);
  EXPECT_EQ(result->records[1].count_events(Kind::kSliceLate), 1);
  EXPECT_EQ(run.backend->faults_armed_on(2).size(), 1u) << "slowed for one round only";
  EXPECT_EQ(run.backend->rounds_trained_by(2), (std::vector<std::int64_t>{0, 1, 3, 4}));
}

TEST(ElasticUnit, ALostGroupMemberCostsOnlyItsOwnContributionToItsGroupsAverage) {
  DriverOptions o = options(4, 2);
  o.training.subnets = 2;  // trainers 0 and 2 train subnet 0, trainers 1 and 3 subnet 1
  ScriptedRun run(o);
  run.backend->lose_in_round(1, 2);
  auto result = run.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records[1].live_workers, 3) << history_of(*result);
  const SubnetPlan plan = make_partition({24, 24}, 2, o.training.seed, 1).value();
  const Mlp& merged = result->model;
  const Slice* first = run.backend->last_slice_trained_by(0);
  const Slice* second = run.backend->last_slice_trained_by(2);
  const Slice* survivor = run.backend->last_slice_trained_by(3);
  ASSERT_TRUE(first != nullptr && second != nullptr && survivor != nullptr);
  // Subnet 0: the mean of its two members; subnet 1: its surviving member's slice as it came back.
  for (std::size_t i = 0; i < plan.groups[0][0].size(); ++i) {
    const Index row = plan.groups[0][0][i];
    const Index mine = static_cast<Index>(i);
    const Vector mean = ((first->model.layers[0].weight.row(mine) + second->model.layers[0].weight.row(mine)) * 0.5f).transpose();
    EXPECT_TRUE(merged.layers[0].weight.row(row).transpose() == mean) << "subnet 0, row " << row;
  }
  for (std::size_t i = 0; i < plan.groups[0][1].size(); ++i) {
    const Index row = plan.groups[0][1][i];
    EXPECT_TRUE(merged.layers[0].weight.row(row) == survivor->model.layers[0].weight.row(static_cast<Index>(i)))
        << "subnet 1, row " << row;
  }
}

}  // namespace
}  // namespace ist::actors
