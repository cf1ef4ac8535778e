#include "ist/standalone_model.h"

#include <cstdio>

#ifndef IST_VERSION
#define IST_VERSION "unknown"
#endif

namespace ist {

Mlp fold_input_standardization(const Mlp& model, float mean, float std) {
  Mlp folded = model;
  Linear& first = folded.layers.front();
  const double inverse_std = 1.0 / static_cast<double>(std);
  const double shift = static_cast<double>(mean) * inverse_std;
  for (Index i = 0; i < first.weight.rows(); ++i) {
    double row_sum = 0.0;
    for (Index j = 0; j < first.weight.cols(); ++j) {
      const double w = static_cast<double>(model.layers.front().weight(i, j));
      row_sum += w;
      first.weight(i, j) = static_cast<float>(w * inverse_std);
    }
    first.bias(i) = static_cast<float>(static_cast<double>(model.layers.front().bias(i)) - shift * row_sum);
  }
  return folded;
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
  m["folded_standardization"] = "(x - " + number(card.folded_mean) + ") / " + number(card.folded_std);
  if (!card.run.empty()) m["run"] = card.run;
  if (!card.algorithm.empty()) m["algorithm"] = card.algorithm;
  if (card.test_accuracy) m["final_test_accuracy"] = number(*card.test_accuracy);
  m["ist_version"] = IST_VERSION;
  return m;
}

}  // namespace ist
