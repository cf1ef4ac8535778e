// The test accuracy of a finished round's model, computed on a thread of its own while the caller goes
// on (the run loop trains the next round), for the round's record that waits for it. Not a thread pool:
// one evaluation, one thread, joined by wait() or the destructor. The model is read in place, not copied
// (a driver's memory stays within twice its model).
#pragma once

#include <future>

#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/round_record.h"

namespace ist {

class OverlappedEvaluation {
 public:
  // Starts accuracy() (ist/mlp.h: every core) on `model`. `record` is kept for the caller until wait().
  // REQUIRES: `model` and `test` outlive this object and do not change until finished() returned; the
  // test features have the model's input width.
  OverlappedEvaluation(RoundRecord record, const Mlp& model, const Dataset& test);
  ~OverlappedEvaluation();  // waits for the thread
  OverlappedEvaluation(const OverlappedEvaluation&) = delete;
  OverlappedEvaluation& operator=(const OverlappedEvaluation&) = delete;

  // Blocks until the evaluation no longer reads the model (it is done). Any number of calls.
  void finished() const { accuracy_.wait(); }
  // The accuracy; blocks until it is in. REQUIRES: called at most once.
  double wait() { return accuracy_.get(); }

  RoundRecord record;  // the round the evaluation is for; the caller fills in its accuracy

 private:
  std::future<double> accuracy_;
};

}  // namespace ist
