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

// Trains model in place for options.steps steps on batches drawn from sampler, starting from fresh
// optimizer state (momentum is not carried across calls; see sgd.h). Deterministic given the model, the
// sampler's cursor and the options. REQUIRES: batch_size <= the sampler's data size.
// before_step, if given, runs before each step with the step's index: the seam fault experiments use to
// slow a trainer down or end its process mid-round. It does not touch the model.
LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  const std::function<void(int step)>& before_step = {});

}  // namespace ist
