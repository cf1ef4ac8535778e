#include "ist/training_config.h"

#include <cmath>

#include "ist/random.h"
#include "ist/subnet_groups.h"

namespace ist {

const char* algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kIst: return "ist";
    case Algorithm::kDataParallel: return "data_parallel";
    case Algorithm::kLocalSgd: return "local_sgd";
  }
  return "?";
}

Result<Algorithm> parse_algorithm(const std::string& name) {
  for (Algorithm a : {Algorithm::kIst, Algorithm::kDataParallel, Algorithm::kLocalSgd}) {
    if (name == algorithm_name(a)) return a;
  }
  return Status::invalid_argument("unknown algorithm '" + name + "' (expected ist, data_parallel or local_sgd)");
}

const char* scaling_name(SubnetScaling scaling) {
  switch (scaling) {
    case SubnetScaling::kInvertedDropout: return "inverted_dropout";
    case SubnetScaling::kNone: return "none";
    case SubnetScaling::kSqrt: return "sqrt";
  }
  return "?";
}

Result<SubnetScaling> parse_scaling(const std::string& name) {
  if (name == "inverted_dropout") return SubnetScaling::kInvertedDropout;
  if (name == "none") return SubnetScaling::kNone;
  if (name == "sqrt") return SubnetScaling::kSqrt;
  return Status::invalid_argument("unknown subnet scaling '" + name + "' (expected inverted_dropout, sqrt or none)");
}

const char* standardize_name(Standardize s) {
  switch (s) {
    case Standardize::kGiven: return "given";
    case Standardize::kGlobal: return "global";
    case Standardize::kPerFeature: return "per_feature";
  }
  return "?";
}

const char* shard_policy_name(ShardPolicy policy) { return policy == ShardPolicy::kIid ? "iid" : "label_skew"; }

Result<ShardPolicy> parse_shard_policy(const std::string& name) {
  if (name == "iid") return ShardPolicy::kIid;
  if (name == "label_skew") return ShardPolicy::kLabelSkew;
  return Status::invalid_argument("unknown shard policy '" + name + "' (expected iid or label_skew)");
}

Status validate(const TrainingConfig& c) {
  IST_RETURN_IF_ERROR(validate_widths(c.widths).with_context("model widths"));
  if (c.workers < 1) return Status::invalid_argument("workers must be at least 1, got " + std::to_string(c.workers));
  if (c.subnets < 0 || c.subnets > c.workers) {
    return Status::invalid_argument("subnets must be between 1 and the " + std::to_string(c.workers) +
                                    " workers, got " + std::to_string(c.subnets));
  }
  if (c.algorithm == Algorithm::kIst) {
    if (c.widths.size() < 3) return Status::invalid_argument("IST needs at least one hidden layer in the widths");
    const int subnets = subnets_for_round(c.subnets, c.workers);
    for (std::size_t l = 1; l + 1 < c.widths.size(); ++l) {
      if (c.widths[l] < subnets) {
        return Status::invalid_argument("hidden layer " + std::to_string(l) + " has " + std::to_string(c.widths[l]) +
                                        " neurons, fewer than the " + std::to_string(subnets) +
                                        " subnets (S must not exceed H)");
      }
    }
  }
  if (c.local_steps < 1 || c.local_steps > kMaxLocalSteps) {
    return Status::invalid_argument("local_steps must be between 1 and " + std::to_string(kMaxLocalSteps));
  }
  if (c.batch_size < 1) return Status::invalid_argument("batch_size must be at least 1");
  if (c.rounds <= 0 && !(c.epochs > 0.0)) return Status::invalid_argument("set rounds or epochs to a positive number");
  if (c.eval_every < 1) return Status::invalid_argument("eval_every must be at least 1");
  if (!std::isfinite(c.input_mean)) {
    return Status::invalid_argument("input_mean must be a finite number, got " + std::to_string(c.input_mean));
  }
  if (!(c.input_std > 0.0f) || !std::isfinite(c.input_std)) {
    return Status::invalid_argument("input_std must be a positive number, got " + std::to_string(c.input_std));
  }
  if (c.feature_mean.size() != c.feature_std.size() ||
      (!c.feature_mean.empty() && c.feature_mean.size() != static_cast<std::size_t>(c.widths.front()))) {
    return Status::invalid_argument("per-feature standardization needs " + std::to_string(c.widths.front()) +
                                    " means and standard deviations (one per input), got " +
                                    std::to_string(c.feature_mean.size()) + " and " + std::to_string(c.feature_std.size()));
  }
  for (std::size_t j = 0; j < c.feature_mean.size(); ++j) {
    if (!std::isfinite(c.feature_mean[j]) || !(c.feature_std[j] > 0.0f) || !std::isfinite(c.feature_std[j])) {
      return Status::invalid_argument("per-feature standardization of feature " + std::to_string(j) +
                                      ": the mean must be finite and the standard deviation positive");
    }
  }
  IST_RETURN_IF_ERROR(validate(c.sgd));
  for (std::size_t i = 0; i < c.schedule.size(); ++i) {
    const SchedulePhase& p = c.schedule[i];
    const std::string which = "schedule phase " + std::to_string(i + 1) + ": ";
    if (!std::isfinite(p.from_epoch) || p.from_epoch < 0.0) {
      return Status::invalid_argument(which + "from_epoch must be a non-negative number, got " + std::to_string(p.from_epoch));
    }
    if (i > 0 && !(p.from_epoch > c.schedule[i - 1].from_epoch)) {
      return Status::invalid_argument(which + "from_epoch " + std::to_string(p.from_epoch) +
                                      " must come after the previous phase's " + std::to_string(c.schedule[i - 1].from_epoch));
    }
    if (p.subnets < 0 || p.subnets > c.workers) {
      return Status::invalid_argument(which + "subnets must be between 1 and the " + std::to_string(c.workers) +
                                      " workers, got " + std::to_string(p.subnets));
    }
    if (p.learning_rate < 0.0f || !std::isfinite(p.learning_rate)) {
      return Status::invalid_argument(which + "learning_rate must be a positive number, got " + std::to_string(p.learning_rate));
    }
    if (p.local_steps < 0 || p.local_steps > kMaxLocalSteps) {
      return Status::invalid_argument(which + "local_steps must be between 1 and " + std::to_string(kMaxLocalSteps));
    }
    if (c.algorithm == Algorithm::kIst && p.subnets > 0) {
      for (std::size_t l = 1; l + 1 < c.widths.size(); ++l) {
        if (c.widths[l] < p.subnets) {
          return Status::invalid_argument(which + "hidden layer " + std::to_string(l) + " has " +
                                          std::to_string(c.widths[l]) + " neurons, fewer than the " +
                                          std::to_string(p.subnets) + " subnets (S must not exceed H)");
        }
      }
    }
  }
  return Status::ok_status();
}

bool normalizes_inputs(const TrainingConfig& c) {
  return !c.feature_mean.empty() || c.input_mean != 0.0f || c.input_std != 1.0f;
}

void normalize_inputs(const TrainingConfig& c, Dataset& data) {
  if (!normalizes_inputs(c)) return;
  if (!c.feature_mean.empty()) {
    std::vector<float> inverse_std;
    for (float s : c.feature_std) inverse_std.push_back(1.0f / s);
    const Index cols = data.features.cols();
    for (Index i = 0; i < data.features.rows(); ++i) {
      float* x = data.features.data() + i * cols;
      for (Index j = 0; j < cols; ++j) {
        const std::size_t f = static_cast<std::size_t>(j);
        x[j] = (x[j] - c.feature_mean[f]) * inverse_std[f];
      }
    }
    return;
  }
  const float mean = c.input_mean;
  const float inverse_std = 1.0f / c.input_std;
  float* x = data.features.data();
  const Index n = data.features.size();
  for (Index i = 0; i < n; ++i) x[i] = (x[i] - mean) * inverse_std;
}

std::int64_t samples_per_round(const TrainingConfig& c) {
  return static_cast<std::int64_t>(c.workers) * c.local_steps * c.batch_size;
}

std::int64_t total_rounds(const TrainingConfig& c, std::int64_t train_size) {
  if (c.rounds > 0) return c.rounds;
  bool steps_change = false;
  for (const SchedulePhase& p : c.schedule) steps_change |= p.local_steps > 0;
  if (!steps_change) {
    const double rounds = std::ceil(c.epochs * static_cast<double>(train_size) /
                                    static_cast<double>(samples_per_round(c)) - 1e-9);
    return rounds < 1.0 ? 1 : static_cast<std::int64_t>(rounds);
  }
  // R changes along the way: count rounds as the run loop does (all W workers in every round).
  std::int64_t rounds = 0;
  for (double epochs = 0.0; epochs < c.epochs - 1e-9; ++rounds) {
    const std::int64_t samples = static_cast<std::int64_t>(c.workers) * round_settings_at(c, epochs).local.steps * c.batch_size;
    epochs += static_cast<double>(samples) / static_cast<double>(train_size);
  }
  return rounds < 1 ? 1 : rounds;
}

RoundSettings round_settings_at(const TrainingConfig& c, double epochs_done) {
  SgdOptions sgd = c.sgd;
  RoundSettings settings;
  settings.subnets = c.subnets;
  settings.local.steps = c.local_steps;
  for (const SchedulePhase& p : c.schedule) {
    if (p.from_epoch > epochs_done + 1e-9) break;
    if (p.subnets > 0) settings.subnets = p.subnets;
    if (p.learning_rate > 0.0f) sgd.learning_rate = p.learning_rate;
    if (p.local_steps > 0) settings.local.steps = p.local_steps;
  }
  settings.local.batch_size = c.batch_size;
  settings.local.learning_rate = learning_rate_at(sgd, epochs_done);
  settings.local.momentum = c.sgd.momentum;
  settings.local.weight_decay = c.sgd.weight_decay;
  settings.local.subnet_lr = SubnetLrCorrection{c.sgd.subnet_lr_power, c.sgd.subnet_lr_on_bias};
  return settings;
}

LocalTrainingOptions local_options_at(const TrainingConfig& c, double epochs_done) {
  return round_settings_at(c, epochs_done).local;
}

std::uint64_t batch_seed_for_shard(std::uint64_t run_seed, int shard) {
  return derive_seed(run_seed, {kSeedBatchOrder, static_cast<std::uint64_t>(shard)});
}

}  // namespace ist
