// A trained model that stands alone: the input standardization the run applied to its data, folded into
// the first layer, so the model takes raw features and returns logits; and metadata that says what the
// file is, so another program (numpy, PyTorch) can use it without reading this project's code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ist/mlp.h"
#include "ist/training_config.h"

namespace ist {

// The model that computes on raw x what `model` computes on (x - mean) / std:
// W1' = W1 / std, b1' = b1 - (mean / std) * (row sums of W1), computed in double and rounded once.
// The model is taken by value and folded in place: pass it with std::move when it is not needed as it was.
// REQUIRES: std > 0 and finite; model has at least one layer whose input_scale is 1.
Mlp fold_input_standardization(Mlp model, float mean, float std);
// Per feature: W1'[i][j] = W1[i][j] / std[j], b1' = b1 - sum_j W1[i][j] * mean[j] / std[j].
// REQUIRES: mean and std have the first layer's input count of values, std all > 0.
Mlp fold_input_standardization(Mlp model, const std::vector<float>& mean, const std::vector<float>& std);
// The standardization config applies (normalize_inputs), folded: per feature or global as it says.
// REQUIRES: config.standardize is kGiven.
Mlp fold_input_standardization(Mlp model, const TrainingConfig& config);

// What a standalone model file says of itself.
struct ModelCard {
  float folded_mean = 0.0f;  // the standardization folded into the first layer
  float folded_std = 1.0f;
  std::string run;                       // the run that trained it
  std::optional<double> test_accuracy;   // its final test accuracy, if evaluated
  std::string algorithm;                 // "ist", "data_parallel", "local_sgd"
  bool folded_per_feature = false;  // then a mean and std per feature were folded (not folded_mean, _std)
  std::vector<std::string> class_names;  // the name of each output, when known
};

// Metadata for a standalone model: architecture ("mlp"), activation ("relu" between layers, none after
// the last), input_size, classes, input ("raw features: the standardization is folded into layer 0"),
// folded_standardization, run, final_test_accuracy, algorithm, ist_version, and class_names (a JSON array
// of strings, index = class) when known.
std::map<std::string, std::string> standalone_metadata(const Mlp& model, const ModelCard& card);

// The class names a model file's metadata holds ("class_names"); empty when it holds none or they do not
// read as a JSON array of strings.
std::vector<std::string> class_names_of(const std::map<std::string, std::string>& metadata);

}  // namespace ist
