// Where does IST lose accuracy: in the subnets' optimization or in the merge? Trains the default
// configuration (or key=value overrides: scaling=, lr=, lr_power=, input_mean=, input_std=, epochs=) with
// run_reference, then runs one more round by hand and prints, for each subnet, its test accuracy when
// extracted (before local training) and after its R local steps, and the merged full model's test accuracy
// and training loss.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ist/local_training.h"
#include "ist/partition.h"
#include "ist/reference.h"
#include "ist/slice.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq != std::string::npos) args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto num = [&](const std::string& key, double fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : std::stod(it->second);
  };
  ist::TrainingConfig c;
  if (args.count("scaling")) c.scaling = ist::parse_scaling(args["scaling"]).value();
  c.sgd.learning_rate = static_cast<float>(num("lr", c.sgd.learning_rate));
  c.sgd.subnet_lr_power = static_cast<float>(num("lr_power", c.sgd.subnet_lr_power));
  c.sgd.warmup_epochs = num("warmup", c.sgd.warmup_epochs);
  c.input_mean = static_cast<float>(num("input_mean", c.input_mean));
  c.input_std = static_cast<float>(num("input_std", c.input_std));
  c.epochs = num("epochs", 3);
  c.eval_every = 1000;
  ist::set_compute_threads(1);
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  std::vector<ist::Dataset> shards;
  for (int w = 0; w < c.workers; ++w) {
    shards.push_back(ist::load_idx_dataset(dir, ist::Split::kTrain, ist::ShardSpec{w, c.workers, c.shard_policy, c.seed}).value());
  }
  ist::Dataset test = ist::load_idx_dataset(dir, ist::Split::kTest).value();
  auto result = ist::run_reference(c, shards, test);
  if (!result.ok()) {
    std::fprintf(stderr, "error: %s\n", result.status().to_string().c_str());
    return 1;
  }
  ist::Mlp full = std::move(result->model);
  std::printf("scaling %s, lr %g, power %g, after %zu rounds: full model test accuracy %.4f\n",
              ist::scaling_name(c.scaling), c.sgd.learning_rate, c.sgd.subnet_lr_power, result->records.size(),
              *result->final_test_accuracy);
  for (auto& s : shards) ist::normalize_inputs(c, s);
  ist::normalize_inputs(c, test);
  const std::int64_t round = static_cast<std::int64_t>(result->records.size());
  const std::vector<int> widths = full.widths();
  auto plan = ist::make_partition(std::vector<int>(widths.begin() + 1, widths.end() - 1), c.workers, c.seed, round).value();
  ist::LocalTrainingOptions options = ist::local_options_at(c, result->records.back().epochs);
  std::vector<ist::Slice> slices;
  std::vector<const ist::Slice*> returned;
  for (int s = 0; s < c.workers; ++s) slices.push_back(ist::extract_slice(full, plan, s, c.scaling));
  for (int s = 0; s < c.workers; ++s) {
    ist::Slice& slice = slices[static_cast<std::size_t>(s)];
    const double before = ist::accuracy(slice.model, test.features, test.labels);
    ist::BatchSampler sampler(shards[static_cast<std::size_t>(s)], ist::BatchCursor{99, 0, 0});
    const double loss = ist::train_locally(slice.model, sampler, options).mean_loss;
    const double after = ist::accuracy(slice.model, test.features, test.labels);
    std::printf("  subnet %d: test accuracy extracted %.4f, after %d local steps %.4f (mean local loss %.4f)\n", s,
                before, options.steps, after, loss);
    returned.push_back(&slice);
  }
  if (!ist::merge_slices(full, plan, returned).ok()) return 1;
  ist::Workspace ws;
  ist::Gradients grads;
  const ist::Dataset& train = shards[0];
  const ist::Index n = std::min<ist::Index>(train.size(), 5000);
  std::vector<std::int32_t> labels(train.labels.begin(), train.labels.begin() + n);
  const float full_loss = ist::compute_gradients(full, train.features.topRows(n), labels, ws, grads);
  std::printf("  merged full model: test accuracy %.4f, training loss %.4f (first %ld examples of shard 0)\n",
              ist::accuracy(full, test.features, test.labels), full_loss, static_cast<long>(n));
  // Would a different input scale of the merged model's hidden-fed layers (1 = as trained) fit better?
  for (float scale : {1.0f, 0.9f, 0.8f, 0.7f, 0.5f}) {
    ist::Mlp scaled = full;
    for (std::size_t l = 1; l < scaled.layers.size(); ++l) scaled.layers[l].input_scale = scale;
    const float loss = ist::compute_gradients(scaled, train.features.topRows(n), labels, ws, grads);
    std::printf("  full model with hidden input scale %.2f: test accuracy %.4f, training loss %.4f\n", scale,
                ist::accuracy(scaled, test.features, test.labels), loss);
  }
  return 0;
}
