// The work a trainer does between two communications: R minibatch SGD steps on its own data. Shared by
// every algorithm and by both the in-process reference and the distributed trainer actors, which is what
// makes their results equal bit for bit.
#pragma once

#include <cstdint>
#include <functional>

#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/sgd.h"

namespace ist {

struct LocalTrainingOptions {
  int steps = 20;  // R
  int batch_size = 128;
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  SubnetLrCorrection subnet_lr;  // see SgdOptions::subnet_lr_power / subnet_lr_on_bias
};

struct LocalTrainingReport {
  double mean_loss = 0.0;  // mean of the steps' batch losses (each before its step's update)
  int steps = 0;
  std::int64_t samples = 0;
};

// What train_locally allocates: the momentum, the pass's activations and gradients, and the batch. A
// caller that trains again and again (a trainer, round after round) keeps one, so they are allocated once
// per shape and reused while the shapes stay. Their contents never carry from one call to the next.
struct LocalTrainingBuffers {
  SgdOptimizer optimizer{0.0f, 0.0f};
  Workspace workspace;
  Matrix batch;
  std::vector<std::int32_t> labels;
};

// Trains model in place for options.steps steps on batches drawn from sampler, starting from fresh
// optimizer state (momentum is not carried across calls; see sgd.h). Deterministic given the model, the
// sampler's cursor and the options, whether buffers are new or reused. REQUIRES: batch_size <= the
// sampler's data size. before_step, if given, runs before each step with the step's index: the seam fault
// experiments use to slow a trainer down or end its process mid-round. It does not touch the model.
LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  LocalTrainingBuffers& buffers, const std::function<void(int step)>& before_step = {});
// The same with buffers of its own, freed on return.
LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  const std::function<void(int step)>& before_step = {});

}  // namespace ist
