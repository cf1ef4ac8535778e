#include "ist/evaluation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

namespace ist {
namespace {

constexpr Index kBatch = 1024;

Status check_width(const Mlp& model, Index features) {
  if (features != model.layers.front().inputs()) {
    return Status::invalid_argument("the data has " + std::to_string(features) + " features but the model takes " +
                                    std::to_string(model.layers.front().inputs()));
  }
  return Status::ok_status();
}

// Calls on_row(global row, logits row) for every example, a batch at a time.
template <typename OnRow>
void for_each_logits(const Mlp& model, const Matrix& features, OnRow on_row) {
  Workspace ws;
  for (Index start = 0; start < features.rows(); start += kBatch) {
    const Index n = std::min(kBatch, features.rows() - start);
    const Matrix batch = features.middleRows(start, n);
    const Matrix& logits = forward(model, batch, ws);
    for (Index r = 0; r < n; ++r) on_row(start + r, logits.row(r));
  }
}

}  // namespace

Result<Evaluation> evaluate(const Mlp& model, const Dataset& data) {
  IST_RETURN_IF_ERROR(check_width(model, data.feature_count()));
  const int classes = model.layers.back().outputs();
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    if (data.labels[i] < 0 || data.labels[i] >= classes) {
      return Status::invalid_argument("example " + std::to_string(i) + " has label " + std::to_string(data.labels[i]) +
                                      " but the model has " + std::to_string(classes) + " classes");
    }
  }
  Evaluation e;
  e.examples = data.size();
  e.confusion.assign(static_cast<std::size_t>(classes), std::vector<std::int64_t>(static_cast<std::size_t>(classes), 0));
  double loss = 0.0;
  std::int64_t correct = 0;
  for_each_logits(model, data.features, [&](Index row, const auto& logits) {
    Index best = 0;
    const float top = logits.maxCoeff(&best);
    double sum = 0.0;
    for (Index c = 0; c < logits.size(); ++c) sum += std::exp(static_cast<double>(logits(c) - top));
    const int label = data.labels[static_cast<std::size_t>(row)];
    loss += std::log(sum) - static_cast<double>(logits(label) - top);
    correct += best == label ? 1 : 0;
    ++e.confusion[static_cast<std::size_t>(label)][static_cast<std::size_t>(best)];
  });
  e.accuracy = e.examples > 0 ? static_cast<double>(correct) / static_cast<double>(e.examples) : 0.0;
  e.mean_loss = e.examples > 0 ? loss / static_cast<double>(e.examples) : 0.0;
  for (int c = 0; c < classes; ++c) {
    const auto& row = e.confusion[static_cast<std::size_t>(c)];
    std::int64_t total = 0;
    for (std::int64_t v : row) total += v;
    e.class_examples.push_back(total);
    e.class_accuracy.push_back(total > 0 ? static_cast<double>(row[static_cast<std::size_t>(c)]) / static_cast<double>(total) : 0.0);
  }
  return e;
}

Index accuracy_chunk_rows(const Mlp& model) {
  constexpr Index kMaxRows = 1000;
  constexpr Index kMinRows = 64;
  constexpr Index kActivationBytes = Index{8} << 20;
  Index widest = 1;
  for (const Linear& layer : model.layers) widest = std::max(widest, layer.outputs());
  return std::clamp<Index>(kActivationBytes / (static_cast<Index>(sizeof(float)) * widest), kMinRows, kMaxRows);
}

double accuracy(const Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels, int threads) {
  if (x.rows() == 0) return 0.0;
  const Index chunk_rows = accuracy_chunk_rows(model);
  const Index chunks = (x.rows() + chunk_rows - 1) / chunk_rows;
  const int workers = static_cast<int>(std::clamp<Index>(threads, 1, chunks));
  // Thread t takes chunks t, t + workers, ...; each chunk's rows go through the net on their own (fixed
  // chunk bounds, so the logits do not depend on the thread count) and the counts are integers.
  std::vector<std::int64_t> correct(static_cast<std::size_t>(workers), 0);
  auto count = [&](int t) {
    Workspace ws;
    Matrix chunk;
    for (Index c = t; c < chunks; c += workers) {
      const Index start = c * chunk_rows;
      const Index rows = std::min(chunk_rows, x.rows() - start);
      chunk = x.middleRows(start, rows);
      const Matrix& logits = forward(model, chunk, ws);
      for (Index i = 0; i < rows; ++i) {
        Index best = 0;
        logits.row(i).maxCoeff(&best);
        if (best == labels[static_cast<std::size_t>(start + i)]) ++correct[static_cast<std::size_t>(t)];
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(count, t);
  count(0);
  for (std::thread& thread : pool) thread.join();
  std::int64_t total = 0;
  for (std::int64_t c : correct) total += c;
  return static_cast<double>(total) / static_cast<double>(x.rows());
}

Result<std::vector<Prediction>> predict(const Mlp& model, const Matrix& features) {
  IST_RETURN_IF_ERROR(check_width(model, features.cols()));
  std::vector<Prediction> predictions(static_cast<std::size_t>(features.rows()));
  for_each_logits(model, features, [&](Index row, const auto& logits) {
    Index best = 0;
    const float top = logits.maxCoeff(&best);
    double sum = 0.0;
    for (Index c = 0; c < logits.size(); ++c) sum += std::exp(static_cast<double>(logits(c) - top));
    Prediction& p = predictions[static_cast<std::size_t>(row)];
    p.predicted = static_cast<std::int32_t>(best);
    p.confidence = static_cast<float>(1.0 / sum);
    for (Index c = 0; c < logits.size(); ++c) p.probabilities.push_back(static_cast<float>(std::exp(static_cast<double>(logits(c) - top)) / sum));
  });
  return predictions;
}

}  // namespace ist
