#include "ist/standardization.h"

#include <cmath>

namespace ist {

FeatureMoments measure_moments(const Dataset& data) {
  FeatureMoments m;
  const Index rows = data.size();
  const Index cols = data.feature_count();
  m.count = rows;
  m.mean.assign(static_cast<std::size_t>(cols), 0.0);
  m.m2.assign(static_cast<std::size_t>(cols), 0.0);
  if (rows == 0) return m;
  for (Index i = 0; i < rows; ++i) {
    const float* x = data.features.data() + i * cols;
    for (Index j = 0; j < cols; ++j) m.mean[static_cast<std::size_t>(j)] += static_cast<double>(x[j]);
  }
  for (double& mean : m.mean) mean /= static_cast<double>(rows);
  for (Index i = 0; i < rows; ++i) {
    const float* x = data.features.data() + i * cols;
    for (Index j = 0; j < cols; ++j) {
      const double d = static_cast<double>(x[j]) - m.mean[static_cast<std::size_t>(j)];
      m.m2[static_cast<std::size_t>(j)] += d * d;
    }
  }
  return m;
}

Result<FeatureMoments> combine_moments(const std::vector<FeatureMoments>& parts) {
  FeatureMoments total;
  for (const FeatureMoments& part : parts) {
    if (part.count == 0) continue;
    if (total.count == 0) {
      total = part;
      continue;
    }
    if (part.mean.size() != total.mean.size()) {
      return Status::invalid_argument("the training data's parts have " + std::to_string(total.mean.size()) +
                                      " and " + std::to_string(part.mean.size()) + " features");
    }
    const double n_a = static_cast<double>(total.count);
    const double n_b = static_cast<double>(part.count);
    const double n = n_a + n_b;
    for (std::size_t j = 0; j < total.mean.size(); ++j) {
      const double delta = part.mean[j] - total.mean[j];
      total.mean[j] += delta * (n_b / n);
      total.m2[j] += part.m2[j] + delta * delta * (n_a * n_b / n);
    }
    total.count += part.count;
  }
  if (total.count == 0)
    return Status::invalid_argument("no training examples to measure the standardization on");
  return total;
}

namespace {

// The standard deviation to divide by: 1 for a constant feature, which is then only centred.
double usable_std(double m2, double count, double mean) {
  const double std = std::sqrt(m2 / count);
  return std > 1e-6 * std::max(1.0, std::abs(mean)) ? std : 1.0;
}

}  // namespace

void apply_measured_standardization(TrainingConfig& config, const FeatureMoments& total) {
  if (config.standardize == Standardize::kGiven) return;
  const double count = static_cast<double>(total.count);
  if (config.standardize == Standardize::kPerFeature) {
    config.feature_mean.clear();
    config.feature_std.clear();
    for (std::size_t j = 0; j < total.mean.size(); ++j) {
      config.feature_mean.push_back(static_cast<float>(total.mean[j]));
      config.feature_std.push_back(static_cast<float>(usable_std(total.m2[j], count, total.mean[j])));
    }
  } else {
    // All values as one sample: the features are groups of `count` values each, combined as above.
    const double features = static_cast<double>(total.mean.size());
    double mean = 0.0;
    for (double m : total.mean) mean += m;
    mean /= features;
    double m2 = 0.0;
    for (std::size_t j = 0; j < total.mean.size(); ++j) {
      const double d = total.mean[j] - mean;
      m2 += total.m2[j] + count * d * d;
    }
    config.input_mean = static_cast<float>(mean);
    config.input_std = static_cast<float>(usable_std(m2, count * features, mean));
    config.feature_mean.clear();
    config.feature_std.clear();
  }
  config.standardize = Standardize::kGiven;
}

Status measure_standardization(TrainingConfig& config, const std::vector<Dataset>& shards) {
  if (config.standardize == Standardize::kGiven) return Status::ok_status();
  std::vector<FeatureMoments> parts;
  for (const Dataset& shard : shards) parts.push_back(measure_moments(shard));
  IST_ASSIGN_OR_RETURN(FeatureMoments total, combine_moments(parts));
  apply_measured_standardization(config, total);
  return Status::ok_status();
}

}  // namespace ist
