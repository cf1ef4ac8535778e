// Input standardization measured on the training data. Every holder of training data (a trainer with its
// shard or its private file, or the in-process reference with all shards) measures its part's moments;
// the parts are combined in shard order. The driver never needs the data itself, and the reference, which
// measures the same shards with the same functions in the same order, gets the same numbers bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/training_config.h"

namespace ist {

// One part's moments, per feature, in double: the count, the mean and the sum of squared deviations from
// the mean (M2). Two passes over the data, so no catastrophic cancellation as with sum and sum of squares.
struct FeatureMoments {
  std::int64_t count = 0;
  std::vector<double> mean;
  std::vector<double> m2;
};

FeatureMoments measure_moments(const Dataset& data);

// The moments of the union of the parts, combined left to right with Chan, Golub and LeVeque's pairwise
// update (exact in exact arithmetic, stable in floating point). Parts with no examples are skipped.
// Errors: invalid_argument when the parts' feature counts differ or no part holds an example.
Result<FeatureMoments> combine_moments(const std::vector<FeatureMoments>& parts);

// Writes the measured standardization into config: config.standardize kGlobal sets input_mean and
// input_std to the mean and standard deviation of all feature values; kPerFeature sets feature_mean and
// feature_std. A constant feature (standard deviation below 1e-6 of its magnitude, or 0) gets std 1: it is
// only centred. Afterwards config.standardize is kGiven. No-op when it already was.
void apply_measured_standardization(TrainingConfig& config, const FeatureMoments& total);

// measure_moments of every shard, combined in order and applied (no-op when config.standardize is kGiven).
// Errors: combine_moments'.
Status measure_standardization(TrainingConfig& config, const std::vector<Dataset>& shards);

}  // namespace ist
