// The one run loop: rounds until the epochs (or the configured rounds) are done or the target accuracy is
// reached, the learning-rate schedule, evaluation every eval_every rounds and after the last, and one
// RoundRecord per round. The in-process reference (reference.cc) and the distributed driver
// (actors/driver.cc) both drive their rounds through it, so they cannot disagree on when a run ends or
// when it evaluates.
#pragma once

#include <cstdint>
#include <functional>

#include "base/status.h"
#include "ist/data.h"
#include "ist/local_training.h"
#include "ist/mlp.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist {

// Where a run stands after a round: what a checkpoint needs to continue it.
struct RunProgress {
  std::int64_t next_round = 0;  // 0-based index of the next round to run
  double epochs_done = 0.0;
};

// What the loop drives: one algorithm's rounds, over any set of trainers. Called from the loop's thread.
class RoundRunner {
 public:
  virtual ~RoundRunner() = default;

  // Before round `round` (0-based): membership changes, scripted events. Events go to `record`.
  // An error ends the run with it.
  virtual Status prepare_round(std::int64_t round, RoundRecord& record) = 0;
  // How many trainers will train in the coming round (after prepare_round): the loop counts the epoch
  // this round will complete by it.
  virtual int trainers_ready() = 0;
  // Runs round `round` with `settings` (the schedule's, at this round) and fills the record's train_loss,
  // bytes and live_workers (the trainers whose work counted) and its events. `model_wanted`: the loop
  // reads model() after this round (to evaluate or checkpoint). An error ends the run with it.
  virtual Status run_round(std::int64_t round, const RoundSettings& settings, bool model_wanted,
                           RoundRecord& record) = 0;
  // The current model; valid after prepare_round and after a round that wanted it (and gather_model).
  virtual const Mlp& model() const = 0;
  // The final model, handed to the run's result once the loop reads model() no more: a runner that can
  // give its own up moves it out instead of copying it (a second model resident at the end of the run).
  virtual Mlp take_model() { return model(); }
  // Called after a round whose model the loop is about to read (evaluation, checkpoint, the end): a
  // runner whose model lives elsewhere (partitioned ownership) gathers it into model() here and returns
  // true; the loop times that apart from the round (RoundRecord::gather_seconds). False: nothing to
  // gather. An error ends the run with it.
  virtual Result<bool> gather_model() { return false; }
  // Whether the runner's checkpoints are written from model(): false for one whose model's owners write
  // them (partitioned ownership), so a round that only checkpoints needs no gather.
  virtual bool checkpoint_reads_model() const { return true; }
  // For an evaluation that overlaps the next round: a runner whose model lives elsewhere and whose rounds
  // leave model() alone (partitioned ownership) may begin the gather here and return its second half,
  // which the evaluation's thread calls before it reads model(); the model it brings is the one of this
  // moment, whatever the next round does meanwhile. Empty (the default): gather_model() now instead.
  virtual std::function<Status()> begin_background_gather() { return nullptr; }
  // After the round's evaluation (or once it started, when it overlaps the next round), before its record
  // is published. `checkpoint_due`: checkpoint_every says this round ends with a checkpoint at `progress`
  // (written once the record is published). `evaluate_seconds`: the time the loop spent evaluating (0
  // without an evaluation, or with one overlapped with the next round).
  virtual void finish_round(const RunProgress& progress, bool checkpoint_due, double evaluate_seconds,
                            RoundRecord& record) = 0;
  // After the record went to the caller's callback (its metrics line): the round's checkpoint, then e.g.
  // a scripted driver death. Not called when the callback failed.
  virtual void round_published(const RoundRecord& record) = 0;

  // True for a runner that calls before_model_changes() in run_round before it changes the model model()
  // returns: run_rounds may then evaluate a round's model while the next round trains. Others are
  // evaluated at once.
  virtual bool announces_model_changes() const { return false; }
  // Blocks until an evaluation still reading model() (of the previous round) is done. Runner's thread.
  void before_model_changes() const {
    if (await_model_readers_) await_model_readers_();
  }
  // run_rounds' hook behind before_model_changes(); empty outside run_rounds.
  void set_model_readers(std::function<void()> await) { await_model_readers_ = std::move(await); }

 private:
  std::function<void()> await_model_readers_;
};

struct RunLoopOptions {
  std::int64_t train_size = 0;  // examples in the full training set (epochs are counted against it)
  RunProgress start;            // where to start: {0, 0} or a checkpoint's progress
  int checkpoint_every = 0;     // rounds; 0 = never
  // Polled around every round (any thread may make it true, e.g. a signal watcher). Once true, the round in
  // progress is the last: it is evaluated, checkpointed (finish_round's checkpoint_due) and carries a
  // kInterrupted event; the result is marked interrupted. A baseline round that did not fetch the model
  // cannot be checkpointed, so such a run stops after the next round (which fetches it). Empty: never.
  std::function<bool()> stop_requested;
};

// A resumed run (options.start.next_round > 0) marks its first round with a kResumed event.
// With a runner that announces_model_changes(), an evaluation runs on a thread of its own
// (OverlappedEvaluation: the model in place, every core) while the next round trains, until that round
// changes the model, unless its result is needed at once: the last round, a checkpoint round, a round that
// stops, or config.target_accuracy set. That round's record is published once its accuracy is in,
// before the next round's (or before an error that ends the run is returned), so the callback sees the
// records in order and with the same values as without overlap.
// REQUIRES (such runners): round_published tolerates being called after the next round ran (only for a
// round without a checkpoint).
// Runs rounds of `runner` as `config` says and evaluates on `test` (already standardized). A run of
// `epochs` ends when the epochs are done, however many trainers did them (elastic runs); a run of
// `rounds` after that many rounds; with constant membership both give total_rounds() rounds.
// Errors: the runner's; the callback's (naming the round); diverged when a round's training loss is not
// finite, or the model is not when the loop reads it (evaluation, checkpoint, end): then the round's
// record and round_published (its checkpoint) never happen, so the last checkpoint stays the last good one.
// REQUIRES: validate(config) is ok; options.train_size > 0.
Result<RunResult> run_rounds(const TrainingConfig& config, RoundRunner& runner, const RunLoopOptions& options,
                             const Dataset& test, const RoundCallback& on_round);

}  // namespace ist
