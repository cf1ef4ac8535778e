#include "ist/reference.h"

#include <chrono>
#include <memory>
#include <string>

#include "ist/flat_parameters.h"
#include "ist/local_training.h"
#include "ist/partition.h"
#include "ist/ring_allreduce.h"
#include "ist/run_loop.h"
#include "ist/slice.h"
#include "ist/standardization.h"
#include "ist/subnet_groups.h"

namespace ist {

Status check_data_fits(const std::vector<int>& widths, const Dataset& data, const char* what) {
  if (data.feature_count() != widths.front()) {
    return Status::invalid_argument(std::string(what) + " has " + std::to_string(data.feature_count()) +
                                    " features but the model's input width is " + std::to_string(widths.front()));
  }
  IST_RETURN_IF_ERROR(check_labels(data, widths.back()).with_context(what));
  if (data.num_classes > widths.back()) {
    return Status::invalid_argument(std::string(what) + " has " + std::to_string(data.num_classes) +
                                    " classes but the model's output width is " + std::to_string(widths.back()));
  }
  return Status::ok_status();
}

namespace {

struct RoundOutcome {
  double loss_sum = 0.0;  // summed over workers
  double bytes_sent = 0.0;  // summed over workers
  double bytes_received = 0.0;
};

// Every worker's part of a round, one after the other, in this process.
class ReferenceRun : public RoundRunner {
 public:
  ReferenceRun(const TrainingConfig& config, const std::vector<Dataset>& shards, Mlp model)
      : config_(config), shards_(shards), model_(std::move(model)), optimizer_(config.sgd.momentum, config.sgd.weight_decay) {
    for (int w = 0; w < config.workers; ++w) {
      samplers_.push_back(std::make_unique<BatchSampler>(
          shards[static_cast<std::size_t>(w)], BatchCursor{batch_seed_for_shard(config.seed, w), 0, 0}));
    }
  }

  Result<RoundOutcome> train_round(std::int64_t round, const RoundSettings& settings) {
    const LocalTrainingOptions& options = settings.local;
    switch (config_.algorithm) {
      case Algorithm::kIst: return ist_round(round, options, settings.subnets);
      case Algorithm::kDataParallel: return data_parallel_round(options);
      case Algorithm::kLocalSgd: return local_sgd_round(options);
    }
    return Status::internal("unknown algorithm");
  }

  Status prepare_round(std::int64_t, RoundRecord&) override { return Status::ok_status(); }
  int trainers_ready() override { return config_.workers; }
  Status run_round(std::int64_t round, const RoundSettings& settings, bool, RoundRecord& record) override {
    const auto start = std::chrono::steady_clock::now();
    IST_ASSIGN_OR_RETURN(RoundOutcome outcome, train_round(round, settings));
    // In process the whole round is computation: nothing waits on a network.
    record.compute_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (config_.algorithm == Algorithm::kIst) record.subnets = subnets_for_round(settings.subnets, config_.workers);
    record.train_loss = outcome.loss_sum / config_.workers;
    record.bytes_sent_per_worker = outcome.bytes_sent / config_.workers;
    record.bytes_received_per_worker = outcome.bytes_received / config_.workers;
    record.live_workers = config_.workers;
    for (const Dataset& shard : shards_) record.examples_per_worker.push_back(shard.size());
    return Status::ok_status();
  }
  const Mlp& model() const override { return model_; }
  void finish_round(const RunProgress&, bool, double, RoundRecord&) override {}
  void round_published(const RoundRecord&) override {}

 private:
  // Trainer w trains subnet w mod S on its own shard; a group's slices are averaged before the merge.
  Result<RoundOutcome> ist_round(std::int64_t round, const LocalTrainingOptions& options, int configured_subnets) {
    const std::vector<int> widths = model_.widths();
    const std::vector<int> hidden(widths.begin() + 1, widths.end() - 1);
    const int subnets = subnets_for_round(configured_subnets, config_.workers);
    IST_ASSIGN_OR_RETURN(SubnetPlan plan, make_partition(hidden, subnets, config_.seed, round));
    std::vector<Slice> slices;
    for (int w = 0; w < config_.workers; ++w) {
      slices.push_back(extract_slice(model_, plan, subnet_of_trainer(w, subnets), config_.scaling));
    }
    RoundOutcome outcome;
    for (int w = 0; w < config_.workers; ++w) {
      Slice& slice = slices[static_cast<std::size_t>(w)];
      outcome.loss_sum += train_locally(slice.model, *samplers_[static_cast<std::size_t>(w)], options).mean_loss;
      const double bytes = 4.0 * static_cast<double>(slice_parameter_count(widths, plan, slice.subnet));
      outcome.bytes_sent += bytes;
      outcome.bytes_received += bytes;
    }
    IST_ASSIGN_OR_RETURN(GroupedSlices grouped, average_groups(model_, plan, views_of(slices)));
    IST_RETURN_IF_ERROR(merge_slice_views(model_, plan, grouped.views));
    return outcome;
  }

  Result<RoundOutcome> data_parallel_round(const LocalTrainingOptions& options) {
    RoundOutcome outcome;
    const int workers = config_.workers;
    std::vector<Gradients> grads(static_cast<std::size_t>(workers));
    std::vector<std::vector<float>> flat(static_cast<std::size_t>(workers));
    Matrix x;
    std::vector<std::int32_t> y;
    for (int step = 0; step < options.steps; ++step) {
      std::vector<std::vector<float>*> buffers;
      for (int w = 0; w < workers; ++w) {
        const auto wi = static_cast<std::size_t>(w);
        samplers_[wi]->next(options.batch_size, x, y);
        outcome.loss_sum += compute_gradients(model_, x, y, workspace_, grads[wi]) / options.steps;
        flatten_gradients(grads[wi], flat[wi]);
        buffers.push_back(&flat[wi]);
      }
      ring_allreduce_sum_in_process(buffers);
      scale_to_mean(flat[0], workers);
      unflatten_gradients(flat[0], grads[0]);
      optimizer_.apply(model_, grads[0], options.learning_rate);
      add_ring_bytes(outcome, static_cast<std::int64_t>(flat[0].size()));
    }
    return outcome;
  }

  Result<RoundOutcome> local_sgd_round(const LocalTrainingOptions& options) {
    RoundOutcome outcome;
    const int workers = config_.workers;
    std::vector<std::vector<float>> flat(static_cast<std::size_t>(workers));
    std::vector<std::vector<float>*> buffers;
    for (int w = 0; w < workers; ++w) {
      Mlp local = model_;
      outcome.loss_sum += train_locally(local, *samplers_[static_cast<std::size_t>(w)], options).mean_loss;
      flat[static_cast<std::size_t>(w)] = flatten_parameters(local);
      buffers.push_back(&flat[static_cast<std::size_t>(w)]);
    }
    ring_allreduce_sum_in_process(buffers);
    scale_to_mean(flat[0], workers);
    unflatten_parameters(flat[0], model_);
    add_ring_bytes(outcome, static_cast<std::int64_t>(flat[0].size()));
    return outcome;
  }

  void add_ring_bytes(RoundOutcome& outcome, std::int64_t length) const {
    for (int w = 0; w < config_.workers; ++w) {
      const double bytes = 4.0 * static_cast<double>(ring_floats_sent_per_worker(length, config_.workers, w));
      outcome.bytes_sent += bytes;
      outcome.bytes_received += bytes;
    }
  }

  const TrainingConfig& config_;
  const std::vector<Dataset>& shards_;
  Mlp model_;
  SgdOptimizer optimizer_;  // data parallel keeps its momentum for the whole run
  Workspace workspace_;
  std::vector<std::unique_ptr<BatchSampler>> samplers_;
};

}  // namespace

Result<RunResult> run_reference(const TrainingConfig& given, const std::vector<Dataset>& shards,
                                const Dataset& test, const RoundCallback& on_round) {
  // A standardization still to be measured is measured on the shards, as the distributed trainers do.
  TrainingConfig config = given;
  IST_RETURN_IF_ERROR(validate(config));
  IST_RETURN_IF_ERROR(measure_standardization(config, shards));
  if (static_cast<int>(shards.size()) != config.workers) {
    return Status::invalid_argument("got " + std::to_string(shards.size()) + " shards for " +
                                    std::to_string(config.workers) + " workers");
  }
  // Every shard's labels before any class count, so the error names the bad example wherever it is.
  for (const Dataset& shard : shards) {
    IST_RETURN_IF_ERROR(check_labels(shard, config.widths.back()).with_context("the training data"));
  }
  std::int64_t train_size = 0;
  for (const Dataset& shard : shards) {
    IST_RETURN_IF_ERROR(check_data_fits(config.widths, shard, "the training data"));
    if (shard.size() < config.batch_size) {
      return Status::invalid_argument("a shard of " + std::to_string(shard.size()) +
                                      " examples is smaller than one batch of " + std::to_string(config.batch_size));
    }
    train_size += shard.size();
  }
  IST_RETURN_IF_ERROR(check_data_fits(config.widths, test, "the test data"));
  IST_ASSIGN_OR_RETURN(Mlp initial, make_mlp(config.widths, config.seed));

  // Standardized copies of the data when the config asks for it; the caller's data as given otherwise.
  std::vector<Dataset> normalized_shards;
  Dataset normalized_test;
  const std::vector<Dataset>* train_data = &shards;
  const Dataset* test_data = &test;
  if (normalizes_inputs(config)) {
    normalized_shards = shards;
    for (Dataset& shard : normalized_shards) normalize_inputs(config, shard);
    normalized_test = test;
    normalize_inputs(config, normalized_test);
    train_data = &normalized_shards;
    test_data = &normalized_test;
  }
  ReferenceRun run(config, *train_data, std::move(initial));
  RunLoopOptions loop;
  loop.train_size = train_size;
  return run_rounds(config, run, loop, *test_data, on_round);
}

}  // namespace ist
