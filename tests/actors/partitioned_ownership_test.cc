// Partitioned ownership (cluster.model_owner = "partitioned") on a real cluster, beyond the oracle test in
// distributed_matches_reference_test.cc: its checkpoints are the owners' shard files and a manifest, and
// resume bit for bit (partitioned or driver-owned); a lost owner's shard comes back (from the last
// checkpoint, or its initial values) and the run goes on with the owners left.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "actors/driver.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

using namespace std::chrono_literals;

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

TrainingConfig small_config() {
  TrainingConfig c;
  c.widths = {784, 40, 24, 10};
  c.workers = 2;
  c.local_steps = 3;
  c.batch_size = 32;
  c.rounds = 4;
  c.eval_every = 4;
  c.sgd.learning_rate = 0.05f;
  c.seed = 5;
  return c;
}

DriverOptions partitioned_options(const TrainingConfig& c) {
  DriverOptions options;
  options.training = c;
  options.data.path = kData;
  options.model_owner = "partitioned";
  return options;
}

class PartitionedOwnership : public testing::TrainerCluster {
 protected:
  void SetUp() override { test_set = load_idx_dataset(kData, Split::kTest).value(); }

  // Starts a worker process named `name` (with `flags` of the test node program) and waits, up to 20 s,
  // until the head counts it alive: its pid and node id (id 0: it did not join; pid -1: no process).
  std::pair<pid_t, rt::NodeId> start_named_worker(const std::string& name, std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"--name", name});
    auto started = cluster->start_worker(flags);
    if (!started.ok()) return {-1, 0};
    for (const auto deadline = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < deadline;) {
      for (const rt::Member& m : head->members()) {
        if (m.name == name && m.state == rt::MemberState::kAlive) return {*started, m.id};
      }
      std::this_thread::sleep_for(20ms);  // the pace of polling
    }
    return {*started, 0};
  }

  Dataset test_set;
};

TEST_F(PartitionedOwnership, ResumedFromItsCheckpointEndsWithTheModelOfAnUninterruptedRun) {
  start_cluster(2);
  const TrainingConfig c = small_config();
  RunResult uninterrupted;
  {
    Driver driver(head->client(), partitioned_options(c), test_set);
    ASSERT_TRUE(driver.start(worker_ids()).ok());
    auto run = driver.run();
    ASSERT_TRUE(run.ok()) << run.status().to_string();
    uninterrupted = std::move(run).value();
  }
  const std::filesystem::path run_dir =
      std::filesystem::temp_directory_path() / ("partitioned_" + std::to_string(getpid()));
  std::filesystem::create_directories(run_dir);
  const std::string checkpoint = (run_dir / "checkpoint.safetensors").string();
  Mlp interrupted_model;
  {
    // Asked to stop during round 2: that round is gathered, evaluated and checkpointed, and the run ends.
    DriverOptions options = partitioned_options(c);
    options.checkpoint_path = checkpoint;
    std::atomic<bool> stop{false};
    options.stop_requested = [&stop] { return stop.load(); };
    Driver driver(head->client(), options, test_set);
    ASSERT_TRUE(driver.start(worker_ids()).ok());
    auto run = driver.run([&stop](const RoundRecord& r) {
      if (r.round == 1) stop = true;
      return Status::ok_status();
    });
    ASSERT_TRUE(run.ok()) << run.status().to_string();
    EXPECT_TRUE(run->interrupted);
    ASSERT_EQ(run->records.size(), 2u);
    EXPECT_GT(run->records.back().gather_seconds, 0.0);
    interrupted_model = std::move(run->model);
  }
  // The checkpoint is a manifest and one shard file per owner, which make the model the run stopped with.
  auto saved = load_checkpoint(checkpoint);
  ASSERT_TRUE(saved.ok()) << saved.status().to_string();
  EXPECT_EQ(saved->next_round, 2);
  EXPECT_TRUE(saved->model.layers.empty());
  ASSERT_EQ(saved->shards.size(), 2u);
  auto assembled = assemble_checkpoint_model(*saved);
  ASSERT_TRUE(assembled.ok()) << assembled.status().to_string();
  EXPECT_EQ(parameter_hash(*assembled), parameter_hash(interrupted_model));
  for (const bool owners_restore : {true, false}) {
    // Partitioned, each owner reads its own shard file; driver-owned, the driver assembles the model.
    DriverOptions options = partitioned_options(c);
    if (!owners_restore) options.model_owner = "driver";
    Driver resumed(head->client(), options, test_set);
    ASSERT_TRUE(resumed.resume_from(load_checkpoint(checkpoint).value()).ok());
    ASSERT_TRUE(resumed.start(worker_ids()).ok());
    auto rest = resumed.run();
    ASSERT_TRUE(rest.ok()) << rest.status().to_string();
    EXPECT_EQ(rest->records.size(), 2u);
    EXPECT_EQ(parameter_hash(rest->model), parameter_hash(uninterrupted.model)) << "owners restore: " << owners_restore;
  }
  std::filesystem::remove_all(run_dir);
}

TEST_F(PartitionedOwnership, CheckpointsAreTheOwnersShardFilesAndNeedNoGather) {
  start_cluster(2);
  TrainingConfig c = small_config();
  const std::filesystem::path run_dir =
      std::filesystem::temp_directory_path() / ("partitioned_every_round_" + std::to_string(getpid()));
  std::filesystem::create_directories(run_dir);
  DriverOptions options = partitioned_options(c);
  options.checkpoint_path = (run_dir / "checkpoint.safetensors").string();
  options.checkpoint_every = 1;
  Driver driver(head->client(), options, test_set);
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto run = driver.run();
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 4u);
  int written = 0;
  for (const RoundRecord& r : run->records) {
    // Rounds 1-3 only checkpoint: nothing is gathered; round 4 is evaluated.
    if (r.round < 4) {
      EXPECT_EQ(r.gather_seconds, 0.0) << "round " << r.round;
    }
    for (const RoundEvent& e : r.events) {
      EXPECT_NE(e.kind, RoundEvent::Kind::kCheckpointFailed) << e.detail;
      written += e.kind == RoundEvent::Kind::kCheckpointWritten;
    }
  }
  EXPECT_EQ(written, 3);  // the 4th checkpoint's outcome would go to a 5th record
  // Only the last checkpoint's shard files remain, and they hold the final model.
  auto saved = load_checkpoint(options.checkpoint_path);
  ASSERT_TRUE(saved.ok()) << saved.status().to_string();
  EXPECT_EQ(saved->next_round, 4);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(saved->shard_dir)) files.push_back(entry.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{shard_file_name(4, 0, 2), shard_file_name(4, 1, 2)}));
  auto assembled = assemble_checkpoint_model(*saved);
  ASSERT_TRUE(assembled.ok()) << assembled.status().to_string();
  EXPECT_EQ(parameter_hash(*assembled), parameter_hash(run->model));
  std::filesystem::remove_all(run_dir);
}

TEST_F(PartitionedOwnership, AnOwnerLostBetweenRoundsComesBackFromTheLastCheckpointAndTheRunGoesOn) {
  start_cluster(2);
  const TrainingConfig c = small_config();
  DriverOptions options = partitioned_options(c);
  options.membership = head->subscribe();
  const std::filesystem::path run_dir =
      std::filesystem::temp_directory_path() / ("partitioned_lost_" + std::to_string(getpid()));
  std::filesystem::create_directories(run_dir);
  options.checkpoint_path = (run_dir / "checkpoint.safetensors").string();
  options.checkpoint_every = 1;
  Driver driver(head->client(), options, test_set);
  // Trainer (and owner) w is placed on the w-th of these nodes.
  const std::vector<rt::NodeId> nodes = worker_ids();
  ASSERT_TRUE(driver.start(nodes).ok());
  const pid_t victim = cluster->pids().back();
  auto run = driver.run([&](const RoundRecord& r) {
    if (r.round != 2) return Status::ok_status();
    // The second worker's process dies after round 2 (round 1's checkpoint is the last one it wrote);
    // wait until the head has declared it dead.
    kill(victim, SIGKILL);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (worker_ids().size() == 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    return Status::ok_status();
  });
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 4u);
  // Round 2's checkpoint could not be written (its owner died first); round 3 restores shard 1 from round
  // 1's and trains with the one trainer left, which owns the whole model from then on.
  const RoundRecord& third = run->records[2];
  EXPECT_EQ(third.count_events(RoundEvent::Kind::kCheckpointFailed), 1);
  ASSERT_EQ(third.count_events(RoundEvent::Kind::kTrainerLost), 1);
  ASSERT_EQ(third.count_events(RoundEvent::Kind::kShardRestored), 1);
  std::int64_t lost_node_index = -1;
  for (const RoundEvent& e : third.events) {
    if (e.kind == RoundEvent::Kind::kTrainerLost) lost_node_index = std::find(nodes.begin(), nodes.end(), e.node) - nodes.begin();
  }
  for (const RoundEvent& e : third.events) {
    if (e.kind != RoundEvent::Kind::kShardRestored) continue;
    EXPECT_EQ(e.shard, lost_node_index) << "the shard of the lost worker's owner";
    EXPECT_EQ(e.count, 1) << describe(e);
  }
  EXPECT_EQ(third.live_workers, 1);
  EXPECT_EQ(run->records[3].live_workers, 1);
  EXPECT_EQ(run->records[3].count_events(RoundEvent::Kind::kCheckpointWritten), 1);
  ASSERT_TRUE(run->final_test_accuracy);
  EXPECT_FALSE(first_non_finite(run->model));
  // The last checkpoint has one shard file: the owner left holds the whole model.
  auto saved = load_checkpoint(options.checkpoint_path);
  ASSERT_TRUE(saved.ok()) << saved.status().to_string();
  EXPECT_EQ(saved->shards.size(), 1u);
  EXPECT_EQ(parameter_hash(assemble_checkpoint_model(*saved).value()), parameter_hash(run->model));
  std::filesystem::remove_all(run_dir);
}

TEST_F(PartitionedOwnership, AnOwnerLostDuringARoundIsRestoredWithoutWaitingOutTheRoundDeadline) {
  start_cluster(2);
  const TrainingConfig c = small_config();
  DriverOptions options = partitioned_options(c);
  options.membership = head->subscribe();
  options.round_deadline = std::chrono::milliseconds(120000);
  Driver driver(head->client(), options, test_set);
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  const pid_t victim = cluster->pids().back();
  std::chrono::steady_clock::time_point killed;
  std::chrono::steady_clock::duration round_two{};
  auto run = driver.run([&](const RoundRecord& r) {
    // Killed right before round 2 starts, and not yet declared dead when it does: its peer waits for its
    // pieces until the driver, hearing of the death, abandons the round.
    if (r.round == 1) {
      kill(victim, SIGKILL);
      killed = std::chrono::steady_clock::now();
    }
    if (r.round == 2) round_two = std::chrono::steady_clock::now() - killed;
    return Status::ok_status();
  });
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 4u);
  const RoundRecord& second = run->records[1];
  // Neither shard's update of round 2 was kept whole; no checkpoint yet: shard 1 starts over from the
  // initial values, and the survivor trains on alone.
  EXPECT_EQ(second.count_events(RoundEvent::Kind::kTrainerLost), 1);
  EXPECT_EQ(second.count_events(RoundEvent::Kind::kShardRestored), 1);
  EXPECT_EQ(second.live_workers, 0);
  EXPECT_FALSE(second.train_loss) << "no trainer's loss counted: none is recorded (not 0)";
  EXPECT_EQ(run->records[2].live_workers, 1);
  EXPECT_LT(round_two, 30s) << "the survivor waited out the round deadline for the lost owner's pieces";
  ASSERT_TRUE(run->final_test_accuracy);
}

// Two of three owners die at once: both shards are restored, each once, the model is cut over the survivor
// and the run goes on. (Here the round hears of both deaths; an owner lost later, while a restore gathers
// or installs, is covered against the in-memory owners of owner_recovery_unit_test.cc.)
TEST_F(PartitionedOwnership, TwoOwnersLostAtOnceAreBothRestoredAndTheSurvivorOwnsTheModel) {
  start_cluster(3);
  TrainingConfig c = small_config();
  c.workers = 3;
  DriverOptions options = partitioned_options(c);
  options.membership = head->subscribe();
  options.round_deadline = std::chrono::milliseconds(120000);
  Driver driver(head->client(), options, test_set);
  // Trainer (and owner) w is placed on the w-th of these nodes.
  const std::vector<rt::NodeId> nodes = worker_ids();
  ASSERT_TRUE(driver.start(nodes).ok());
  const std::vector<pid_t> pids = cluster->pids();
  ASSERT_EQ(pids.size(), 3u);
  auto run = driver.run([&](const RoundRecord& r) {
    if (r.round == 1) {
      kill(pids[1], SIGKILL);
      kill(pids[2], SIGKILL);
    }
    return Status::ok_status();
  });
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 4u);
  std::vector<int> lost_owners, restored_shards;
  for (const RoundRecord& r : run->records) {
    for (const RoundEvent& e : r.events) {
      if (e.kind == RoundEvent::Kind::kTrainerLost) {
        lost_owners.push_back(static_cast<int>(std::find(nodes.begin(), nodes.end(), e.node) - nodes.begin()));
      }
      if (e.kind == RoundEvent::Kind::kShardRestored) restored_shards.push_back(e.shard);
    }
  }
  ASSERT_EQ(lost_owners.size(), 2u);
  std::sort(lost_owners.begin(), lost_owners.end());
  std::sort(restored_shards.begin(), restored_shards.end());
  EXPECT_EQ(restored_shards, lost_owners) << "the shards of the two lost workers' owners, each once";
  EXPECT_EQ(run->records.back().live_workers, 1);
  ASSERT_TRUE(run->final_test_accuracy);
  EXPECT_FALSE(first_non_finite(run->model));
}

// A worker leaves gracefully (SIGTERM) between rounds: its owner hands its shard over as its node leaves,
// so the model loses nothing, and the run ends bit for bit as the driver-owned run with the same leave.
// The driver runs on a node of its own, as `ist run` does against a cluster: the shard comes over the
// worker's own connection to it, the news of the leave through the head, in either order.
TEST_F(PartitionedOwnership, AnOwnerWhoseWorkerLeavesHandsItsShardOverAndTheRunEndsWithTheDriverOwnedRunsModel) {
  start_cluster(1);
  const rt::NodeId stays = worker_ids().front();
  TrainingConfig c = small_config();
  c.rounds = 5;
  RunResult runs[2];
  for (const bool partitioned : {false, true}) {
    const auto [leaver, leaves] = start_named_worker(partitioned ? "leaver-partitioned" : "leaver-driver-owned");
    ASSERT_NE(leaves, 0u) << "the second worker did not join";
    rt::NodeOptions driver_node_options;
    driver_node_options.role = rt::NodeRole::kDriver;
    driver_node_options.name = "driver";
    driver_node_options.head_endpoint = head->endpoint();
    driver_node_options.heartbeat_interval = 100ms;
    auto driver_node = rt::Node::start(driver_node_options);
    ASSERT_TRUE(driver_node.ok()) << driver_node.status().to_string();
    DriverOptions options = partitioned_options(c);
    if (!partitioned) options.model_owner = "driver";
    options.membership = (*driver_node)->subscribe();
    Driver driver((*driver_node)->client(), options, test_set);
    ASSERT_TRUE(driver.start({stays, leaves}).ok());  // trainer (and owner) 1 on the worker that leaves
    auto run = driver.run([&](const RoundRecord& r) {
      if (r.round != 2) return Status::ok_status();
      kill(leaver, SIGTERM);  // a graceful leave: the node drains, then tells the head
      const auto still_there = [&] {
        const std::vector<rt::NodeId> ids = worker_ids();
        return std::find(ids.begin(), ids.end(), leaves) != ids.end();
      };
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (still_there() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);  // the pace of polling
      }
      if (still_there()) return Status::timeout("the worker did not leave within 20 s");
      return Status::ok_status();
    });
    ASSERT_TRUE(run.ok()) << run.status().to_string();
    runs[partitioned] = std::move(run).value();
  }
  const RunResult& partitioned = runs[1];
  ASSERT_EQ(partitioned.records.size(), 5u);
  EXPECT_EQ(partitioned.records[1].live_workers, 2);
  EXPECT_EQ(partitioned.records[4].live_workers, 1);
  int handed_over = 0;
  for (const RoundRecord& r : partitioned.records) {
    for (const RoundEvent& e : r.events) {
      if (e.kind == RoundEvent::Kind::kShardRestored) {
        EXPECT_EQ(e.count, -1) << describe(e);
        EXPECT_EQ(e.shard, 1) << describe(e);
        ++handed_over;
      }
    }
  }
  EXPECT_EQ(handed_over, 1);
  EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(runs[0].model));
  EXPECT_EQ(partitioned.final_test_accuracy, runs[0].final_test_accuracy);
}

// While the driver restores a lost owner's shard, a second trainer dies: asked for its shard during the
// gather (its own shard is then restored too), or given its new shard during the install (it drops out of
// the new owners). Either way the model is cut over the one survivor and the run goes on.
class OwnerLostDuringARestore : public PartitionedOwnership, public ::testing::WithParamInterface<const char*> {};

TEST_P(OwnerLostDuringARestore, IsRestoredOrDroppedAndTheRunGoesOnWithTheSurvivor) {
  const std::string fault = GetParam();
  start_cluster(1);
  const rt::NodeId survivor = worker_ids().front();
  const rt::NodeId fragile = start_named_worker("fragile", {fault}).second;
  const auto [victim, killed] = start_named_worker("victim");
  ASSERT_TRUE(fragile != 0 && killed != 0) << "the two workers did not join";
  TrainingConfig c = small_config();
  c.workers = 3;
  c.eval_every = c.rounds;  // no gather before the restore's
  DriverOptions options = partitioned_options(c);
  options.membership = head->subscribe();
  Driver driver(head->client(), options, test_set);
  ASSERT_TRUE(driver.start({survivor, fragile, killed}).ok());  // owners 0, 1, 2
  auto run = driver.run([&](const RoundRecord& r) {
    if (r.round == 1) kill(victim, SIGKILL);
    return Status::ok_status();
  });
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 4u);
  std::vector<int> restored;
  for (const RoundRecord& r : run->records) {
    for (const RoundEvent& e : r.events) {
      if (e.kind == RoundEvent::Kind::kShardRestored) restored.push_back(e.shard);
    }
  }
  std::sort(restored.begin(), restored.end());
  const std::vector<int> expected = fault == "--crash-on-fetch-shard" ? std::vector<int>{1, 2} : std::vector<int>{2};
  EXPECT_EQ(restored, expected) << "the killed owner's shard, and the fragile one's if it died before sending it";
  EXPECT_EQ(run->records.back().live_workers, 1);
  ASSERT_TRUE(run->final_test_accuracy);
  EXPECT_FALSE(first_non_finite(run->model));
}

INSTANTIATE_TEST_SUITE_P(WhenAsked, OwnerLostDuringARestore,
                         ::testing::Values("--crash-on-fetch-shard", "--crash-on-second-install"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return std::string(param.index == 0 ? "ForItsShard" : "ToTakeANewShard");
                         });

// A worker joins and the model is re-cut over the owners and it; an old owner dies as it is given its new
// shard: it drops out, the model (whole in the driver) is cut over the owner left and the joined worker,
// and the run goes on with them.
TEST_F(PartitionedOwnership, AnOwnerLostWhileAJoinedWorkerTakesAShareDropsOutAndTheRunGoesOn) {
  start_cluster(1);
  const rt::NodeId steady = worker_ids().front();
  const rt::NodeId fragile = start_named_worker("fragile", {"--crash-on-second-install"}).second;
  ASSERT_NE(fragile, 0u) << "the fragile worker did not join";
  TrainingConfig c = small_config();
  c.rounds = 5;
  c.eval_every = c.rounds;  // no gather but the join's
  DriverOptions options = partitioned_options(c);
  options.membership = head->subscribe();
  ScriptedEvent add;
  add.kind = ScriptedEvent::Kind::kAddWorkers;
  add.round = 3;
  add.count = 1;
  options.events = {add};
  options.add_workers = [this](int count) -> Status {
    for (int i = 0; i < count; ++i) IST_RETURN_IF_ERROR(cluster->start_worker().status());
    return Status::ok_status();
  };
  Driver driver(head->client(), options, test_set);
  ASSERT_TRUE(driver.start({steady, fragile}).ok());
  auto run = driver.run();
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  ASSERT_EQ(run->records.size(), 5u);
  const RoundRecord& third = run->records[2];
  EXPECT_EQ(third.count_events(RoundEvent::Kind::kTrainerLost), 1);
  ASSERT_EQ(third.count_events(RoundEvent::Kind::kOwnersChanged), 1);
  for (const RoundEvent& e : third.events) {
    if (e.kind == RoundEvent::Kind::kOwnersChanged) {
      EXPECT_EQ(e.count, 2) << describe(e) << ": the steady owner and the joined worker";
    }
  }
  EXPECT_EQ(third.count_events(RoundEvent::Kind::kShardRestored), 0) << "nothing was lost: the model was whole";
  EXPECT_EQ(run->records.back().live_workers, 2);
  ASSERT_TRUE(run->final_test_accuracy);
  EXPECT_FALSE(first_non_finite(run->model));
}

TEST_F(PartitionedOwnership, AWorkerThatJoinsBecomesAnOwnerAndTheRunEndsWithTheDriverOwnedRunsModel) {
  start_cluster(2);
  TrainingConfig c = small_config();
  c.rounds = 5;
  c.eval_every = 2;  // round 2's evaluation overlaps round 3, whose start re-cuts the model
  RunResult runs[2];
  for (const bool partitioned : {false, true}) {
    DriverOptions options = partitioned_options(c);
    if (!partitioned) options.model_owner = "driver";
    options.membership = head->subscribe();
    ScriptedEvent add;
    add.kind = ScriptedEvent::Kind::kAddWorkers;
    add.round = 3;
    add.count = 1;
    options.events = {add};
    options.add_workers = [this](int count) -> Status {
      for (int i = 0; i < count; ++i) IST_RETURN_IF_ERROR(cluster->start_worker().status());
      return Status::ok_status();
    };
    Driver driver(head->client(), options, test_set);
    ASSERT_TRUE(driver.start(worker_ids()).ok());
    auto run = driver.run();
    ASSERT_TRUE(run.ok()) << run.status().to_string();
    runs[partitioned] = std::move(run).value();
  }
  const RunResult& partitioned = runs[1];
  ASSERT_EQ(partitioned.records.size(), 5u);
  EXPECT_EQ(partitioned.records[1].live_workers, 2);
  EXPECT_EQ(partitioned.records[2].live_workers, 3);
  EXPECT_EQ(partitioned.records[4].live_workers, 3);
  // From round 3 the joined worker owns a third of the model, and the run still ends bit for bit as the
  // driver-owned one with the same join.
  ASSERT_EQ(partitioned.records[2].count_events(RoundEvent::Kind::kOwnersChanged), 1);
  for (const RoundEvent& e : partitioned.records[2].events) {
    if (e.kind == RoundEvent::Kind::kOwnersChanged) {
      EXPECT_EQ(e.count, 3) << describe(e);
    }
  }
  EXPECT_EQ(parameter_hash(partitioned.model), parameter_hash(runs[0].model));
  EXPECT_EQ(partitioned.final_test_accuracy, runs[0].final_test_accuracy);
  EXPECT_EQ(partitioned.records[1].test_accuracy, runs[0].records[1].test_accuracy);
}

TEST(PartitionedOwnershipConfig, IsRefusedWithABaselineOrAnUnknownOwnerAndTakesSubnetGroups) {
  DriverOptions options;
  options.training = small_config();
  options.model_owner = "partitioned";
  EXPECT_TRUE(check_model_owner(options).ok());
  options.training.subnets = 1;
  EXPECT_TRUE(check_model_owner(options).ok());
  options.training.subnets = 0;
  options.training.algorithm = Algorithm::kLocalSgd;
  EXPECT_NE(check_model_owner(options).message().find("algorithm.name = \"ist\""), std::string::npos);
  options.training.algorithm = Algorithm::kIst;
  options.model_owner = "workers";
  EXPECT_NE(check_model_owner(options).message().find("got \"workers\""), std::string::npos);
}

}  // namespace
}  // namespace ist::actors
