#include "ist/run_loop.h"

#include "ist/overlapped_evaluation.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

namespace ist {

namespace {
using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

Status diverged(std::int64_t round, const std::string& what, float learning_rate) {
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%g", static_cast<double>(learning_rate));
  return Status::diverged("in round " + std::to_string(round + 1) + " " + what + " (learning rate " + rate +
                          "); lower algorithm.learning_rate");
}

// The loss every round (free: the trainers report it); the model whenever it is read (evaluation,
// checkpoint, the result), so a non-finite model is never evaluated, checkpointed or returned.
Status check_loss(std::int64_t round, double loss, float learning_rate) {
  if (std::isfinite(loss)) return Status::ok_status();
  return diverged(round, std::string("the training loss became ") + (std::isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf"),
                  learning_rate);
}

Status check_model(std::int64_t round, const Mlp& model, float learning_rate) {
  const std::optional<std::string> bad = first_non_finite(model);
  if (!bad) return Status::ok_status();
  return diverged(round, "the model's " + *bad + " became non-finite", learning_rate);
}
}  // namespace

Result<RunResult> run_rounds(const TrainingConfig& config, RoundRunner& runner, const RunLoopOptions& options,
                             const Dataset& test, const RoundCallback& on_round) {
  RunResult result;
  const std::int64_t rounds = total_rounds(config, options.train_size);
  const bool by_epochs = config.rounds <= 0;
  // Samples that `trainers` trainers process in one round of `steps` local steps, in training-set passes.
  const auto epochs_of = [&](int trainers, int steps) {
    return static_cast<double>(static_cast<std::int64_t>(trainers) * steps * config.batch_size) /
           static_cast<double>(options.train_size);
  };
  const auto stop_requested = [&] { return options.stop_requested && options.stop_requested(); };
  RunProgress progress = options.start;
  const auto start = SteadyClock::now();
  // A round's record goes to the callback, then the runner hears it was published (its checkpoint).
  const auto publish = [&](const RoundRecord& record) -> Status {
    result.records.push_back(record);
    IST_RETURN_IF_ERROR(on_round(record).with_context("round " + std::to_string(record.round)));
    runner.round_published(record);
    return Status::ok_status();
  };
  // The round whose evaluation runs on its own thread while the next round trains: its record is
  // published once the accuracy is in, before the next round's, so metrics keep their order.
  std::optional<OverlappedEvaluation> pending;
  const auto publish_pending = [&]() -> Status {
    if (!pending) return Status::ok_status();
    RoundRecord record = std::move(pending->record);
    Result<double> accuracy = pending->wait();
    if (record.gather_overlapped) record.gather_seconds = pending->prepare_seconds();
    pending.reset();
    if (record.gather_overlapped && is_peer_lost(accuracy.status().code())) {
      // An owner was lost before its shard came: the runner restores it in the round that saw the loss,
      // and this round goes without an accuracy (the run's last one is still measured).
      record.events.push_back(RoundEvent{RoundEvent::Kind::kEvaluationSkipped, -1, -1, 0, 0, accuracy.status().to_string()});
      return publish(record);
    }
    IST_RETURN_IF_ERROR(accuracy.status());
    record.test_accuracy = *accuracy;
    result.final_test_accuracy = record.test_accuracy;
    return publish(record);
  };
  // The next round waits for the evaluation before it changes the model (the runner calls the hook).
  struct ModelReaders {
    RoundRunner& runner;
    ~ModelReaders() { runner.set_model_readers({}); }
  } readers{runner};
  runner.set_model_readers([&pending] {
    if (pending) pending->finished();
  });
  const auto run_all = [&]() -> Status {
    for (std::int64_t round = progress.next_round;
         by_epochs ? progress.epochs_done < config.epochs - 1e-9 : round < rounds; ++round) {
      RoundRecord record;
      record.round = round + 1;
      IST_RETURN_IF_ERROR(runner.prepare_round(round, record));
      const RoundSettings settings = round_settings_at(config, progress.epochs_done);
      const LocalTrainingOptions& local = settings.local;
      const bool last = by_epochs ? progress.epochs_done + epochs_of(runner.trainers_ready(), local.steps) >= config.epochs - 1e-9
                                  : round + 1 == rounds;
      bool evaluate_now = (round + 1) % config.eval_every == 0 || last;
      bool checkpoint_due = options.checkpoint_every > 0 && (round + 1) % options.checkpoint_every == 0;
      const bool stop_seen_before = stop_requested();
      const bool model_wanted = evaluate_now || checkpoint_due || stop_seen_before;
      record.learning_rate = local.learning_rate;
      if (round == options.start.next_round && round > 0) {
        record.events.push_back(RoundEvent{RoundEvent::Kind::kResumed, -1, -1, 0, round, ""});
      }
      // The round's time: training and communication up to the merged (or fetched) model; the evaluation
      // and the checkpoint come after it and are not in it.
      const auto round_start = SteadyClock::now();
      IST_RETURN_IF_ERROR(runner.run_round(round, settings, model_wanted, record));
      record.round_seconds = seconds_since(round_start);
      // IST drivers hold the merged model after every round; a baseline's is current only when fetched.
      const bool stopping =
          stop_seen_before || (stop_requested() && (model_wanted || config.algorithm == Algorithm::kIst));
      if (stopping && !last) {
        evaluate_now = true;
        checkpoint_due = true;
        record.events.push_back(RoundEvent{RoundEvent::Kind::kInterrupted, -1, -1, 0, 0, ""});
      }
      if (record.train_loss) IST_RETURN_IF_ERROR(check_loss(round, *record.train_loss, local.learning_rate));
      // The previous round's evaluation ran while this round trained: its record goes first, and it reads
      // the model no more when a gather rewrites it.
      IST_RETURN_IF_ERROR(publish_pending());
      // Overlapped with the next round when nothing waits on the result: not the last round, not one that
      // checkpoints (its checkpoint follows its record) or stops, not when the accuracy may end the run.
      const bool overlap = evaluate_now && !last && !checkpoint_due && !stopping && config.target_accuracy <= 0.0 &&
                           runner.announces_model_changes();
      // A model that lives elsewhere comes to model() before it is read: an overlapped evaluation's gather
      // is only begun here and finished on the evaluation's thread (it does not hold up the next round).
      std::function<Status()> finish_gather = overlap ? runner.begin_background_gather() : nullptr;
      if (finish_gather) {
        record.gather_overlapped = true;
      } else if (evaluate_now || (checkpoint_due && runner.checkpoint_reads_model())) {
        const auto t = SteadyClock::now();
        IST_ASSIGN_OR_RETURN(const bool gathered, runner.gather_model());
        if (gathered) record.gather_seconds = seconds_since(t);
        IST_RETURN_IF_ERROR(check_model(round, runner.model(), local.learning_rate));
      }
      progress.epochs_done += epochs_of(record.live_workers, local.steps);
      record.samples = static_cast<std::int64_t>(record.live_workers) * local.steps * config.batch_size;
      progress.next_round = round + 1;
      record.epochs = progress.epochs_done;
      double evaluate_seconds = 0.0;
      if (evaluate_now && !overlap) {
        const auto t = SteadyClock::now();
        record.test_accuracy = accuracy(runner.model(), test.features, test.labels);
        result.final_test_accuracy = record.test_accuracy;
        evaluate_seconds = seconds_since(t);
      }
      runner.finish_round(progress, checkpoint_due, evaluate_seconds, record);
      if (overlap) {
        record.wall_seconds = seconds_since(start);  // when its model was there; it is measured meanwhile
        std::function<Status()> prepare;
        if (finish_gather) {
          prepare = [&runner, finish = std::move(finish_gather), round, rate = local.learning_rate]() -> Status {
            IST_RETURN_IF_ERROR(finish());
            return check_model(round, runner.model(), rate);
          };
        }
        pending.emplace(std::move(record), runner.model(), test, std::move(prepare));
        continue;
      }
      record.wall_seconds = seconds_since(start);
      IST_RETURN_IF_ERROR(publish(record));
      if (config.target_accuracy > 0.0 && record.test_accuracy && *record.test_accuracy >= config.target_accuracy) break;
      if (stopping && !last) {
        result.interrupted = true;
        break;
      }
    }
    return publish_pending();
  };
  if (Status s = run_all(); !s.ok()) {
    // A round that failed after an overlapped evaluation began: that round's record is still published.
    [[maybe_unused]] const Status published = publish_pending();  // the round's own error is the one to tell
    return s;
  }
  if (result.records.empty() || !result.records.back().test_accuracy) {
    // The last round came out shorter than planned (a slice lost), or a resumed run had no round left:
    // evaluate the final model anyway.
    const std::int64_t last_round = result.records.empty() ? progress.next_round - 1 : result.records.back().round - 1;
    IST_RETURN_IF_ERROR(runner.gather_model().status());
    IST_RETURN_IF_ERROR(check_model(last_round, runner.model(), local_options_at(config, progress.epochs_done).learning_rate));
    result.final_test_accuracy = accuracy(runner.model(), test.features, test.labels);
  }
  result.model = runner.take_model();
  return result;
}

}  // namespace ist
