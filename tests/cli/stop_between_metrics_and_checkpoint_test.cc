// A driver stopped while it publishes a round (its metrics line and its checkpoint are two writes)
// leaves a run directory that resumes to the model an uninterrupted run ends with, bit for bit. The
// stop comes through the round callback (the seam where `ist run` writes metrics), not a timed kill:
// in process, with the scripted trainer backend and a real run directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "actors/checkpoint.h"
#include "actors/driver.h"
#include "cli/run_directory.h"
#include "tests/actors/scripted_trainer_backend.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using actors::testing::ScriptedTrainerBackend;

constexpr int kWorkers = 3;
constexpr std::int64_t kRounds = 6;
constexpr std::int64_t kStopRound = 4;  // a checkpoint is due after rounds 2, 4 and 6

Dataset data() {
  return actors::testing::clustered_dataset(1200, 16, 4, 7);
}

class StopBetweenMetricsAndCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_stop_between_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "uninterrupted");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `run_dir`: where the checkpoint goes.
  actors::DriverOptions options(const std::string& run_dir = "run") const {
    actors::DriverOptions o;
    o.training.widths = {16, 24, 24, 4};
    o.training.workers = kWorkers;
    o.training.rounds = kRounds;
    o.training.eval_every = kRounds;
    o.training.local_steps = 5;
    o.training.batch_size = 16;
    o.training.sgd.warmup_epochs = 0;
    o.training.input_mean = 0.0f;
    o.training.input_std = 1.0f;
    o.checkpoint_every = 2;
    o.checkpoint_path = (dir_ / run_dir / "checkpoint.safetensors").string();
    o.checkpoint_tag = "test";
    return o;
  }

  // Runs the driver (from `resume` if given), publishing every round through `on_round`.
  Result<RunResult> run(const RoundCallback& on_round, std::optional<actors::DriverCheckpoint> resume = {},
                        const std::string& run_dir = "run") {
    auto backend = std::make_unique<ScriptedTrainerBackend>(data());
    const std::vector<rt::NodeId> nodes = backend->worker_nodes(kWorkers);
    actors::Driver driver(std::move(backend), options(run_dir), data());
    if (resume) IST_RETURN_IF_ERROR(driver.resume_from(std::move(*resume)));
    IST_RETURN_IF_ERROR(driver.start(nodes));
    return driver.run(on_round);
  }

  // Stops the run in round kStopRound's publication (before or after its metrics line), resumes it from
  // its directory as `ist run --resume` does, and checks the end: the uninterrupted model, every round's
  // metrics line once.
  void stop_and_resume(bool metrics_line_written) {
    const auto uninterrupted =
        run([](const RoundRecord&) { return Status::ok_status(); }, {}, "uninterrupted");
    ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status().to_string();

    std::optional<RunDirectory> dir;
    {
      auto created = RunDirectory::create((dir_ / "run").string(), "stopped");
      ASSERT_TRUE(created.ok()) << created.status().to_string();
      dir.emplace(std::move(created).value());
    }
    const auto stopped = run([&](const RoundRecord& record) -> Status {
      if (record.round == kStopRound && !metrics_line_written)
        return Status::cancelled("stopped before the line");
      IST_RETURN_IF_ERROR(dir->append_metrics(record));
      if (record.round == kStopRound) return Status::cancelled("stopped after the line");
      return Status::ok_status();
    });
    ASSERT_FALSE(stopped.ok());
    dir.reset();  // the stopped driver's end releases the directory's lock

    auto checkpoint = actors::load_checkpoint(options().checkpoint_path);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
    EXPECT_EQ(checkpoint->next_round, kStopRound - 2)
        << "no checkpoint runs ahead of its round's metrics line";
    auto reopened = RunDirectory::reopen((dir_ / "run").string(), checkpoint->next_round);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    const auto resumed = run([&](const RoundRecord& record) { return reopened->append_metrics(record); },
                             std::move(checkpoint).value());
    ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();

    for (std::size_t l = 0; l < uninterrupted->model.layers.size(); ++l) {
      EXPECT_TRUE(resumed->model.layers[l].weight == uninterrupted->model.layers[l].weight) << "layer " << l;
      EXPECT_TRUE(resumed->model.layers[l].bias == uninterrupted->model.layers[l].bias) << "layer " << l;
    }
    std::ifstream metrics(dir_ / "run" / "metrics.jsonl");
    std::int64_t lines = 0;
    for (std::string line; std::getline(metrics, line);) {
      ++lines;
      EXPECT_EQ(line.rfind("{", 0), 0u) << line;
      EXPECT_NE(line.find("\"round\":" + std::to_string(lines) + ","), std::string::npos) << line;
    }
    EXPECT_EQ(lines, kRounds);
  }

  fs::path dir_;
};

TEST_F(StopBetweenMetricsAndCheckpoint, AStopBeforeARoundsMetricsLineLeavesNoCheckpointAheadOfIt) {
  stop_and_resume(/*metrics_line_written=*/false);
}

TEST_F(StopBetweenMetricsAndCheckpoint, AStopAfterARoundsMetricsLineBeforeItsCheckpointResumesToo) {
  stop_and_resume(/*metrics_line_written=*/true);
}

// The checkpoint's outcome is told in the next round's record, naming the round it covers.
TEST_F(StopBetweenMetricsAndCheckpoint, EachCheckpointIsRecordedInTheFollowingRound) {
  const auto result = run([](const RoundRecord&) { return Status::ok_status(); }, {}, "uninterrupted");
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  for (const RoundRecord& record : result->records) {
    const bool follows_a_checkpoint = record.round > 1 && (record.round - 1) % 2 == 0;
    ASSERT_EQ(record.count_events(RoundEvent::Kind::kCheckpointWritten), follows_a_checkpoint ? 1 : 0)
        << "round " << record.round;
    for (const RoundEvent& e : record.events) {
      if (e.kind == RoundEvent::Kind::kCheckpointWritten) {
        EXPECT_EQ(e.count, record.round - 1);
      }
    }
  }
}

}  // namespace
}  // namespace ist::cli
