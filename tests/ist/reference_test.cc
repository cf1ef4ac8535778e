// The in-process reference trainers: IST with one subnet is plain SGD, runs are fixed by their seed, and
// all three algorithms learn.
#include <gtest/gtest.h>

#include <memory>

#include "ist/local_training.h"
#include "ist/partition.h"
#include "ist/reference.h"
#include "ist/slice.h"
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
  EXPECT_LT(r.records.back().train_loss.value(), r.records.front().train_loss.value());
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

// Subnet groups (algorithm.subnets = S): the two ends are the algorithms that already exist.

TEST(IstReference, WithOneSubnetGroupIsLocalSgdBitForBit) {
  const Dataset data = testing::make_toy_dataset(600, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(100, 12, 4, 2);
  TrainingConfig c = small_config(Algorithm::kIst, 3);  // three members: uneven ring chunks
  c.subnets = 1;
  c.sgd.momentum = 0.9f;
  const auto shards = shards_of(data, 3);
  const RunResult grouped = run_reference(c, shards, test).value();
  c.algorithm = Algorithm::kLocalSgd;
  c.subnets = 0;
  const RunResult local_sgd = run_reference(c, shards, test).value();
  EXPECT_EQ(parameter_hash(grouped.model), parameter_hash(local_sgd.model));
  EXPECT_NE(parameter_hash(grouped.model), parameter_hash(make_mlp(c.widths, c.seed).value()));
  EXPECT_EQ(grouped.final_test_accuracy, local_sgd.final_test_accuracy);
}

// Today's IST spelled out step by step (one subnet per worker, slices copied back, shared bias averaged):
// S = W must end with exactly this model.
Mlp one_subnet_per_worker(const TrainingConfig& c, const std::vector<Dataset>& shards) {
  std::vector<Dataset> data = shards;
  for (Dataset& d : data) normalize_inputs(c, d);
  Mlp model = make_mlp(c.widths, c.seed).value();
  std::vector<std::unique_ptr<BatchSampler>> samplers;
  for (int w = 0; w < c.workers; ++w) {
    samplers.push_back(std::make_unique<BatchSampler>(data[static_cast<std::size_t>(w)],
                                                      BatchCursor{batch_seed_for_shard(c.seed, w), 0, 0}));
  }
  const std::vector<int> hidden(c.widths.begin() + 1, c.widths.end() - 1);
  std::int64_t train_size = 0;
  for (const Dataset& d : data) train_size += d.size();
  double epochs_done = 0.0;
  for (std::int64_t round = 0; round < c.rounds; ++round) {
    const SubnetPlan plan = make_partition(hidden, c.workers, c.seed, round).value();
    std::vector<Slice> slices;
    for (int s = 0; s < c.workers; ++s) {
      slices.push_back(extract_slice(model, plan, s, c.scaling));
      train_locally(slices.back().model, *samplers[static_cast<std::size_t>(s)], local_options_at(c, epochs_done));
    }
    std::vector<const Slice*> returned;
    for (const Slice& slice : slices) returned.push_back(&slice);
    EXPECT_TRUE(merge_slices(model, plan, returned).ok());
    epochs_done += static_cast<double>(samples_per_round(c)) / static_cast<double>(train_size);
  }
  return model;
}

TEST(IstReference, WithOneSubnetGroupPerWorkerIsPlainIstBitForBit) {
  const Dataset data = testing::make_toy_dataset(600, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(100, 12, 4, 2);
  TrainingConfig c = small_config(Algorithm::kIst, 3);
  c.subnets = 3;
  const auto shards = shards_of(data, 3);
  const RunResult grouped = run_reference(c, shards, test).value();
  EXPECT_EQ(parameter_hash(grouped.model), parameter_hash(one_subnet_per_worker(c, shards)));
  c.subnets = 0;  // the default: one subnet per worker
  EXPECT_EQ(parameter_hash(run_reference(c, shards, test).value().model), parameter_hash(grouped.model));
}

TEST(IstReference, TwoGroupsOfTwoDifferFromBothEndsAndStillLearn) {
  const Dataset data = testing::make_toy_dataset(2000, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(500, 12, 4, 2);
  TrainingConfig c = small_config(Algorithm::kIst, 4);
  c.widths = {12, 64, 64, 4};
  c.rounds = 40;
  c.eval_every = 40;
  c.sgd.learning_rate = 0.1f;
  const auto shards = shards_of(data, 4);
  std::vector<std::uint64_t> hashes;
  for (int s : {1, 2, 4}) {
    c.subnets = s;
    const RunResult r = run_reference(c, shards, test).value();
    hashes.push_back(parameter_hash(r.model));
    ASSERT_TRUE(r.final_test_accuracy.has_value());
    EXPECT_GT(*r.final_test_accuracy, 0.6) << "S = " << s;  // chance is 0.25
  }
  EXPECT_NE(hashes[1], hashes[0]);
  EXPECT_NE(hashes[1], hashes[2]);
}

TEST(IstReference, BytesPerWorkerGrowAsTheSubnetsGrow) {
  const Dataset data = testing::make_toy_dataset(800, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kIst, 4);
  c.rounds = 1;
  c.eval_every = 1;
  const auto shards = shards_of(data, 4);
  // widths 12-24-16-4: with S subnets every worker holds 24/S and 16/S hidden neurons.
  const auto subnet_floats = [](int s) { return 12 * (24 / s) + 24 / s + (16 / s) * (24 / s) + 16 / s + 4 * (16 / s) + 4; };
  for (int s : {1, 2, 4}) {
    c.subnets = s;
    const RunResult r = run_reference(c, shards, data).value();
    EXPECT_DOUBLE_EQ(r.records[0].bytes_sent_per_worker, 4.0 * subnet_floats(s)) << "S = " << s;
    EXPECT_DOUBLE_EQ(r.records[0].bytes_received_per_worker, 4.0 * subnet_floats(s)) << "S = " << s;
  }
}

TEST(Reference, RejectsMoreSubnetGroupsThanWorkers) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  TrainingConfig c = small_config(Algorithm::kIst, 2);
  c.subnets = 3;
  auto r = run_reference(c, shards_of(data, 2), data);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("subnets must be between 1 and the 2 workers, got 3"), std::string::npos)
      << r.status().to_string();
}

}  // namespace
}  // namespace ist
