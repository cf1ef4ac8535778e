#include "ist/overlapped_evaluation.h"

#include <chrono>
#include <utility>

namespace ist {

OverlappedEvaluation::OverlappedEvaluation(RoundRecord round_record, const Mlp& model, const Dataset& test,
                                           std::function<Status()> prepare)
    : record(std::move(round_record)) {
  accuracy_ = std::async(std::launch::async, [this, &model, &test, prepare = std::move(prepare)]() -> Result<double> {
    if (prepare) {
      const auto start = std::chrono::steady_clock::now();
      const Status prepared = prepare();
      prepare_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      IST_RETURN_IF_ERROR(prepared);
    }
    return accuracy(model, test.features, test.labels);
  });
}

OverlappedEvaluation::~OverlappedEvaluation() {
  if (accuracy_.valid()) accuracy_.wait();
}

}  // namespace ist
