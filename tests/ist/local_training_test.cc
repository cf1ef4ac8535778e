// Local training with buffers kept from call to call (a trainer's rounds) must train exactly as with fresh
// ones: the momentum of one call never leaks into the next, and a change of shape gets buffers of its own.
#include <gtest/gtest.h>

#include "ist/local_training.h"
#include "test_data.h"

namespace ist {
namespace {

struct Call {
  std::vector<int> widths;
  std::uint64_t seed;
};

LocalTrainingOptions options_with_momentum() {
  LocalTrainingOptions options;
  options.steps = 4;
  options.batch_size = 16;
  options.learning_rate = 0.05f;
  options.momentum = 0.9f;
  options.weight_decay = 0.001f;
  return options;
}

TEST(LocalTraining, BuffersKeptAcrossCallsAndShapesTrainBitForBitLikeFreshOnes) {
  const Dataset data = testing::make_toy_dataset(100, 12, 4, 7);
  // Same shape twice (the momentum must be forgotten), a narrower and a deeper net, then the first again.
  const std::vector<Call> calls = {{{12, 10, 4}, 1}, {{12, 10, 4}, 2}, {{12, 6, 4}, 3}, {{12, 8, 8, 4}, 4}, {{12, 10, 4}, 5}};
  LocalTrainingBuffers kept;
  for (const Call& call : calls) {
    Mlp reused = make_mlp(call.widths, call.seed).value();
    reused.layers.back().input_scale = 2.0f;  // as inside a subnet
    Mlp fresh = reused;
    BatchSampler reused_sampler(data, BatchCursor{call.seed, 0, 0});
    BatchSampler fresh_sampler(data, BatchCursor{call.seed, 0, 0});
    const LocalTrainingReport with_kept = train_locally(reused, reused_sampler, options_with_momentum(), kept);
    const LocalTrainingReport with_fresh = train_locally(fresh, fresh_sampler, options_with_momentum());
    EXPECT_EQ(parameter_hash(reused), parameter_hash(fresh)) << "call with seed " << call.seed;
    EXPECT_EQ(with_kept.mean_loss, with_fresh.mean_loss);
  }
}

TEST(LocalTraining, TheSameShapeKeepsItsBuffersFromCallToCall) {
  const Dataset data = testing::make_toy_dataset(100, 12, 4, 7);
  LocalTrainingBuffers kept;
  Mlp model = make_mlp({12, 10, 4}, 1).value();
  BatchSampler sampler(data, BatchCursor{1, 0, 0});
  train_locally(model, sampler, options_with_momentum(), kept);
  const float* batch = kept.batch.data();
  const float* activation = kept.workspace.activations[1].data();
  train_locally(model, sampler, options_with_momentum(), kept);
  EXPECT_EQ(kept.batch.data(), batch);
  EXPECT_EQ(kept.workspace.activations[1].data(), activation);
}

}  // namespace
}  // namespace ist
