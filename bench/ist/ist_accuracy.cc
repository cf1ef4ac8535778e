// In-process IST (or a baseline) on Fashion-MNIST: test accuracy after 1, 3 and 10 epochs, and the time.
//   bench_ist_accuracy [key=value ...]
// keys (defaults: TrainingConfig's and SgdOptions'): widths=784,2048,2048,10 algorithm=ist workers=4
//       steps=20 batch=128 lr=0.03 momentum=0.9 weight_decay=0 decay=0.3 decay_every=4 cosine=0 warmup=1
//       lr_power=0 lr_power_bias=1 scaling=sqrt input_mean=0.286 input_std=0.353 (0 and 1: raw pixels)
//       epochs=10 eval_every=3 seed=1 data=/usr/share/datasets/fashion-mnist shards=iid
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/machine_info.h"
#include "ist/reference.h"

namespace {

std::vector<int> parse_widths(const std::string& s) {
  std::vector<int> widths;
  std::stringstream ss(s);
  for (std::string w; std::getline(ss, w, ',');) widths.push_back(std::stoi(w));
  return widths;
}

int fail(const ist::Status& status) {
  std::fprintf(stderr, "error: %s\n", status.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (eq == std::string::npos) return fail(ist::Status::invalid_argument("expected key=value, got '" + a + "'"));
    args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : it->second;
  };
  ist::TrainingConfig c;  // every key defaults to TrainingConfig's / SgdOptions' default
  auto num = [&](const std::string& key, double fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : std::stod(it->second);
  };
  c.widths = parse_widths(get("widths", "784,2048,2048,10"));
  auto algorithm = ist::parse_algorithm(get("algorithm", ist::algorithm_name(c.algorithm)));
  if (!algorithm.ok()) return fail(algorithm.status());
  c.algorithm = *algorithm;
  c.workers = static_cast<int>(num("workers", c.workers));
  c.local_steps = static_cast<int>(num("steps", c.local_steps));
  c.batch_size = static_cast<int>(num("batch", c.batch_size));
  c.sgd.learning_rate = static_cast<float>(num("lr", c.sgd.learning_rate));
  c.sgd.momentum = static_cast<float>(num("momentum", c.sgd.momentum));
  c.sgd.weight_decay = static_cast<float>(num("weight_decay", c.sgd.weight_decay));
  c.sgd.lr_decay_factor = static_cast<float>(num("decay", c.sgd.lr_decay_factor));
  c.sgd.lr_decay_every_epochs = num("decay_every", c.sgd.lr_decay_every_epochs);
  c.sgd.cosine_epochs = num("cosine", c.sgd.cosine_epochs);
  c.sgd.warmup_epochs = num("warmup", c.sgd.warmup_epochs);
  c.sgd.subnet_lr_power = static_cast<float>(num("lr_power", c.sgd.subnet_lr_power));
  c.sgd.subnet_lr_on_bias = num("lr_power_bias", c.sgd.subnet_lr_on_bias ? 1 : 0) != 0.0;
  c.input_mean = static_cast<float>(num("input_mean", c.input_mean));
  c.input_std = static_cast<float>(num("input_std", c.input_std));
  c.epochs = num("epochs", c.epochs);
  c.eval_every = static_cast<int>(num("eval_every", 3));
  auto scaling = ist::parse_scaling(get("scaling", ist::scaling_name(c.scaling)));
  if (!scaling.ok()) return fail(scaling.status());
  c.scaling = *scaling;
  auto policy = ist::parse_shard_policy(get("shards", "iid"));
  if (!policy.ok()) return fail(policy.status());
  c.shard_policy = *policy;
  c.seed = std::stoull(get("seed", "1"));
  const std::string data = get("data", "/usr/share/datasets/fashion-mnist");
  ist::set_compute_threads(1);
  ist::bench::print_machine();

  std::vector<ist::Dataset> shards;
  for (int w = 0; w < c.workers; ++w) {
    auto shard = ist::load_idx_dataset(data, ist::Split::kTrain, ist::ShardSpec{w, c.workers, c.shard_policy, c.seed});
    if (!shard.ok()) return fail(shard.status());
    shards.push_back(std::move(shard).value());
  }
  auto test = ist::load_idx_dataset(data, ist::Split::kTest);
  if (!test.ok()) return fail(test.status());

  std::printf("%s, widths %s, W=%d, R=%d, batch %d, lr %g, momentum %g, wd %g, decay %g every %g epochs, "
              "cosine %g, warmup %g, subnet lr power %g (bias %d), %s scaling, inputs (x - %g) / %g\n",
              ist::algorithm_name(c.algorithm), get("widths", "784,2048,2048,10").c_str(), c.workers, c.local_steps,
              c.batch_size, c.sgd.learning_rate, c.sgd.momentum, c.sgd.weight_decay, c.sgd.lr_decay_factor,
              c.sgd.lr_decay_every_epochs, c.sgd.cosine_epochs, c.sgd.warmup_epochs, c.sgd.subnet_lr_power,
              c.sgd.subnet_lr_on_bias ? 1 : 0, ist::scaling_name(c.scaling), c.input_mean, c.input_std);
  double next_mark = 1.0;
  auto result = ist::run_reference(c, shards, *test, [&](const ist::RoundRecord& r) {
    if (!r.test_accuracy) return;
    std::printf("  round %4lld  epoch %6.2f  loss %.4f  test accuracy %.4f  wall %.1f s\n",
                static_cast<long long>(r.round), r.epochs, r.train_loss.value_or(std::nan("")), *r.test_accuracy, r.wall_seconds);
    while (r.epochs + 1e-9 >= next_mark) {
      std::printf("  >= %g epoch(s): accuracy %.4f at epoch %.2f, %.1f s\n", next_mark, *r.test_accuracy, r.epochs,
                  r.wall_seconds);
      next_mark = next_mark < 3.0 ? 3.0 : next_mark < 10.0 ? 10.0 : next_mark * 2;
    }
    std::fflush(stdout);
  });
  if (!result.ok()) return fail(result.status());
  std::printf("final test accuracy %.4f after %zu rounds, %.1f s (wall, including evaluations)\n",
              *result->final_test_accuracy, result->records.size(), result->records.back().wall_seconds);
  return 0;
}
