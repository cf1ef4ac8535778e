// The messages the driver and the trainers exchange, as msgpack-serializable structs. Tensors never go
// in here: they travel as raw blobs beside these headers (see tensor_frames.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "ist/data.h"
#include "ist/data_source.h"
#include "ist/local_training.h"
#include "ist/standardization.h"
#include "ist/training_config.h"
#include "runtime/handle.h"

namespace ist::actors {

// Where a trainer finds its training data (see ist::DataSource; the test files are the driver's).
struct WireDataSource {
  std::string path;
  std::string format;
  std::string labels_path;
  std::string features_key = "x";
  std::string labels_key = "y";
  std::string label_column;
  double holdout = 0.0;  // the share held out for the driver's test set: in no trainer's shard
  std::uint64_t holdout_seed = 0;
  MSGPACK_DEFINE(path, format, labels_path, features_key, labels_key, label_column, holdout, holdout_seed)
};

inline WireDataSource to_wire(const DataSource& d) {
  return WireDataSource{d.path,       d.format,        d.labels_path, d.features_key, d.labels_key,
                        d.label_column, d.holdout, d.holdout_seed};
}
inline DataSource from_wire(const WireDataSource& w) {
  DataSource d;
  d.path = w.path;
  d.format = w.format;
  d.labels_path = w.labels_path;
  d.features_key = w.features_key;
  d.labels_key = w.labels_key;
  d.label_column = w.label_column;
  d.holdout = w.holdout;
  d.holdout_seed = w.holdout_seed;
  return d;
}

// Where a trainer finds its data and which shard is its own.
struct TrainerSpec {
  WireDataSource data;
  int shard = 0;
  int num_shards = 1;
  std::string shard_policy = "iid";
  std::uint64_t shard_seed = 0;
  float input_mean = 0.0f;  // features become (x - input_mean) / input_std after loading
  float input_std = 1.0f;
  int classes = 0;  // the model's output width: every label must be below it (0: not checked at load)
  std::vector<float> feature_mean;  // when set: feature j becomes (x - feature_mean[j]) / feature_std[j]
  std::vector<float> feature_std;
  MSGPACK_DEFINE(data, shard, num_shards, shard_policy, shard_seed, input_mean, input_std, classes, feature_mean,
                 feature_std)
};

// Standardizes a freshly loaded shard as its spec says (what every trainer does after loading).
// Errors: invalid_argument when the spec's standardization is unusable or does not fit the data.
inline Status standardize_as_specified(const TrainerSpec& spec, Dataset& shard) {
  TrainingConfig standardization;
  standardization.widths = {static_cast<int>(shard.feature_count()), 1};
  standardization.input_mean = spec.input_mean;
  standardization.input_std = spec.input_std;
  standardization.feature_mean = spec.feature_mean;
  standardization.feature_std = spec.feature_std;
  standardization.rounds = 1;
  standardization.algorithm = Algorithm::kDataParallel;  // no hidden layer needed to check the standardization
  IST_RETURN_IF_ERROR(validate(standardization));
  normalize_inputs(standardization, shard);
  return Status::ok_status();
}

// True when a shard loaded by `loaded` becomes the one `wanted` describes by standardize_as_specified
// alone: the same data cut (source, shard, count, policy, seed, classes) and `loaded` left the features as
// they were (mean 0, std 1, no per-feature values). The trainers' second load, once the driver measured
// the standardization on their raw shards, is then done in place: no second copy of the shard, no reading.
inline bool only_standardization_differs(const TrainerSpec& loaded, const TrainerSpec& wanted) {
  const bool loaded_raw = loaded.input_mean == 0.0f && loaded.input_std == 1.0f && loaded.feature_mean.empty() &&
                          loaded.feature_std.empty();
  if (!loaded_raw) return false;
  const auto cut_of = [](TrainerSpec spec) {
    spec.input_mean = 0.0f;
    spec.input_std = 1.0f;
    spec.feature_mean.clear();
    spec.feature_std.clear();
    msgpack::sbuffer bytes;
    msgpack::pack(bytes, spec);
    return std::string(bytes.data(), bytes.size());
  };
  return cut_of(loaded) == cut_of(wanted);
}

// A shard's moments, for the standardization measured on the training data (ist/standardization.h).
struct WireMoments {
  std::int64_t count = 0;
  std::vector<double> mean;
  std::vector<double> m2;
  MSGPACK_DEFINE(count, mean, m2)
};
inline WireMoments to_wire(const FeatureMoments& m) { return {m.count, m.mean, m.m2}; }
inline FeatureMoments from_wire(const WireMoments& w) { return {w.count, w.mean, w.m2}; }

struct WireCursor {
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  std::int64_t position = 0;
  MSGPACK_DEFINE(seed, epoch, position)
};

struct WireTrainOptions {
  int steps = 0;
  int batch_size = 0;
  float learning_rate = 0.0f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  float subnet_lr_power = 2.0f;
  bool subnet_lr_on_bias = true;
  MSGPACK_DEFINE(steps, batch_size, learning_rate, momentum, weight_decay, subnet_lr_power, subnet_lr_on_bias)
};

// Header of an IST train request; the blobs are the subnet's layers (weight, bias per layer), filled
// straight from the full model. The neurons are not sent: the trainer trains an ordinary small net, and
// the driver knows from the round's plan where its slice goes. The reply echoes round and subnet.
struct IstTrainRequest {
  std::int64_t round = 0;
  int subnet = 0;
  WireTrainOptions options;
  WireCursor cursor;
  std::vector<float> input_scales;
  std::vector<std::int64_t> layer_shapes;  // rows, cols of each layer's weight, flattened
  MSGPACK_DEFINE(round, subnet, options, cursor, input_scales, layer_shapes)
};

// A scripted fault for a trainer's next IST call only, armed by its own message ("arm_fault") so that
// fault injection never rides in the training protocol.
struct FaultPlan {
  bool crash_midway = false;  // its process exits halfway through the local steps (as kill -9 would)
  bool leave_midway = false;  // halfway through, its node is asked to leave (SIGTERM: it finishes the round)
  int step_delay_ms = 0;      // it sleeps this long after every step
  bool empty() const { return !crash_midway && !leave_midway && step_delay_ms == 0; }
  MSGPACK_DEFINE(crash_midway, leave_midway, step_delay_ms)
};

// Header of a trainer's reply (IST: with the trained subnet as blobs; baselines: no blobs unless the
// model was asked for).
struct TrainReply {
  std::int64_t round = 0;
  int subnet = 0;
  double mean_loss = 0.0;
  int steps = 0;
  WireCursor cursor;
  double compute_seconds = 0.0;
  double decode_seconds = 0.0;
  double ring_seconds = 0.0;
  std::int64_t ring_bytes_sent = 0;
  std::vector<std::int64_t> layer_shapes;
  MSGPACK_DEFINE(round, subnet, mean_loss, steps, cursor, compute_seconds, decode_seconds, ring_seconds,
                 ring_bytes_sent, layer_shapes)
};

// Sets up a baseline replica: the ring it belongs to and its rank; the model arrives as blobs.
struct ReplicaSetup {
  std::vector<rt::ActorHandle> ring;
  int rank = 0;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  std::vector<std::int64_t> layer_shapes;
  MSGPACK_DEFINE(ring, rank, momentum, weight_decay, layer_shapes)
};

// One baseline round: R steps of data parallel or local SGD; return_model asks for the model as blobs.
struct BaselineRoundRequest {
  std::int64_t round = 0;
  std::string algorithm;  // "data_parallel" or "local_sgd"
  WireTrainOptions options;
  WireCursor cursor;
  bool return_model = false;
  MSGPACK_DEFINE(round, algorithm, options, cursor, return_model)
};

inline WireCursor to_wire(const BatchCursor& c) { return {c.seed, c.epoch, c.position}; }
inline BatchCursor from_wire(const WireCursor& c) { return {c.seed, c.epoch, c.position}; }
inline WireTrainOptions to_wire(const LocalTrainingOptions& o) {
  WireTrainOptions w;
  w.steps = o.steps;
  w.batch_size = o.batch_size;
  w.learning_rate = o.learning_rate;
  w.momentum = o.momentum;
  w.weight_decay = o.weight_decay;
  w.subnet_lr_power = o.subnet_lr.power;
  w.subnet_lr_on_bias = o.subnet_lr.on_bias;
  return w;
}
inline LocalTrainingOptions from_wire(const WireTrainOptions& w) {
  LocalTrainingOptions o;
  o.steps = w.steps;
  o.batch_size = w.batch_size;
  o.learning_rate = w.learning_rate;
  o.momentum = w.momentum;
  o.weight_decay = w.weight_decay;
  o.subnet_lr.power = w.subnet_lr_power;
  o.subnet_lr.on_bias = w.subnet_lr_on_bias;
  return o;
}

}  // namespace ist::actors
