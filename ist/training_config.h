// What an experiment asks for: the model, the algorithm and its parameters, the schedule, the seed.
// Plain data shared by the in-process reference and the distributed driver (which reads it from TOML).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/local_training.h"
#include "ist/sgd.h"
#include "ist/slice.h"

namespace ist {

// The most local steps one round may ask of a trainer: a config is refused above it, and so is a train
// request (a trainer will not be pinned for hours by one message).
inline constexpr int kMaxLocalSteps = 100000;

enum class Algorithm {
  kIst,           // independent subnets, one per worker, R local steps per round
  kDataParallel,  // every step: gradients summed by ring all-reduce; a round is R steps
  kLocalSgd,      // R local steps on the full model, then parameters averaged by ring all-reduce
};

const char* algorithm_name(Algorithm algorithm);  // "ist", "data_parallel", "local_sgd"
Result<Algorithm> parse_algorithm(const std::string& name);
Result<SubnetScaling> parse_scaling(const std::string& name);  // "inverted_dropout", "sqrt", "none"
const char* scaling_name(SubnetScaling scaling);
Result<ShardPolicy> parse_shard_policy(const std::string& name);  // "iid", "label_skew"
const char* shard_policy_name(ShardPolicy policy);

enum class Standardize {
  kGiven,       // the values in the config
  kGlobal,      // to be measured: one mean and standard deviation over all feature values
  kPerFeature,  // to be measured: a mean and standard deviation per feature
};
const char* standardize_name(Standardize standardize);  // "given", "global", "per_feature"

// One phase of a schedule over training: from epoch `from_epoch` on (training-set passes done), the
// settings it names replace those in force (the config's, or an earlier phase's). 0 leaves one unchanged.
struct SchedulePhase {
  double from_epoch = 0.0;
  int subnets = 0;             // IST's S (1 <= S <= W)
  float learning_rate = 0.0f;  // the base rate; warmup and decay still apply by epoch
  int local_steps = 0;         // R
};

struct TrainingConfig {
  std::vector<int> widths = {784, 2048, 2048, 10};
  Algorithm algorithm = Algorithm::kIst;
  int workers = 4;       // W
  // IST: S, the subnets per round (1 <= S <= W; 0: W, one per trainer). Each subnet is trained by about
  // W/S trainers whose slices are averaged before the merge (subnet_groups.h): S = W is IST, S = 1 is
  // local SGD through the driver. A round with fewer live trainers than S uses one subnet per trainer.
  int subnets = 0;
  int local_steps = 20;  // R
  int batch_size = 128;
  SgdOptions sgd;
  // Default sqrt (see slice.h): with inverted dropout the subnets' pre-activations have S times the full
  // model's variance; sqrt scaling keeps it, and measured 0.862 vs 0.81 at 10 epochs (bench_ist_accuracy).
  SubnetScaling scaling = SubnetScaling::kSqrt;
  // Input standardization: every feature value x becomes (x - input_mean) / input_std before training and
  // evaluation, or, when feature_mean is set, feature j's value becomes (x - feature_mean[j]) /
  // feature_std[j]. Whoever loads data applies it with normalize_inputs (run_reference does so on copies of
  // the shards and the test set; the distributed trainers and driver must do the same). Defaults: the
  // Fashion-MNIST training-set pixel mean and standard deviation (pixels in [0, 1]). input_mean = 0 and
  // input_std = 1 leave the data as loaded. Worth +0.02 test accuracy at 3 epochs for IST.
  // standardize kGlobal or kPerFeature: the values are not known yet but measured on the training data
  // before training (ist/standardization.h); run_reference and the driver do so, and then it is kGiven.
  Standardize standardize = Standardize::kGiven;
  float input_mean = 0.2860f;
  float input_std = 0.3530f;
  std::vector<float> feature_mean;  // per feature (widths[0] values) or empty
  std::vector<float> feature_std;
  ShardPolicy shard_policy = ShardPolicy::kIid;
  // Length of the run: `rounds` if > 0, else enough rounds to cover `epochs` passes over the training set.
  std::int64_t rounds = 0;
  double epochs = 10.0;
  int eval_every = 5;            // evaluate test accuracy every E rounds (and after the last round)
  double target_accuracy = 0.0;  // stop after the first evaluation at or above this (0: never)
  std::uint64_t seed = 1;
  // Changes over training, in ascending from_epoch (e.g. IST early, fewer larger subnets later). A round
  // runs with the phases whose from_epoch is at most the epochs done before it. Empty: no changes.
  std::vector<SchedulePhase> schedule;
};

// What one round runs with: its local training and, for IST, the number of subnets S (0: one per trainer).
struct RoundSettings {
  LocalTrainingOptions local;
  int subnets = 0;
};

// Errors: invalid_argument naming the field and the value (widths, workers < 1, subnets outside [0, W],
// S > H for IST, a schedule out of order or with a value out of range, batch or
// steps < 1, both rounds and epochs unset, eval_every < 1, input_std <= 0 or a non-finite input_mean or
// input_std, feature_mean/feature_std not both empty or both of widths[0] finite values (std > 0), bad SGD
// options).
Status validate(const TrainingConfig& config);

// True unless input_mean == 0 and input_std == 1 and no per-feature values (the data is used as loaded).
bool normalizes_inputs(const TrainingConfig& config);

// In place: data.features = (data.features - config.input_mean) / config.input_std, or per feature (no-op
// if !normalizes_inputs(config)). REQUIRES: validate(config) is ok, standardize is kGiven, and with
// per-feature values the data has feature_mean.size() features.

void normalize_inputs(const TrainingConfig& config, Dataset& data);

// Samples all workers together process in one round: W * R * batch (R of the first round).
std::int64_t samples_per_round(const TrainingConfig& config);

// The number of rounds the run will take for a training set of train_size examples.
std::int64_t total_rounds(const TrainingConfig& config, std::int64_t train_size);

// The settings of one round that starts after epochs_done epochs (the schedule's phases applied).
RoundSettings round_settings_at(const TrainingConfig& config, double epochs_done);
// round_settings_at(config, epochs_done).local.
LocalTrainingOptions local_options_at(const TrainingConfig& config, double epochs_done);

// Seed of worker w's batch cursor: its batch order depends on the run seed and its shard only.
std::uint64_t batch_seed_for_shard(std::uint64_t run_seed, int shard);

}  // namespace ist
