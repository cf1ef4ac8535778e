#include "ist/standalone_model.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#ifndef IST_VERSION
#define IST_VERSION "unknown"
#endif

namespace ist {

Mlp fold_input_standardization(Mlp model, const std::vector<float>& mean, const std::vector<float>& std) {
  Linear& first = model.layers.front();
  for (Index i = 0; i < first.weight.rows(); ++i) {
    double shift = 0.0;
    for (Index j = 0; j < first.weight.cols(); ++j) {
      const std::size_t f = static_cast<std::size_t>(j);
      const double w = static_cast<double>(first.weight(i, j)) / static_cast<double>(std[f]);
      shift += w * static_cast<double>(mean[f]);
      first.weight(i, j) = static_cast<float>(w);
    }
    first.bias(i) = static_cast<float>(static_cast<double>(first.bias(i)) - shift);
  }
  return model;
}

Mlp fold_input_standardization(Mlp model, float mean, float std) {
  const auto inputs = static_cast<std::size_t>(model.layers.front().inputs());
  return fold_input_standardization(std::move(model), std::vector<float>(inputs, mean), std::vector<float>(inputs, std));
}

Mlp fold_input_standardization(Mlp model, const TrainingConfig& config) {
  if (!config.feature_mean.empty()) return fold_input_standardization(std::move(model), config.feature_mean, config.feature_std);
  return fold_input_standardization(std::move(model), config.input_mean, config.input_std);
}

namespace {
std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}
}  // namespace

std::map<std::string, std::string> standalone_metadata(const Mlp& model, const ModelCard& card) {
  std::map<std::string, std::string> m;
  m["architecture"] = "mlp: layers.0 .. layers." + std::to_string(model.layers.size() - 1) +
                      ", each y = x W^T + b (W is out x in)";
  m["activation"] = "relu after every layer but the last; the last gives logits";
  m["input_size"] = std::to_string(model.layers.front().inputs());
  m["classes"] = std::to_string(model.layers.back().outputs());
  m["input"] = "raw features, as in the training files: the standardization is folded into layers.0";
  m["folded_standardization"] = card.folded_per_feature
                                    ? std::string("(x[j] - mean[j]) / std[j], a mean and std per feature j")
                                    : "(x - " + number(card.folded_mean) + ") / " + number(card.folded_std);
  if (!card.class_names.empty()) m["class_names"] = nlohmann::json(card.class_names).dump();
  if (!card.run.empty()) m["run"] = card.run;
  if (!card.algorithm.empty()) m["algorithm"] = card.algorithm;
  if (card.test_accuracy) m["final_test_accuracy"] = number(*card.test_accuracy);
  m["ist_version"] = IST_VERSION;
  return m;
}

std::vector<std::string> class_names_of(const std::map<std::string, std::string>& metadata) {
  const auto it = metadata.find("class_names");
  if (it == metadata.end()) return {};
  const nlohmann::json names = nlohmann::json::parse(it->second, nullptr, false);
  std::vector<std::string> out;
  if (!names.is_array()) return {};
  for (const nlohmann::json& name : names) {
    if (!name.is_string()) return {};
    out.push_back(name.get<std::string>());
  }
  return out;
}

}  // namespace ist
