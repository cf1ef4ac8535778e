// eval_threads: how long the driver's evaluation (ist::accuracy on the 10,000-example Fashion-MNIST test
// set) takes with one thread and with every core, for a model of the given widths (default the main
// job's 784-2048-2048-10), and that both give the same accuracy.
//   bench_eval_threads [DATA_DIR] [WIDTH ...]      (default /usr/share/datasets/fashion-mnist 2048 2048)
// Prints the machine, the median of 5 evaluations per thread count, and the speed-up.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/machine_info.h"
#include "ist/data_source.h"
#include "ist/evaluation.h"
#include "ist/tensor.h"

namespace {
double median_seconds(const ist::Mlp& model, const ist::Dataset& test, int threads, double& accuracy) {
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    accuracy = ist::accuracy(model, test.features, test.labels, threads);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  ist::bench::print_machine();
  ist::DataSource source;
  source.format = "idx";
  source.path = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  std::vector<int> widths{784};
  for (int i = 2; i < argc; ++i) widths.push_back(std::atoi(argv[i]));
  if (widths.size() == 1) widths.insert(widths.end(), {2048, 2048});
  widths.push_back(10);
  auto test = ist::load_dataset(source, ist::Split::kTest);
  if (!test.ok()) {
    std::fprintf(stderr, "ist: %s\n", test.status().to_string().c_str());
    return 1;
  }
  auto model = ist::make_mlp(widths, 1);
  if (!model.ok()) {
    std::fprintf(stderr, "ist: %s\n", model.status().to_string().c_str());
    return 1;
  }
  ist::set_compute_threads(1);  // like `ist run`: each evaluation thread's matrix products on one thread
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string shape;
  for (int w : widths) shape += (shape.empty() ? "" : "-") + std::to_string(w);
  double one_accuracy = 0.0, all_accuracy = 0.0;
  const double one = median_seconds(*model, *test, 1, one_accuracy);
  const double all = median_seconds(*model, *test, cores, all_accuracy);
  std::printf("evaluation of %s on %lld test examples (median of 5):\n", shape.c_str(),
              static_cast<long long>(test->size()));
  std::printf("  1 thread:   %.3f s (accuracy %.4f)\n", one, one_accuracy);
  std::printf("  %d threads: %.3f s (accuracy %.4f, %s), speed-up %.2fx\n", cores, all, all_accuracy,
              all_accuracy == one_accuracy ? "identical" : "DIFFERENT", one / all);
  return all_accuracy == one_accuracy ? 0 : 1;
}
