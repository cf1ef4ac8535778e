// The in-process reference trainers: IST with one subnet is plain SGD, runs are fixed by their seed, and
// all three algorithms learn.
#include <gtest/gtest.h>

#include "ist/local_training.h"
#include "ist/reference.h"
#include "test_data.h"

namespace ist {
namespace {

TrainingConfig small_config(Algorithm algorithm, int workers) {
  TrainingConfig c;
  c.widths = {12, 24, 16, 4};
  c.algorithm = algorithm;
  c.workers = workers;
  c.local_steps = 5;
  c.batch_size = 16;
  c.rounds = 6;
  c.eval_every = 3;
  c.sgd.learning_rate = 0.05f;
  c.seed = 17;
  return c;
}

std::vector<Dataset> shards_of(const Dataset& all, int workers) {
  std::vector<Dataset> shards;
  for (int w = 0; w < workers; ++w) {
    auto idx = shard_indices(all.labels, ShardSpec{w, workers, ShardPolicy::kIid, 3}).value();
    Dataset d;
    d.num_classes = all.num_classes;
    d.features.resize(static_cast<Index>(idx.size()), all.feature_count());
    for (std::size_t i = 0; i < idx.size(); ++i) {
      d.features.row(static_cast<Index>(i)) = all.features.row(idx[i]);
      d.labels.push_back(all.labels[static_cast<std::size_t>(idx[i])]);
    }
    shards.push_back(std::move(d));
  }
  return shards;
}

TEST(IstReference, WithOneSubnetIsPlainSgdOnTheFullModelBitForBit) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(100, 12, 4, 2);
  TrainingConfig c = small_config(Algorithm::kIst, 1);
  const std::vector<Dataset> shards = {data};
  RunResult ist = run_reference(c, shards, test).value();

  // run_reference standardizes the inputs (TrainingConfig's default); plain SGD sees the same data.
  Dataset normalized = data;
  normalize_inputs(c, normalized);
  Mlp plain = make_mlp(c.widths, c.seed).value();
  BatchSampler sampler(normalized, BatchCursor{batch_seed_for_shard(c.seed, 0), 0, 0});
  // The same learning-rate schedule (warmup and step decay are on by default) as run_reference.
  double epochs_done = 0.0;
  for (int round = 0; round < c.rounds; ++round) {
    train_locally(plain, sampler, local_options_at(c, epochs_done));
    epochs_done += static_cast<double>(samples_per_round(c)) / static_cast<double>(data.size());
  }
  EXPECT_EQ(parameter_hash(ist.model), parameter_hash(plain));
  EXPECT_NE(parameter_hash(plain), parameter_hash(make_mlp(c.widths, c.seed).value()));
}

void expect_seed_fixes_the_model(Algorithm algorithm) {
  const Dataset data = testing::make_toy_dataset(600, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(100, 12, 4, 2);
  TrainingConfig c = small_config(algorithm, 3);
  c.sgd.momentum = 0.9f;
  const auto shards = shards_of(data, 3);
  const std::uint64_t first = parameter_hash(run_reference(c, shards, test).value().model);
  const std::uint64_t again = parameter_hash(run_reference(c, shards, test).value().model);
  c.seed = 18;
  const std::uint64_t other = parameter_hash(run_reference(c, shards, test).value().model);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
}

TEST(IstReference, SameSeedGivesTheSameModelAndAnotherSeedAnother) { expect_seed_fixes_the_model(Algorithm::kIst); }
TEST(DataParallelReference, SameSeedGivesTheSameModelAndAnotherSeedAnother) {
  expect_seed_fixes_the_model(Algorithm::kDataParallel);
}
TEST(LocalSgdReference, SameSeedGivesTheSameModelAndAnotherSeedAnother) {
  expect_seed_fixes_the_model(Algorithm::kLocalSgd);
}

void expect_learns_the_toy_problem(Algorithm algorithm) {
  const Dataset data = testing::make_toy_dataset(2000, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(500, 12, 4, 2);
  TrainingConfig c = small_config(algorithm, 2);
  c.widths = {12, 64, 64, 4};
  c.rounds = 40;
  c.eval_every = 40;
  c.sgd.learning_rate = 0.1f;
  c.sgd.momentum = 0.9f;
  RunResult r = run_reference(c, shards_of(data, 2), test).value();
  ASSERT_TRUE(r.final_test_accuracy.has_value());
  EXPECT_GT(*r.final_test_accuracy, 0.6) << algorithm_name(algorithm);  // chance is 0.25
  EXPECT_LT(r.records.back().train_loss, r.records.front().train_loss);
}

TEST(IstReference, LearnsAToyProblem) { expect_learns_the_toy_problem(Algorithm::kIst); }
TEST(DataParallelReference, LearnsAToyProblem) { expect_learns_the_toy_problem(Algorithm::kDataParallel); }
TEST(LocalSgdReference, LearnsAToyProblem) { expect_learns_the_toy_problem(Algorithm::kLocalSgd); }

TEST(IstReference, RecordsOneRoundEachWithBytesOfOneSubnetEachWay) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kIst, 2);
  RunResult r = run_reference(c, shards_of(data, 2), data).value();
  ASSERT_EQ(r.records.size(), 6u);
  // widths 12-24-16-4 with 2 subnets: 12*12+12 + 8*12+8 + 4*8+4 floats per subnet.
  const double subnet_bytes = 4.0 * (12 * 12 + 12 + 8 * 12 + 8 + 4 * 8 + 4);
  EXPECT_DOUBLE_EQ(r.records[0].bytes_sent_per_worker, subnet_bytes);
  EXPECT_DOUBLE_EQ(r.records[0].bytes_received_per_worker, subnet_bytes);
  EXPECT_FALSE(r.records[0].test_accuracy.has_value());
  EXPECT_TRUE(r.records[2].test_accuracy.has_value());
  EXPECT_TRUE(r.records[5].test_accuracy.has_value());
}

TEST(DataParallelReference, SendsTwiceWMinusOneOverWOfTheModelEveryStep) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kDataParallel, 2);
  c.widths = {12, 20, 4};  // 12*20+20 + 20*4+4 = 344 floats, divisible by 2
  RunResult r = run_reference(c, shards_of(data, 2), data).value();
  EXPECT_DOUBLE_EQ(r.records[0].bytes_sent_per_worker, 4.0 * c.local_steps * 2.0 * (1.0 / 2.0) * 344);
}

TEST(Reference, RejectsWidthsThatDoNotFitTheData) {
  const Dataset data = testing::make_toy_dataset(100, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kIst, 1);
  c.widths = {10, 8, 4};
  auto r = run_reference(c, {data}, data);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("12 features"), std::string::npos) << r.status().to_string();
  EXPECT_NE(r.status().message().find("input width is 10"), std::string::npos);
  c.widths = {12, 8, 3};
  r = run_reference(c, {data}, data);
  ASSERT_FALSE(r.ok());
  // The first label the output cannot hold is named (the toy data's first example has label 3).
  EXPECT_NE(r.status().message().find("the training data: example 0 has label 3, but the model has 3 outputs"),
            std::string::npos)
      << r.status().to_string();
}

TEST(Reference, RejectsMoreSubnetsThanHiddenNeurons) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kIst, 3);
  c.widths = {12, 24, 2, 4};
  auto r = run_reference(c, shards_of(data, 3), data);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("S must not exceed H"), std::string::npos) << r.status().to_string();
}

}  // namespace
}  // namespace ist
