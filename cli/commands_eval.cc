// `ist eval`: a model file on a labelled data set, in any format the runs read (ist/data_source.h).
#include <cstdio>

#include "cli/commands.h"
#include "cli/program.h"
#include "ist/data_source.h"
#include "ist/evaluation.h"
#include "ist/model_io.h"

namespace ist::cli {

int command_eval(const EvalArgs& args) {
  auto model = load_model(args.model);
  if (!model.ok()) return fail("cannot evaluate: " + model.status().to_string());
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
  std::printf("class  examples  accuracy  predicted as (confusion matrix row)\n");
  for (std::size_t c = 0; c < e->confusion.size(); ++c) {
    std::printf("%5zu  %8lld  %8.4f ", c, static_cast<long long>(e->class_examples[c]), e->class_accuracy[c]);
    for (std::int64_t v : e->confusion[c]) std::printf(" %6lld", static_cast<long long>(v));
    std::printf("\n");
  }
  return 0;
}

}  // namespace ist::cli
