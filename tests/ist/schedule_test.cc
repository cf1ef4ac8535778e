// A schedule over training: from given epochs on, IST's subnet count S, the base learning rate and the
// local steps R change; rounds run with the phase in force when they start, and the run's length counts
// the rounds of each phase.
#include <gtest/gtest.h>

#include "ist/reference.h"
#include "ist/training_config.h"
#include "test_data.h"

namespace ist {
namespace {

TrainingConfig scheduled_config() {
  TrainingConfig c;
  c.widths = {12, 24, 16, 4};
  c.workers = 4;
  c.subnets = 4;
  c.local_steps = 5;
  c.batch_size = 10;
  c.epochs = 3.0;
  c.eval_every = 1000;
  c.sgd.learning_rate = 0.05f;
  c.sgd.warmup_epochs = 0.0;
  c.sgd.lr_decay_every_epochs = 0.0;
  c.schedule = {SchedulePhase{1.0, 2, 0.0f, 0}, SchedulePhase{2.0, 1, 0.02f, 10}};
  return c;
}

TEST(Schedule, EachRoundRunsWithThePhasesThatStartedBeforeIt) {
  const TrainingConfig c = scheduled_config();
  EXPECT_EQ(round_settings_at(c, 0.0).subnets, 4);
  EXPECT_EQ(round_settings_at(c, 0.99).subnets, 4);
  EXPECT_EQ(round_settings_at(c, 1.0).subnets, 2);
  EXPECT_EQ(round_settings_at(c, 1.0).local.learning_rate, 0.05f) << "a phase without a rate keeps the rate";
  EXPECT_EQ(round_settings_at(c, 1.0).local.steps, 5);
  EXPECT_EQ(round_settings_at(c, 2.5).subnets, 1);
  EXPECT_EQ(round_settings_at(c, 2.5).local.learning_rate, 0.02f);
  EXPECT_EQ(round_settings_at(c, 2.5).local.steps, 10);
}

TEST(Schedule, TheReferenceRunFollowsItAndTheRunLengthCountsEachPhasesSteps) {
  const Dataset data = testing::make_toy_dataset(800, 12, 4, 1);  // 200 per worker, 200 per round at R = 5
  std::vector<Dataset> shards(4);
  for (int w = 0; w < 4; ++w) {
    shards[static_cast<std::size_t>(w)].num_classes = 4;
    shards[static_cast<std::size_t>(w)].features = data.features.middleRows(w * 200, 200);
    shards[static_cast<std::size_t>(w)].labels.assign(data.labels.begin() + w * 200,
                                                      data.labels.begin() + (w + 1) * 200);
  }
  const TrainingConfig c = scheduled_config();
  const RunResult r = run_reference(c, shards, data).value();
  // Epochs 0-1 at R = 5: 4 rounds of 0.25; 1-2: 4 more; 2-3 at R = 10: 2 rounds of 0.5.
  EXPECT_EQ(total_rounds(c, 800), 10);
  ASSERT_EQ(r.records.size(), 10u);
  std::vector<int> subnets;
  for (const RoundRecord& record : r.records) subnets.push_back(record.subnets);
  EXPECT_EQ(subnets, (std::vector<int>{4, 4, 4, 4, 2, 2, 2, 2, 1, 1}));
  std::vector<std::int64_t> samples;
  for (const RoundRecord& record : r.records) samples.push_back(record.samples);
  EXPECT_EQ(samples, (std::vector<std::int64_t>{200, 200, 200, 200, 200, 200, 200, 200, 400, 400}))
      << "4 workers x R x 10 examples, R = 10 in the last phase";
  EXPECT_EQ(r.records[8].learning_rate, 0.02f);
  EXPECT_DOUBLE_EQ(r.records.back().epochs, 3.0);
  // Bytes per worker grow with the subnet: S = 1 ships the whole model each way.
  EXPECT_LT(r.records[0].bytes_sent_per_worker, r.records[4].bytes_sent_per_worker);
  EXPECT_DOUBLE_EQ(r.records[9].bytes_sent_per_worker, 4.0 * make_mlp(c.widths, 1).value().parameter_count());
}

TEST(Schedule, PhasesOutOfOrderOrOutOfRangeAreNamed) {
  TrainingConfig c = scheduled_config();
  c.schedule[1].from_epoch = 1.0;
  EXPECT_NE(validate(c).message().find("schedule phase 2: from_epoch"), std::string::npos)
      << validate(c).to_string();
  c = scheduled_config();
  c.schedule[0].subnets = 5;
  EXPECT_NE(
      validate(c).message().find("schedule phase 1: subnets must be between 1 and the 4 workers, got 5"),
      std::string::npos)
      << validate(c).to_string();
  c = scheduled_config();
  c.widths = {12, 24, 3, 4};
  c.subnets = 2;
  c.schedule = {SchedulePhase{1.0, 4, 0.0f, 0}};
  EXPECT_NE(validate(c).message().find("S must not exceed H"), std::string::npos) << validate(c).to_string();
}

}  // namespace
}  // namespace ist
