// The test accuracy of a finished round's model, computed on a thread of its own while the caller goes
// on (the run loop trains the next round), for the round's record that waits for it. Not a thread pool:
// one evaluation, one thread, joined by wait() or the destructor. The model is read in place, not copied
// (a driver's memory stays within twice its model). A model that is still arriving (a partitioned
// model's gather, begun before the next round) is finished by `prepare` on the same thread first.
#pragma once

#include <functional>
#include <future>

#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/round_record.h"

namespace ist {

class OverlappedEvaluation {
 public:
  // Starts prepare() (when given; its error is the evaluation's), then accuracy() (ist/mlp.h: every core)
  // on `model`. `record` is kept for the caller until wait().
  // REQUIRES: `model` and `test` outlive this object and do not change until finished() returned, except
  // by prepare; after prepare the test features have the model's input width.
  OverlappedEvaluation(RoundRecord record, const Mlp& model, const Dataset& test,
                       std::function<Status()> prepare = {});
  ~OverlappedEvaluation();  // waits for the thread
  OverlappedEvaluation(const OverlappedEvaluation&) = delete;
  OverlappedEvaluation& operator=(const OverlappedEvaluation&) = delete;

  // Blocks until the evaluation no longer reads the model (it is done). Any number of calls.
  void finished() const { accuracy_.wait(); }
  // The accuracy, or prepare's error; blocks until it is in. REQUIRES: called at most once.
  Result<double> wait() { return accuracy_.get(); }
  // How long prepare took. REQUIRES: after wait().
  double prepare_seconds() const { return prepare_seconds_; }

  RoundRecord record;  // the round the evaluation is for; the caller fills in its accuracy

 private:
  double prepare_seconds_ = 0.0;  // written by the thread before its result, read after wait()
  std::future<Result<double>> accuracy_;
};

}  // namespace ist
