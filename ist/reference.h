// In-process reference trainers for IST, data parallel and local SGD. They run every worker's part one
// after the other in this process, calling exactly the functions the distributed actors call
// (make_partition, extract_slice, train_locally, merge_slices, the ring schedule), so a distributed run
// can be checked against them bit for bit.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/training_config.h"

namespace ist {

// One record per round, the same fields the distributed driver writes to metrics.jsonl.
struct RoundRecord {
  std::int64_t round = 0;  // 1 for the first round
  double wall_seconds = 0.0;  // since the start of training
  double epochs = 0.0;        // training-set passes completed across all workers
  double train_loss = 0.0;    // mean over workers of their mean local batch loss
  std::optional<double> test_accuracy;  // every eval_every rounds and after the last
  float learning_rate = 0.0f;
  // Mean over workers of the bytes each sent / received this round (payload floats x 4).
  double bytes_sent_per_worker = 0.0;
  double bytes_received_per_worker = 0.0;
  int live_workers = 0;
  std::vector<std::string> events;  // what happened this round besides training (a trainer lost, ...)
};

struct RunResult {
  Mlp model;
  std::vector<RoundRecord> records;
  std::optional<double> final_test_accuracy;
};

using RoundCallback = std::function<void(const RoundRecord&)>;

// Trains config.algorithm with worker w on shards[w] and returns the final model and one record per round.
// REQUIRES: shards.size() == config.workers. Errors: invalid_argument (config, or data that does not fit
// the widths: feature count or class count), with the offending value named.
Result<RunResult> run_reference(const TrainingConfig& config, const std::vector<Dataset>& shards,
                                const Dataset& test, const RoundCallback& on_round = {});

// Checks that data fits widths: inputs == feature count, classes >= the data's class count.
Status check_data_fits(const std::vector<int>& widths, const Dataset& data, const char* what);

}  // namespace ist
