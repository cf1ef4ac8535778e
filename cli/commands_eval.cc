// `ist eval`: a model file on a labelled data set, in any format the runs read (ist/data_source.h).
#include <cstdio>

#include "cli/commands.h"
#include "cli/program.h"
#include "ist/data_source.h"
#include "ist/evaluation.h"
#include "ist/model_io.h"
#include "ist/standalone_model.h"

namespace ist::cli {

int command_eval(const EvalArgs& args) {
  auto file = load_safetensors(args.model);
  if (!file.ok()) return fail("cannot evaluate: " + file.status().to_string());
  auto model = model_from_tensors(*file);
  if (!model.ok()) return fail("cannot evaluate " + args.model + ": " + model.status().to_string());
  const std::vector<std::string> names = class_names_of(file->metadata);
  // One file holds the set: it is the test file (and its labels) too.
  DataSource source = args.data;
  source.test_path = source.path;
  source.test_labels_path = source.labels_path;
  // An IDX directory holds both splits; the other formats are one file, the one given.
  auto data = load_dataset(source, args.split == "train" ? Split::kTrain : Split::kTest);
  if (!data.ok()) return fail("cannot evaluate: " + data.status().to_string());
  auto e = evaluate(*model, *data);
  if (!e.ok()) return fail("cannot evaluate " + args.model + " on " + args.data.path + ": " + e.status().to_string());
  std::printf("%s on %s: %lld examples, accuracy %.4f, mean loss %.4f\n", args.model.c_str(), args.data.path.c_str(),
              static_cast<long long>(e->examples), e->accuracy, e->mean_loss);
  std::printf("class  examples  accuracy  predicted as (confusion matrix row)%s\n", names.empty() ? "" : "  name");
  for (std::size_t c = 0; c < e->confusion.size(); ++c) {
    std::printf("%5zu  %8lld  %8.4f ", c, static_cast<long long>(e->class_examples[c]), e->class_accuracy[c]);
    for (std::int64_t v : e->confusion[c]) std::printf(" %6lld", static_cast<long long>(v));
    if (c < names.size()) std::printf("  %s", names[c].c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace ist::cli
