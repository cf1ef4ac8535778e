// round_breakdown: prints the machine, then for IST on Fashion-MNIST, 784-2048-2048-10, R = 20, batch 128,
// 12 rounds (one evaluation, after the last round), the median per-round split of the driver's round:
//   compute        trainer training time, max over trainers
//   serialization  driver partition, extract into frames, trainer decode (max), driver decode (without merge)
//   transfer       wait - trainer compute - trainer decode: the wire, the queues, the trainers' reply encode
//   merge          driver merge of the returned slices
//   round          partition + extract/encode + wait + decode/merge (the evaluation is not counted)
// and the fraction of the round that is not compute (target: at most 10%).
//
// The head runs in this process; the workers are `ist node` processes on loopback, one trainer each.
// Usage: round_breakdown [WORKERS...]   (default: 4 2). Each count is a separate cluster and run.
// Workers share the machine's cores: with more trainers than cores their compute overlaps and stretches,
// which flatters the compute share. The program prints how many trainers computed at once (sum / max of
// their compute times) and an estimate of the split with a core per trainer.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/driver.h"
#include "actors/subnet_trainer.h"
#include "bench/machine_info.h"
#include "ist/data.h"
#include "ist/tensor.h"
#include "runtime/launcher.h"
#include "runtime/node.h"

namespace rt = ist::rt;
using namespace std::chrono_literals;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";
constexpr int kRounds = 12;

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " (1 min), " + five + " (5 min)";
}

int run(int workers) {
  std::printf("\nload average before the run: %s\n", load_average().c_str());
  rt::NodeOptions o;
  o.role = rt::NodeRole::kHead;
  o.name = "bench-head";
  auto head = rt::Node::start(o);
  if (!head.ok()) {
    std::fprintf(stderr, "head: %s\n", head.status().to_string().c_str());
    return 1;
  }
  auto cluster = std::make_unique<rt::LocalCluster>(IST_WORKER_BINARY,
                                                    std::vector<std::string>{"node", "--head", (*head)->endpoint(), "--insecure"});
  if (auto s = cluster->start_and_wait(workers, **head, rt::deadline_in(60s)); !s.ok()) {
    std::fprintf(stderr, "workers: %s\n", s.to_string().c_str());
    return 1;
  }
  std::vector<rt::NodeId> nodes;
  for (const rt::Member& m : (*head)->members()) {
    if (m.role != rt::NodeRole::kHead && m.state == rt::MemberState::kAlive) nodes.push_back(m.id);
  }

  ist::actors::DriverOptions options;
  options.data.path = kData;
  ist::TrainingConfig& c = options.training;
  c.widths = {784, 2048, 2048, 10};
  c.algorithm = ist::Algorithm::kIst;
  c.workers = workers;
  c.local_steps = 20;
  c.batch_size = 128;
  c.sgd.learning_rate = 0.02f;
  c.sgd.momentum = 0.9f;
  c.rounds = kRounds;
  c.eval_every = 1000000;  // only after the last round
  c.seed = 1;
  auto test = ist::load_idx_dataset(kData, ist::Split::kTest);
  if (!test.ok()) {
    std::fprintf(stderr, "test set: %s\n", test.status().to_string().c_str());
    return 1;
  }
  ist::actors::Driver driver((*head)->client(), options, std::move(test).value());
  if (auto s = driver.start(nodes); !s.ok()) {
    std::fprintf(stderr, "start: %s\n", s.to_string().c_str());
    return 1;
  }
  ist::set_compute_threads(1);  // like `ist run`: the driver's own matrix work on one thread
  auto result = driver.run();
  if (!result.ok()) {
    std::fprintf(stderr, "run: %s\n", result.status().to_string().c_str());
    return 1;
  }

  std::vector<double> compute, serialization, transfer, merge, round, not_compute, overlap;
  std::vector<double> extract, encode, tdecode, ddecode, wait, evaluate;
  for (const ist::actors::RoundTiming& t : driver.timings()) {
    const double r = t.partition + t.extract_and_encode + t.wait + t.decode_and_merge;
    compute.push_back(t.trainer_compute);
    serialization.push_back(t.partition + t.extract_and_encode + t.trainer_decode + (t.decode_and_merge - t.merge));
    transfer.push_back(t.wait - t.trainer_compute - t.trainer_decode);
    merge.push_back(t.merge);
    round.push_back(r);
    not_compute.push_back(1.0 - t.trainer_compute / r);
    overlap.push_back(t.trainer_compute > 0 ? t.trainer_compute_sum / t.trainer_compute : 0.0);
    extract.push_back(t.partition);
    encode.push_back(t.extract_and_encode);
    tdecode.push_back(t.trainer_decode);
    ddecode.push_back(t.decode_and_merge - t.merge);
    wait.push_back(t.wait);
    if (t.evaluate > 0) evaluate.push_back(t.evaluate);
  }
  const double mr = median(round);
  const auto row = [&](const char* name, const std::vector<double>& v) {
    const double m = median(v);
    std::printf("  %-36s %8.1f ms  %5.1f%%\n", name, 1e3 * m, 100.0 * m / mr);
  };
  std::printf("IST, %d trainers on %d worker processes, 784-2048-2048-10, R = 20, batch 128, %zu rounds\n"
              "(medians over rounds; %% of the median round)\n",
              workers, workers, driver.timings().size());
  row("compute (max over trainers)", compute);
  row("serialization", serialization);
  row("  driver partition", extract);
  row("  driver extract into frames + send", encode);
  row("  trainer decode (max)", tdecode);
  row("  driver decode", ddecode);
  row("transfer (wait - compute - decode)", transfer);
  row("merge", merge);
  row("round", round);
  std::printf("  %-36s %8.1f ms\n", "(driver wait, for reference)", 1e3 * median(wait));
  std::printf("  not compute: %.1f%% of the round (median of per-round fractions; target <= 10%%)\n",
              100.0 * median(not_compute));
  // If the trainers computed at once on `cores` cores, one with a core of its own would take about
  // max * cores / (trainers computing at once).
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double at_once = median(overlap);
  const double alone = median(compute) * std::min(1.0, cores / std::max(1.0, at_once));
  const double rest = mr - median(compute);
  std::printf("  trainers computing at once (sum / max of trainer compute): %.2f on %.0f cores\n", at_once, cores);
  std::printf("  estimate with a core per trainer: compute %.1f ms, not compute %.1f ms = %.1f%% of the round\n",
              1e3 * alone, 1e3 * rest, 100.0 * rest / (alone + rest));
  const ist::RoundRecord& last = result->records.back();
  std::printf("  bytes per worker per round, to + from the driver: %.2f MB; final evaluation %.0f ms; "
              "test accuracy after %zu rounds: %.4f\n",
              (last.bytes_received_per_worker + last.bytes_sent_per_worker) / 1e6, 1e3 * median(evaluate),
              result->records.size(), result->final_test_accuracy.value_or(-1.0));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ist::bench::print_machine();
  if (ist::Status s = ist::actors::register_trainer_actor_types(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  std::vector<int> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atoi(argv[i]));
  if (counts.empty()) counts = {4, 2};
  for (int w : counts) {
    if (w < 1) {
      std::fprintf(stderr, "usage: %s [WORKERS...]\n", argv[0]);
      return 2;
    }
    if (int code = run(w); code != 0) return code;
  }
  return 0;
}
