#include "actors/train_request_checks.h"

#include <cmath>
#include <string>

#include "ist/training_config.h"

namespace ist::actors {

namespace {
bool finite_non_negative(float x) { return std::isfinite(x) && x >= 0.0f; }
}  // namespace

Status check_train_options(const WireTrainOptions& o, std::int64_t shard_size) {
  if (o.steps < 0 || o.steps > kMaxLocalSteps) {
    return Status::invalid_argument("steps " + std::to_string(o.steps) + " outside 0.." + std::to_string(kMaxLocalSteps));
  }
  if (o.batch_size < 1 || o.batch_size > shard_size) {
    return Status::invalid_argument("batch size " + std::to_string(o.batch_size) + " does not fit a shard of " +
                                    std::to_string(shard_size) + " examples");
  }
  if (!finite_non_negative(o.learning_rate) || !finite_non_negative(o.weight_decay) || !std::isfinite(o.subnet_lr_power) ||
      !(o.momentum >= 0.0f && o.momentum < 1.0f)) {
    return Status::invalid_argument("learning rate, weight decay (finite, >= 0), momentum (in [0, 1)) or subnet "
                                    "learning-rate power (finite) out of range");
  }
  return Status::ok_status();
}

Status check_cursor(const WireCursor& c, std::int64_t shard_size) {
  if (c.epoch < 0 || c.position < 0 || c.position > shard_size) {
    return Status::invalid_argument("batch cursor (epoch " + std::to_string(c.epoch) + ", position " +
                                    std::to_string(c.position) + ") outside a shard of " + std::to_string(shard_size) +
                                    " examples");
  }
  return Status::ok_status();
}

Status check_layers(const Mlp& net, std::int64_t features) {
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const Linear& layer = net.layers[l];
    const std::int64_t expected = l == 0 ? features : net.layers[l - 1].outputs();
    if (layer.inputs() != expected) {
      return Status::invalid_argument("layer " + std::to_string(l) + " takes " + std::to_string(layer.inputs()) +
                                      " inputs where " + std::to_string(expected) + " arrive");
    }
    if (layer.outputs() < 1) return Status::invalid_argument("layer " + std::to_string(l) + " has no outputs");
    if (!std::isfinite(layer.input_scale) || layer.input_scale <= 0.0f) {
      return Status::invalid_argument("layer " + std::to_string(l) + " has an input scale that is not a positive number");
    }
  }
  return Status::ok_status();
}

}  // namespace ist::actors
