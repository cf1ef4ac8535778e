#include "ist/overlapped_evaluation.h"

#include <utility>

namespace ist {

OverlappedEvaluation::OverlappedEvaluation(RoundRecord round_record, const Mlp& model, const Dataset& test)
    : record(std::move(round_record)) {
  accuracy_ = std::async(std::launch::async,
                         [&model, &test] { return accuracy(model, test.features, test.labels); });
}

OverlappedEvaluation::~OverlappedEvaluation() {
  if (accuracy_.valid()) accuracy_.wait();
}

}  // namespace ist
