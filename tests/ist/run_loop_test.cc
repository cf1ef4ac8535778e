// The shared run loop stops honestly: a round whose loss or model is not finite ends the run with a
// `diverged` error naming the round, before that round is checkpointed or published; a round callback's
// error (e.g. metrics that could not be written) ends the run too. The reference trainer diverges the
// same way when its learning rate is absurd.
#include "ist/run_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "ist/reference.h"
#include "test_data.h"

namespace ist {
namespace {

// A runner whose rounds train nothing: round r reports losses[r] and, from round poison_from on, a model
// with a NaN weight. It remembers which rounds reached finish_round (where a driver checkpoints).
class ScriptedRounds : public RoundRunner {
 public:
  ScriptedRounds() : model_(make_mlp({3, 4, 2}, 1).value()) {}

  std::vector<double> losses = std::vector<double>(8, 0.5);
  std::int64_t poison_from = -1;  // 0-based round whose end leaves a NaN in the model
  std::chrono::milliseconds busy{0};  // each round computes (spins) at least this long
  std::vector<std::int64_t> finished;
  // When set: round r leaves an output bias that makes every prediction class r % 2.
  bool alternate_prediction = false;

  Status prepare_round(std::int64_t, RoundRecord&) override { return Status::ok_status(); }
  int trainers_ready() override { return 1; }
  Status run_round(std::int64_t round, const RoundSettings&, bool, RoundRecord& record) override {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < busy) {
    }
    before_model_changes();
    record.train_loss = losses[static_cast<std::size_t>(round)];
    record.live_workers = 1;
    if (round == poison_from) model_.layers[1].weight(1, 2) = std::numeric_limits<float>::quiet_NaN();
    if (alternate_prediction) {
      model_.layers[1].weight.setZero();
      model_.layers[1].bias.setZero();
      model_.layers[1].bias(round % 2) = 1.0f;
    }
    return Status::ok_status();
  }
  const Mlp& model() const override { return model_; }
  void finish_round(const RunProgress& progress, bool, double, RoundRecord&) override {
    finished.push_back(progress.next_round);
  }
  void round_published(const RoundRecord&) override {}
  bool announces_model_changes() const override { return true; }

 private:
  Mlp model_;
};

TrainingConfig eight_rounds() {
  TrainingConfig c;
  c.widths = {3, 4, 2};
  c.workers = 1;
  c.rounds = 8;
  c.eval_every = 2;
  c.local_steps = 1;
  c.batch_size = 1;
  return c;
}

const Dataset& tiny_test() {
  static const Dataset test = testing::make_toy_dataset(10, 3, 2, 5);
  return test;
}

TEST(RunLoop, ANonFiniteLossEndsTheRunAsDivergedBeforeThatRoundIsCheckpointedOrPublished) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    ScriptedRounds runner;
    runner.losses[2] = bad;
    std::vector<std::int64_t> published;
    RunLoopOptions options;
    options.train_size = 100;
    options.checkpoint_every = 1;
    auto result = run_rounds(eight_rounds(), runner, options, tiny_test(),
                             [&](const RoundRecord& r) { published.push_back(r.round); });
    ASSERT_FALSE(result.ok()) << "a loss of " << bad << " was taken as training";
    EXPECT_EQ(result.status().code(), ErrorCode::kDiverged) << result.status().to_string();
    EXPECT_NE(result.status().message().find("in round 3 the training loss became"), std::string::npos)
        << result.status().to_string();
    EXPECT_NE(result.status().message().find("lower algorithm.learning_rate"), std::string::npos)
        << result.status().to_string();
    EXPECT_EQ(runner.finished, (std::vector<std::int64_t>{1, 2})) << "round 3 must not reach its checkpoint";
    EXPECT_EQ(published, (std::vector<std::int64_t>{1, 2}));
  }
}

TEST(RunLoop, ANonFiniteModelIsCaughtWhenTheLoopReadsItAndNamesTheTensor) {
  ScriptedRounds runner;
  runner.poison_from = 2;  // round 3 ends with a NaN weight but a finite loss; round 4 evaluates
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDiverged) << result.status().to_string();
  EXPECT_NE(result.status().message().find("in round 4 the model's layers.1.weight (row 1, column 2)"),
            std::string::npos)
      << result.status().to_string();
  EXPECT_EQ(runner.finished, (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(RunLoop, ACheckpointRoundChecksTheModelEvenWithoutAnEvaluation) {
  ScriptedRounds runner;
  runner.poison_from = 2;
  TrainingConfig config = eight_rounds();
  config.eval_every = 100;
  RunLoopOptions options;
  options.train_size = 100;
  options.checkpoint_every = 3;
  auto result = run_rounds(config, runner, options, tiny_test(), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDiverged) << result.status().to_string();
  EXPECT_NE(result.status().message().find("in round 3 "), std::string::npos) << result.status().to_string();
  EXPECT_EQ(runner.finished, (std::vector<std::int64_t>{1, 2})) << "the NaN model must not be checkpointed";
}

TEST(RunLoop, ACallbackErrorEndsTheRunNamingTheRound) {
  ScriptedRounds runner;
  RunLoopOptions options;
  options.train_size = 100;
  int calls = 0;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), [&](const RoundRecord& r) -> Status {
    ++calls;
    if (r.round == 5) return Status::io_error("metrics.jsonl: write failed: No space left on device");
    return Status::ok_status();
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(result.status().message(), "round 5: metrics.jsonl: write failed: No space left on device");
  EXPECT_EQ(calls, 5);
}

TEST(RunLoop, AFiniteRunIsNotDisturbedByTheChecks) {
  ScriptedRounds runner;
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), {});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->records.size(), 8u);
}

// A small net on 12 toy features, trained by two workers in process.
TrainingConfig two_reference_workers(std::int64_t rounds, int eval_every) {
  TrainingConfig c;
  c.widths = {12, 24, 16, 4};
  c.workers = 2;
  c.local_steps = 5;
  c.batch_size = 16;
  c.rounds = rounds;
  c.eval_every = eval_every;
  return c;
}

TEST(RunLoop, AnEvaluationOverlappedWithTheNextRoundScoresItsOwnRoundsModelAndKeepsTheRecordsInOrder) {
  // 3 of 10 examples are class 0: a model predicting class 0 scores 0.3, one predicting class 1 scores 0.7.
  Dataset test;
  test.num_classes = 2;
  test.features = Matrix::Ones(10, 3);
  for (int i = 0; i < 10; ++i) test.labels.push_back(i < 3 ? 0 : 1);
  ScriptedRounds runner;
  runner.alternate_prediction = true;
  TrainingConfig config = eight_rounds();
  config.eval_every = 1;  // every round but the last overlaps its evaluation with the next round
  RunLoopOptions options;
  options.train_size = 100;
  std::vector<std::int64_t> published;
  auto result = run_rounds(config, runner, options, test, [&](const RoundRecord& r) { published.push_back(r.round); });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(published, (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  ASSERT_EQ(result->records.size(), 8u);
  for (const RoundRecord& r : result->records) {
    ASSERT_TRUE(r.test_accuracy) << "round " << r.round;
    // Round r (1-based) was run as index r - 1: its model predicts class (r - 1) % 2.
    EXPECT_DOUBLE_EQ(*r.test_accuracy, (r.round - 1) % 2 == 0 ? 0.3 : 0.7) << "round " << r.round;
  }
  EXPECT_DOUBLE_EQ(*result->final_test_accuracy, 0.7);
}

TEST(RunLoop, AFailedRoundStillPublishesThePreviousRoundWhoseEvaluationItOverlapped) {
  ScriptedRounds runner;
  runner.losses[5] = std::nan("");
  std::vector<std::int64_t> published;
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), [&](const RoundRecord& r) {
    EXPECT_TRUE(r.round % 2 == 1 || r.test_accuracy) << "round " << r.round;
    published.push_back(r.round);
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDiverged);
  EXPECT_EQ(published, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
}

// A runner whose model lives elsewhere (as with partitioned ownership): rounds change remote_, and
// model() is what the last gather brought. A background gather takes its snapshot when begun, as the
// owners answer before the next round reaches them; finishing it copies the snapshot in, or fails for
// the gather begun after round fail_gather_of (0-based), or brings a NaN after round poison_gather_of.
class GatheredRounds : public RoundRunner {
 public:
  GatheredRounds() : remote_(make_mlp({3, 4, 2}, 1).value()), gathered_(remote_) {}

  std::int64_t fail_gather_of = -1;
  Status fail_with = Status::node_dead("the owner of shard 1 is gone");
  std::int64_t poison_gather_of = -1;
  int background_gathers = 0;

  Status prepare_round(std::int64_t, RoundRecord&) override { return Status::ok_status(); }
  int trainers_ready() override { return 1; }
  Status run_round(std::int64_t round, const RoundSettings&, bool, RoundRecord& record) override {
    record.train_loss = 0.5;
    record.live_workers = 1;
    remote_.layers[1].weight.setZero();
    remote_.layers[1].bias.setZero();
    remote_.layers[1].bias(round % 2) = 1.0f;  // round r predicts class r % 2 for every example
    last_round_ = round;
    return Status::ok_status();
  }
  const Mlp& model() const override { return gathered_; }
  Result<bool> gather_model() override {
    gathered_ = remote_;
    return true;
  }
  std::function<Status()> begin_background_gather() override {
    ++background_gathers;
    Mlp snapshot = remote_;
    if (last_round_ == poison_gather_of) snapshot.layers[0].weight(0, 0) = std::numeric_limits<float>::quiet_NaN();
    const bool fail = last_round_ == fail_gather_of;
    return [this, snapshot = std::move(snapshot), fail]() -> Status {
      if (fail) return fail_with;
      gathered_ = snapshot;
      return Status::ok_status();
    };
  }
  void finish_round(const RunProgress&, bool, double, RoundRecord&) override {}
  void round_published(const RoundRecord&) override {}
  bool announces_model_changes() const override { return true; }

 private:
  Mlp remote_;
  Mlp gathered_;
  std::int64_t last_round_ = -1;
};

// 3 of 10 examples are class 0: a model predicting class 0 scores 0.3, one predicting class 1 scores 0.7.
Dataset three_of_ten_in_class_zero() {
  Dataset test;
  test.num_classes = 2;
  test.features = Matrix::Ones(10, 3);
  for (int i = 0; i < 10; ++i) test.labels.push_back(i < 3 ? 0 : 1);
  return test;
}

TEST(RunLoop, AGatherBegunBesideTheNextRoundBringsItsOwnRoundsModelForTheEvaluation) {
  const Dataset test = three_of_ten_in_class_zero();
  GatheredRounds runner;
  TrainingConfig config = eight_rounds();
  config.eval_every = 1;
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(config, runner, options, test, [](const RoundRecord&) { return Status::ok_status(); });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  // Rounds 1-7 overlap their evaluation (and so their gather) with the next round; round 8 is the last.
  EXPECT_EQ(runner.background_gathers, 7);
  ASSERT_EQ(result->records.size(), 8u);
  for (const RoundRecord& r : result->records) {
    ASSERT_TRUE(r.test_accuracy) << "round " << r.round;
    EXPECT_DOUBLE_EQ(*r.test_accuracy, (r.round - 1) % 2 == 0 ? 0.3 : 0.7) << "round " << r.round;
    EXPECT_EQ(r.gather_overlapped, r.round < 8) << "round " << r.round;
  }
}

TEST(RunLoop, ABackgroundGatherThatLostAnOwnerSkipsThatEvaluationAndTheRunGoesOn) {
  GatheredRounds runner;
  runner.fail_gather_of = 3;  // round 4's gather: an owner died before its shard came
  std::vector<RoundRecord> published;
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), [&](const RoundRecord& r) {
    published.push_back(r);
    return Status::ok_status();
  });
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(published.size(), 8u);
  EXPECT_FALSE(published[3].test_accuracy);
  ASSERT_EQ(published[3].count_events(RoundEvent::Kind::kEvaluationSkipped), 1);
  EXPECT_NE(describe(published[3].events.back()).find("shard 1"), std::string::npos) << describe(published[3].events.back());
  EXPECT_TRUE(published[1].test_accuracy);
  EXPECT_TRUE(published[5].test_accuracy);
  EXPECT_TRUE(result->final_test_accuracy);
}

TEST(RunLoop, ABackgroundGatherThatFailedOtherwiseEndsTheRunWithItsErrorAfterTheRoundsBeforeIt) {
  GatheredRounds runner;
  runner.fail_gather_of = 3;
  runner.fail_with = Status::decode_failure("owner 1 sent shard 2 of 3");
  std::vector<std::int64_t> published;
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), [&](const RoundRecord& r) {
    published.push_back(r.round);
    return Status::ok_status();
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDecodeFailure) << result.status().to_string();
  EXPECT_EQ(published, (std::vector<std::int64_t>{1, 2, 3}));
}

TEST(RunLoop, ANonFiniteModelBroughtByABackgroundGatherEndsTheRunAsDiverged) {
  GatheredRounds runner;
  runner.poison_gather_of = 1;  // round 2's gather
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), [](const RoundRecord&) { return Status::ok_status(); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kDiverged) << result.status().to_string();
  EXPECT_NE(result.status().message().find("in round 2 the model's layers.0.weight"), std::string::npos)
      << result.status().to_string();
}

TEST(RunLoop, EachRoundIsTimedAroundTheRunnersWorkWithinTheWallTime) {
  ScriptedRounds runner;
  runner.busy = std::chrono::milliseconds(3);
  RunLoopOptions options;
  options.train_size = 100;
  auto result = run_rounds(eight_rounds(), runner, options, tiny_test(), {});
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  double previous_wall = 0.0;
  for (const RoundRecord& r : result->records) {
    EXPECT_GE(r.round_seconds, 0.003) << "round " << r.round;
    EXPECT_LE(r.round_seconds, r.wall_seconds - previous_wall) << "round " << r.round;
    previous_wall = r.wall_seconds;
  }
}

TEST(RunLoop, TheReferenceCountsItsWholeRoundAsComputation) {
  const Dataset data = testing::make_toy_dataset(200, 12, 4, 1);
  TrainingConfig c = two_reference_workers(4, 2);
  std::vector<Dataset> shards = {data, data};
  auto result = run_reference(c, shards, data);
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  for (const RoundRecord& r : result->records) {
    EXPECT_GT(r.compute_seconds, 0.0) << "round " << r.round;
    EXPECT_LE(r.compute_seconds, r.round_seconds) << "round " << r.round;
    // Only the loop's own bookkeeping around the runner is left: no network in process.
    EXPECT_LT(r.wait_seconds(), 0.5 * r.round_seconds + 0.01) << "round " << r.round;
  }
}

TEST(RunLoop, TheReferenceWithAnAbsurdLearningRateStopsAsDiverged) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  TrainingConfig c = two_reference_workers(20, 5);
  c.sgd.learning_rate = 1e6f;
  c.sgd.warmup_epochs = 0;
  std::vector<Dataset> shards;
  for (int w = 0; w < 2; ++w) {
    auto rows = shard_indices(data.labels, ShardSpec{w, 2, ShardPolicy::kIid, 3}).value();
    Dataset d;
    d.num_classes = data.num_classes;
    d.features.resize(static_cast<Index>(rows.size()), data.feature_count());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      d.features.row(static_cast<Index>(i)) = data.features.row(rows[i]);
      d.labels.push_back(data.labels[static_cast<std::size_t>(rows[i])]);
    }
    shards.push_back(std::move(d));
  }
  auto result = run_reference(c, shards, data);
  ASSERT_FALSE(result.ok()) << "a learning rate of 1e6 trained to the end";
  EXPECT_EQ(result.status().code(), ErrorCode::kDiverged) << result.status().to_string();
  EXPECT_NE(result.status().message().find("learning rate 1e+06"), std::string::npos)
      << result.status().to_string();
}

}  // namespace
}  // namespace ist
