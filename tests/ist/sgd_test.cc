#include <gtest/gtest.h>

#include "ist/mlp.h"
#include "ist/random.h"
#include "ist/sgd.h"

namespace ist {
namespace {

void random_batch(int rows, int cols, int classes, std::uint64_t seed, Matrix& x, std::vector<std::int32_t>& y) {
  Rng rng(seed);
  x.resize(rows, cols);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  y.clear();
  for (int i = 0; i < rows; ++i) y.push_back(static_cast<std::int32_t>(rng.uniform_below(classes)));
}

float max_abs_difference(const Mlp& a, const Mlp& b) {
  float worst = 0.0f;
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    worst = std::max(worst, (a.layers[l].weight - b.layers[l].weight).cwiseAbs().maxCoeff());
    worst = std::max(worst, (a.layers[l].bias - b.layers[l].bias).cwiseAbs().maxCoeff());
  }
  return worst;
}

// The fused step (update inside the GEMM) must compute what the reference gradient + update computes.
void expect_fused_step_matches_reference(float momentum, float weight_decay) {
  Mlp fused = make_mlp({12, 16, 8, 5}, 3).value();
  fused.layers[1].input_scale = 2.0f;
  Mlp reference = fused;
  SgdOptimizer fused_opt(momentum, weight_decay);
  SgdOptimizer reference_opt(momentum, weight_decay);
  Workspace ws;
  Matrix x;
  std::vector<std::int32_t> y;
  for (int step = 0; step < 5; ++step) {
    random_batch(9, 12, 5, 100 + step, x, y);
    const float fused_loss = fused_opt.train_step(fused, x, y, 0.05f, ws);
    Gradients grads;
    const float reference_loss = compute_gradients(reference, x, y, ws, grads);
    reference_opt.apply(reference, grads, 0.05f);
    EXPECT_NEAR(fused_loss, reference_loss, 1e-5);
  }
  EXPECT_LT(max_abs_difference(fused, reference), 1e-5f);
  EXPECT_GT(max_abs_difference(fused, make_mlp({12, 16, 8, 5}, 3).value()), 1e-3f) << "training changed nothing";
}

TEST(SgdOptimizer, FusedStepMatchesReferenceForPlainSgd) { expect_fused_step_matches_reference(0.0f, 0.0f); }
TEST(SgdOptimizer, FusedStepMatchesReferenceWithWeightDecay) { expect_fused_step_matches_reference(0.0f, 0.01f); }
TEST(SgdOptimizer, FusedStepMatchesReferenceWithMomentum) { expect_fused_step_matches_reference(0.9f, 0.0f); }
TEST(SgdOptimizer, FusedStepMatchesReferenceWithMomentumAndDecay) {
  expect_fused_step_matches_reference(0.9f, 5e-4f);
}

TEST(SgdOptimizer, RepeatedStepsLowerTheLossOnAFixedBatch) {
  Mlp model = make_mlp({10, 32, 4}, 5).value();
  SgdOptimizer opt(0.9f, 0.0f);
  Workspace ws;
  Matrix x;
  std::vector<std::int32_t> y;
  random_batch(16, 10, 4, 9, x, y);
  const float first = opt.train_step(model, x, y, 0.05f, ws);
  float last = first;
  for (int i = 0; i < 50; ++i) last = opt.train_step(model, x, y, 0.05f, ws);
  EXPECT_LT(last, 0.5f * first);
}

TEST(LearningRateSchedule, StepDecayMultipliesEveryPeriod) {
  SgdOptions o;
  o.learning_rate = 0.1f;
  o.warmup_epochs = 0.0;  // step decay alone (warmup is on by default)
  o.lr_decay_factor = 0.5f;
  o.lr_decay_every_epochs = 2.0;
  EXPECT_FLOAT_EQ(learning_rate_at(o, 0.0), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate_at(o, 1.99), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate_at(o, 2.0), 0.05f);
  EXPECT_FLOAT_EQ(learning_rate_at(o, 5.0), 0.025f);
  o.lr_decay_every_epochs = 0.0;
  EXPECT_FLOAT_EQ(learning_rate_at(o, 50.0), 0.1f);
}

TEST(SgdOptions, RejectsEachBadFieldByName) {
  SgdOptions o;
  o.learning_rate = 0.0f;
  EXPECT_NE(validate(o).message().find("learning_rate"), std::string::npos);
  o = SgdOptions();
  o.momentum = 1.0f;
  EXPECT_NE(validate(o).message().find("momentum"), std::string::npos);
  o = SgdOptions();
  o.weight_decay = -1.0f;
  EXPECT_NE(validate(o).message().find("weight_decay"), std::string::npos);
  o = SgdOptions();
  o.lr_decay_factor = 2.0f;
  EXPECT_NE(validate(o).message().find("lr_decay_factor"), std::string::npos);
  EXPECT_TRUE(validate(SgdOptions()).ok());
}

}  // namespace
}  // namespace ist
