#include "ist/local_training.h"

#include <vector>

namespace ist {

LocalTrainingReport train_locally(Mlp& model, BatchSampler& sampler, const LocalTrainingOptions& options,
                                  const std::function<void(int step)>& before_step) {
  SgdOptimizer optimizer(options.momentum, options.weight_decay, options.subnet_lr);
  Workspace ws;
  Matrix x;
  std::vector<std::int32_t> y;
  double loss_sum = 0.0;
  for (int step = 0; step < options.steps; ++step) {
    if (before_step) before_step(step);
    sampler.next(options.batch_size, x, y);
    loss_sum += optimizer.train_step(model, x, y, options.learning_rate, ws);
  }
  LocalTrainingReport report;
  report.steps = options.steps;
  report.samples = static_cast<std::int64_t>(options.steps) * options.batch_size;
  report.mean_loss = options.steps > 0 ? loss_sum / options.steps : 0.0;
  return report;
}

}  // namespace ist
