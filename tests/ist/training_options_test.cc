// The accuracy options: sqrt subnet scaling, the subnet learning-rate correction (power, biases),
// cosine decay and warmup, and input standardization; their validation and their defaults.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ist/local_training.h"
#include "ist/partition.h"
#include "ist/random.h"
#include "ist/reference.h"
#include "ist/sgd.h"
#include "ist/slice.h"
#include "ist/training_config.h"
#include "test_data.h"

namespace ist {
namespace {

TEST(SqrtScaling, MultipliesEachHiddenOutputBySqrtOfWidthOverGroup) {
  Mlp model = make_mlp({7, 6, 5, 3}, 1).value();
  SubnetPlan plan = make_partition({6, 5}, 2, 9, 0).value();
  Slice slice = extract_slice(model, plan, 1, SubnetScaling::kSqrt);
  EXPECT_FLOAT_EQ(slice.model.layers[0].input_scale, 1.0f);
  EXPECT_FLOAT_EQ(slice.model.layers[1].input_scale, std::sqrt(6.0f / static_cast<float>(plan.groups[0][1].size())));
  EXPECT_FLOAT_EQ(slice.model.layers[2].input_scale, std::sqrt(5.0f / static_cast<float>(plan.groups[1][1].size())));
  SubnetPlan whole = make_partition({6, 5}, 1, 9, 0).value();
  EXPECT_FLOAT_EQ(extract_slice(model, whole, 0, SubnetScaling::kSqrt).model.layers[1].input_scale, 1.0f);
}

TEST(SqrtScaling, ParsesAndNamesItself) {
  EXPECT_EQ(parse_scaling("sqrt").value(), SubnetScaling::kSqrt);
  EXPECT_STREQ(scaling_name(SubnetScaling::kSqrt), "sqrt");
  auto bad = parse_scaling("sqrtt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().to_string().find("sqrtt"), std::string::npos);
}

TEST(SubnetLearningRate, IsLrOverScaleToThePower) {
  Linear layer;
  layer.input_scale = 4.0f;
  EXPECT_FLOAT_EQ(layer_learning_rate(layer, 0.32f, 0.0f), 0.32f);
  EXPECT_FLOAT_EQ(layer_learning_rate(layer, 0.32f, 1.0f), 0.08f);
  EXPECT_FLOAT_EQ(layer_learning_rate(layer, 0.32f, 2.0f), 0.02f);
  EXPECT_EQ(layer_learning_rate(layer, 0.32f, 2.0f), layer_learning_rate(layer, 0.32f));
  layer.input_scale = 1.0f;
  EXPECT_EQ(layer_learning_rate(layer, 0.32f, 1.5f), 0.32f);
}

void random_batch(int rows, int cols, int classes, std::uint64_t seed, Matrix& x, std::vector<std::int32_t>& y) {
  Rng rng(seed);
  x.resize(rows, cols);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  y.clear();
  for (int i = 0; i < rows; ++i) y.push_back(static_cast<std::int32_t>(rng.uniform_below(classes)));
}

// One fused step equals W -= lr / s^p * grad, b -= (on_bias ? lr / s^p : lr) * grad, computed by hand.
void expect_step_uses_corrected_rates(float power, bool on_bias, float momentum) {
  Mlp model = make_mlp({6, 8, 7, 3}, 4).value();
  model.layers[1].input_scale = 2.0f;
  model.layers[2].input_scale = 1.5f;
  Mlp expected = model;
  Matrix x;
  std::vector<std::int32_t> y;
  random_batch(10, 6, 3, 8, x, y);
  Workspace ws;
  Gradients grads;
  compute_gradients(expected, x, y, ws, grads);
  const float lr = 0.1f;
  for (std::size_t l = 0; l < expected.layers.size(); ++l) {
    Linear& layer = expected.layers[l];
    const float w_lr = lr / std::pow(layer.input_scale, power);
    layer.weight -= w_lr * grads.weight[l];
    layer.bias -= (on_bias ? w_lr : lr) * grads.bias[l];
  }
  SgdOptimizer opt(momentum, 0.0f, SubnetLrCorrection{power, on_bias});
  opt.train_step(model, x, y, lr, ws);
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    EXPECT_LT((model.layers[l].weight - expected.layers[l].weight).cwiseAbs().maxCoeff(), 1e-5f) << "layer " << l;
    EXPECT_LT((model.layers[l].bias - expected.layers[l].bias).cwiseAbs().maxCoeff(), 1e-5f) << "layer " << l;
  }
}

TEST(SubnetLearningRate, FusedStepAppliesThePowerToWeightsAndOptionallyBiases) {
  for (float power : {0.0f, 1.0f, 2.0f}) {
    for (bool on_bias : {true, false}) {
      for (float momentum : {0.0f, 0.9f}) {
        SCOPED_TRACE(::testing::Message() << "power " << power << " on_bias " << on_bias << " momentum " << momentum);
        expect_step_uses_corrected_rates(power, on_bias, momentum);
      }
    }
  }
}

TEST(SubnetLearningRate, ReferenceApplyMatchesTheFusedStep) {
  Mlp fused = make_mlp({6, 8, 7, 3}, 4).value();
  fused.layers[1].input_scale = 2.0f;
  Mlp reference = fused;
  const SubnetLrCorrection correction{1.0f, false};
  SgdOptimizer fused_opt(0.9f, 1e-3f, correction);
  SgdOptimizer reference_opt(0.9f, 1e-3f, correction);
  Workspace ws;
  Matrix x;
  std::vector<std::int32_t> y;
  for (int step = 0; step < 4; ++step) {
    random_batch(10, 6, 3, 20 + step, x, y);
    fused_opt.train_step(fused, x, y, 0.05f, ws);
    Gradients grads;
    compute_gradients(reference, x, y, ws, grads);
    reference_opt.apply(reference, grads, 0.05f);
  }
  for (std::size_t l = 0; l < fused.layers.size(); ++l) {
    EXPECT_LT((fused.layers[l].weight - reference.layers[l].weight).cwiseAbs().maxCoeff(), 1e-5f);
    EXPECT_LT((fused.layers[l].bias - reference.layers[l].bias).cwiseAbs().maxCoeff(), 1e-5f);
  }
}

TEST(LearningRateSchedule, CosineDecaysToAThousandthAndWarmupRampsUp) {
  SgdOptions o;
  o.learning_rate = 0.1f;
  o.warmup_epochs = 0.0;
  o.lr_decay_factor = 1.0f;
  o.lr_decay_every_epochs = 0.0;
  o.cosine_epochs = 10.0;
  EXPECT_FLOAT_EQ(learning_rate_at(o, 0.0), 0.1f);
  EXPECT_NEAR(learning_rate_at(o, 5.0), 0.05f, 1e-6);
  EXPECT_NEAR(learning_rate_at(o, 10.0), 1e-4f, 1e-8);
  EXPECT_NEAR(learning_rate_at(o, 20.0), 1e-4f, 1e-8);
  o.cosine_epochs = 0.0;
  o.warmup_epochs = 2.0;
  EXPECT_NEAR(learning_rate_at(o, 0.0), 0.005f, 1e-7);  // 5% of the rate in the first round
  EXPECT_NEAR(learning_rate_at(o, 1.0), 0.05f, 1e-7);
  EXPECT_FLOAT_EQ(learning_rate_at(o, 2.0), 0.1f);
  o.warmup_epochs = 0.0;
  o.lr_decay_factor = 0.5f;
  o.lr_decay_every_epochs = 4.0;
  EXPECT_FLOAT_EQ(learning_rate_at(o, 3.9), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate_at(o, 4.0), 0.05f);
}

TEST(TrainingOptions, DefaultsAreTheMeasuredBest) {
  const TrainingConfig c;
  EXPECT_EQ(c.scaling, SubnetScaling::kSqrt);
  EXPECT_FLOAT_EQ(c.input_mean, 0.2860f);
  EXPECT_FLOAT_EQ(c.input_std, 0.3530f);
  EXPECT_FLOAT_EQ(c.sgd.learning_rate, 0.03f);
  EXPECT_DOUBLE_EQ(c.sgd.warmup_epochs, 1.0);
  EXPECT_FLOAT_EQ(c.sgd.momentum, 0.9f);
  EXPECT_FLOAT_EQ(c.sgd.lr_decay_factor, 0.3f);
  EXPECT_DOUBLE_EQ(c.sgd.lr_decay_every_epochs, 4.0);
  EXPECT_FLOAT_EQ(c.sgd.subnet_lr_power, 0.0f);
  EXPECT_TRUE(validate(c).ok());
  const LocalTrainingOptions o = local_options_at(c, 0.0);
  EXPECT_FLOAT_EQ(o.subnet_lr.power, c.sgd.subnet_lr_power);
  EXPECT_EQ(o.subnet_lr.on_bias, c.sgd.subnet_lr_on_bias);
}

void expect_invalid(const TrainingConfig& c, const std::string& field) {
  Status status = validate(c);
  ASSERT_FALSE(status.ok()) << field;
  EXPECT_NE(status.to_string().find(field), std::string::npos) << status.to_string();
}

TEST(TrainingOptions, RejectsBadValuesNamingTheField) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  TrainingConfig c;
  c.sgd.subnet_lr_power = 2.5f;
  expect_invalid(c, "subnet_lr_power");
  c.sgd.subnet_lr_power = -0.5f;
  expect_invalid(c, "subnet_lr_power");
  c = TrainingConfig{};
  c.sgd.cosine_epochs = -1.0;
  expect_invalid(c, "cosine_epochs");
  c = TrainingConfig{};
  c.sgd.warmup_epochs = -1.0;
  expect_invalid(c, "warmup_epochs");
  c = TrainingConfig{};
  c.input_std = 0.0f;
  expect_invalid(c, "input_std");
  c.input_std = nan;
  expect_invalid(c, "input_std");
  c = TrainingConfig{};
  c.input_mean = nan;
  expect_invalid(c, "input_mean");
}

TEST(InputNormalization, StandardizesAndIsANoOpAtZeroAndOne) {
  Dataset d = testing::make_toy_dataset(5, 4, 2, 3);
  const Dataset raw = d;
  TrainingConfig c;
  c.input_mean = 0.5f;
  c.input_std = 0.25f;
  EXPECT_TRUE(normalizes_inputs(c));
  normalize_inputs(c, d);
  for (Index i = 0; i < d.features.size(); ++i) {
    EXPECT_FLOAT_EQ(d.features.data()[i], (raw.features.data()[i] - 0.5f) * 4.0f);
  }
  c.input_mean = 0.0f;
  c.input_std = 1.0f;
  EXPECT_FALSE(normalizes_inputs(c));
  Dataset same = raw;
  normalize_inputs(c, same);
  EXPECT_EQ(same.features, raw.features);
}

TrainingConfig small_config(int workers) {
  TrainingConfig c;
  c.widths = {12, 24, 16, 4};
  c.workers = workers;
  c.local_steps = 5;
  c.batch_size = 16;
  c.rounds = 6;
  c.eval_every = 3;
  c.seed = 17;
  return c;
}

TEST(InputNormalization, RunReferenceTrainsAndEvaluatesOnStandardizedData) {
  const Dataset data = testing::make_toy_dataset(400, 12, 4, 1);
  const Dataset test = testing::make_toy_dataset(100, 12, 4, 2);
  TrainingConfig c = small_config(1);
  c.input_mean = 0.5f;
  c.input_std = 0.3f;
  RunResult normalized_inside = run_reference(c, {data}, test).value();

  Dataset data_by_hand = data;
  Dataset test_by_hand = test;
  normalize_inputs(c, data_by_hand);
  normalize_inputs(c, test_by_hand);
  TrainingConfig raw = c;
  raw.input_mean = 0.0f;
  raw.input_std = 1.0f;
  RunResult normalized_outside = run_reference(raw, {data_by_hand}, test_by_hand).value();
  EXPECT_EQ(parameter_hash(normalized_inside.model), parameter_hash(normalized_outside.model));
  EXPECT_EQ(*normalized_inside.final_test_accuracy, *normalized_outside.final_test_accuracy);
  RunResult unnormalized = run_reference(raw, {data}, test).value();
  EXPECT_NE(parameter_hash(unnormalized.model), parameter_hash(normalized_inside.model));
}

TEST(InputNormalization, RunReferenceRejectsABadStd) {
  const Dataset data = testing::make_toy_dataset(100, 12, 4, 1);
  TrainingConfig c = small_config(1);
  c.input_std = -1.0f;
  auto r = run_reference(c, {data}, data);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().to_string().find("input_std"), std::string::npos);
}

}  // namespace
}  // namespace ist
