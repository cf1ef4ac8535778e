// What a trained model does on a labelled data set: accuracy, mean cross-entropy, the confusion matrix
// and each class's accuracy; and its predictions on any data set. For `ist eval` and `ist predict`.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"

namespace ist {

struct Evaluation {
  std::int64_t examples = 0;
  double accuracy = 0.0;
  double mean_loss = 0.0;  // softmax cross-entropy, natural log
  // confusion[true][predicted]: how many examples of class `true` the model called `predicted`.
  std::vector<std::vector<std::int64_t>> confusion;
  // Each class's accuracy (recall); NaN-free: a class without examples has 0 and no examples counted.
  std::vector<double> class_accuracy;
  std::vector<std::int64_t> class_examples;
};

struct Prediction {
  std::int32_t predicted = 0;
  float confidence = 0.0f;  // the softmax probability of the predicted class
  std::vector<float> probabilities;  // the softmax probability of every class
};

// Errors: invalid_argument when the data's feature count is not the model's input width, or a label is
// not one of the model's classes (naming the example).
Result<Evaluation> evaluate(const Mlp& model, const Dataset& data);
// accuracy() of ist/mlp.h (the fraction of rows whose arg-max logit is the label) with its chunks of
// accuracy_chunk_rows rows spread over `threads` threads; ist::accuracy without a count uses every core of
// this host. The result is the same whatever the thread count (chunk bounds fixed by the model, integer
// counts). Matrix products must
// be safe to call from several threads (OpenBLAS is; `ist run` sets set_compute_threads(1)).
// REQUIRES: labels.size() == x.rows(), x.cols() is the model's input width.
double accuracy(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels, int threads);
// Rows per chunk of accuracy(): 1000, fewer for wide models so that a chunk's activations stay within 8 MiB
// per layer whatever the width (784-2048-2048-10 takes 1000 rows, 784-8192-8192-10 256: a thread's
// buffers there were 66 MiB at 1000 rows). Depends on the widths only, never on the thread count.
Index accuracy_chunk_rows(const Mlp& model);
// Errors: invalid_argument when the feature count is not the model's input width.
Result<std::vector<Prediction>> predict(const Mlp& model, const Matrix& features);

}  // namespace ist
