#include "ist/local_training.h"

#include <vector>

namespace ist {

LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  const std::function<void(int step)>& before_step) {
  LocalTrainingBuffers buffers;
  return train_locally(model, sampler, options, buffers, before_step);
}

LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  LocalTrainingBuffers& buffers, const std::function<void(int step)>& before_step) {
  SgdOptimizer& optimizer = buffers.optimizer;
  optimizer.restart(options.momentum, options.weight_decay, options.subnet_lr);
  double loss_sum = 0.0;
  for (int step = 0; step < options.steps; ++step) {
    if (before_step) before_step(step);
    sampler.next(options.batch_size, buffers.batch, buffers.labels);
    loss_sum += optimizer.train_step(model, buffers.batch, buffers.labels, options.learning_rate, buffers.workspace);
  }
  LocalTrainingReport report;
  report.steps = options.steps;
  report.samples = static_cast<std::int64_t>(options.steps) * options.batch_size;
  report.mean_loss = options.steps > 0 ? loss_sum / options.steps : 0.0;
  return report;
}

}  // namespace ist
