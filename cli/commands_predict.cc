// `ist predict`: a model file's predictions on a data file, labelled or not, as CSV.
#include <cstdio>
#include <sstream>

#include "cli/commands.h"
#include "cli/program.h"
#include "ist/data_source.h"
#include "ist/evaluation.h"
#include "ist/model_io.h"
#include "ist/safetensors.h"
#include "ist/standalone_model.h"

namespace ist::cli {

namespace {

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string quoted = "\"";
  for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int command_predict(const PredictArgs& args) {
  const std::string suffix = ".csv";
  if (args.output.size() <= suffix.size() || args.output.compare(args.output.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return fail("cannot write predictions to " + args.output + ": the output is a CSV file, name it *.csv");
  }
  auto file = load_safetensors(args.model);
  if (!file.ok()) return fail("cannot predict: " + file.status().to_string());
  auto model = model_from_tensors(*file);
  if (!model.ok()) return fail("cannot predict with " + args.model + ": " + model.status().to_string());
  const std::vector<std::string> names = class_names_of(file->metadata);
  auto data = load_features(args.data, args.split == "train" ? Split::kTrain : Split::kTest,
                            static_cast<int>(model->layers.front().inputs()));
  if (!data.ok()) return fail("cannot predict: " + data.status().to_string());
  auto predictions = predict(*model, data->features);
  if (!predictions.ok()) return fail("cannot predict on " + args.data.path + ": " + predictions.status().to_string());
  const bool labelled = !data->labels.empty();
  const std::size_t classes = static_cast<std::size_t>(model->layers.back().outputs());
  // One row per example: its index, the predicted class (and name), the label if known, each class's probability.
  std::ostringstream out;
  out << "example,predicted" << (names.empty() ? "" : ",predicted_name") << (labelled ? ",label" : "");
  for (std::size_t c = 0; c < classes; ++c) out << ",p_" << c;
  out << "\n";
  std::int64_t correct = 0;
  char number[32];
  for (std::size_t i = 0; i < predictions->size(); ++i) {
    const Prediction& p = (*predictions)[i];
    out << i << "," << p.predicted;
    if (!names.empty()) out << "," << csv_field(static_cast<std::size_t>(p.predicted) < names.size() ? names[static_cast<std::size_t>(p.predicted)] : "");
    if (labelled) {
      out << "," << data->labels[i];
      correct += data->labels[i] == p.predicted ? 1 : 0;
    }
    for (float probability : p.probabilities) {
      std::snprintf(number, sizeof(number), ",%.6g", static_cast<double>(probability));
      out << number;
    }
    out << "\n";
  }
  if (Status s = write_file_atomically(args.output, out.str()); !s.ok()) return fail(s.to_string());
  std::printf("wrote %s: %zu predictions", args.output.c_str(), predictions->size());
  if (labelled) {
    std::printf(", accuracy %.4f against the file's labels", static_cast<double>(correct) / static_cast<double>(predictions->size()));
  }
  std::printf("\n");
  return 0;
}

}  // namespace ist::cli
