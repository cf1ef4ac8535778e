// Elastic membership on real processes, as smoke tests: workers that join mid-run get a trainer and a
// shard, and a worker that leaves gracefully finishes its round first. The elasticity rules themselves
// (lost and late slices, re-cuts, min_workers, private data) are tested in milliseconds against the
// scripted in-process backend (elastic_unit_test.cc).
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>

#include "actors/driver.h"
#include "tests/actors/run_history.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

int count_events(const RunResult& r, const std::string& needle) {
  int n = 0;
  for (const RoundRecord& record : r.records) {
    for (const RoundEvent& e : record.events) n += describe(e).find(needle) != std::string::npos ? 1 : 0;
  }
  return n;
}

using testing::history_of;
using testing::scripted;

class Elastic : public testing::TrainerCluster {
 protected:
  DriverOptions options(int workers, std::int64_t rounds) {
    DriverOptions o;
    o.training.widths = {784, 64, 64, 10};
    o.training.workers = workers;
    o.training.rounds = rounds;
    o.training.eval_every = rounds;
    o.training.local_steps = 5;
    o.training.batch_size = 32;
    o.training.sgd.warmup_epochs = 0;  // these runs last a fraction of an epoch
    o.data.path = kData;
    o.membership = head->subscribe();
    return o;
  }
  Dataset test() { return load_idx_dataset(kData, Split::kTest).value(); }
};

TEST_F(Elastic, TwoJoinsAndOneLeaveDuringOneRun) {
  start_cluster(2);
  DriverOptions o = options(2, 12);
  ScriptedEvent add;
  add.kind = ScriptedEvent::Kind::kAddWorkers;
  add.round = 4;
  add.count = 2;
  o.events = {add};
  o.add_workers = [this](int count) -> Status {
    for (int i = 0; i < count; ++i) {
      auto pid = cluster->start_worker();
      if (!pid.ok()) return pid.status();
    }
    return Status::ok_status();
  };
  Driver driver(head->client(), o, test());
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto result = driver.run([&](const RoundRecord& record) {
    if (record.round == 7) {
      ASSERT_TRUE(cluster->signal_worker(0, SIGTERM).ok());  // a graceful leave of the first worker
    }
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->records.size(), 12u);
  for (std::int64_t r = 0; r < 3; ++r) EXPECT_EQ(result->records[static_cast<std::size_t>(r)].live_workers, 2);
  for (std::int64_t r = 3; r < 7; ++r) EXPECT_EQ(result->records[static_cast<std::size_t>(r)].live_workers, 4);
  EXPECT_EQ(result->records.back().live_workers, 3);
  EXPECT_EQ(count_events(*result, "joined: trainer added"), 2);
  EXPECT_EQ(count_events(*result, "lost"), 1);
  EXPECT_EQ(count_events(*result, "re-cut into 4 shards"), 1);
  EXPECT_EQ(count_events(*result, "re-cut into 3 shards"), 1);
  EXPECT_GT(*result->final_test_accuracy, 0.3) << "chance is 0.1";
}

TEST_F(Elastic, GracefulLeaveMidRoundFinishesTheRoundFirst) {
  start_cluster(3);
  DriverOptions o = options(3, 8);
  o.events = {scripted(ScriptedEvent::Kind::kLeaveWorker, 3, 0)};
  Driver driver(head->client(), o, test());
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto result = driver.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const std::string history = history_of(*result);
  EXPECT_EQ(result->records[2].live_workers, 3) << "the leaving trainer's slice of round 3 was merged: " << history;
  EXPECT_EQ(result->records.back().live_workers, 2);
  // The driver hears of the leave either from the head ("its node left") or, when the rounds are quicker
  // than the announcement, from the next call to the stopped node: one loss either way, never a death.
  EXPECT_EQ(result->count_events(RoundEvent::Kind::kTrainerLost), 1) << history;
  EXPECT_EQ(count_events(*result, "its node died"), 0) << history;
}

// A real worker process whose trainer trains and then answers with NaN slices (actors_test_node
// --poison-slices): its first slice is refused, the trainer is recorded lost naming the NaN, and the run
// finishes on the other two with a finite model.
TEST_F(Elastic, AWorkerAnsweringWithNaNSlicesIsRecordedLostAndTheModelStaysFinite) {
  start_cluster(2);
  ASSERT_TRUE(cluster->start_worker({"--poison-slices"}).ok());
  ASSERT_TRUE(head->wait_for_members(4, rt::deadline_in(std::chrono::seconds(20))).ok());
  DriverOptions o = options(3, 4);
  Driver driver(head->client(), o, test());
  ASSERT_TRUE(driver.start(worker_ids()).ok());
  auto result = driver.run();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  const std::string history = history_of(*result);
  EXPECT_FALSE(first_non_finite(result->model).has_value()) << "a NaN was merged: " << history;
  EXPECT_EQ(result->count_events(RoundEvent::Kind::kTrainerLost), 1) << history;
  EXPECT_EQ(count_events(*result, "NaN or infinite"), 1) << history;
  EXPECT_EQ(result->records.front().live_workers, 2) << history;
  EXPECT_EQ(result->records.back().live_workers, 2) << history;
  EXPECT_GT(*result->final_test_accuracy, 0.3) << "chance is 0.1";
}

}  // namespace
}  // namespace ist::actors
