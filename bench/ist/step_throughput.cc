// One forward+backward+update step of an MLP on one thread: GFLOP/s, against the best plain
// single-thread matrix multiply (Eigen or OpenBLAS cblas_sgemm) on exactly the step's GEMM shapes.
//   bench_step_throughput [widths=784,1024,1024,10] [batch=128] [repeats=200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bench/machine_info.h"
#include "ist/mlp.h"
#include "ist/random.h"
#include "ist/sgd.h"

namespace {

using Clock = std::chrono::steady_clock;

struct GemmShape {
  long m, n, k;
  bool ta, tb;
  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k); }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double median_seconds(int repeats, F&& f) {
  f();  // warm up
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(times);
}

ist::Matrix random_matrix(long rows, long cols, std::uint64_t seed) {
  ist::Rng rng(seed);
  ist::Matrix m(rows, cols);
  for (long i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform_float() - 0.5f;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> widths = {784, 1024, 1024, 10};
  if (argc > 1) {
    widths.clear();
    std::stringstream ss(argv[1]);
    for (std::string w; std::getline(ss, w, ',');) widths.push_back(std::stoi(w));
  }
  const int batch = argc > 2 ? std::atoi(argv[2]) : 128;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 200;
  ist::set_compute_threads(1);
  ist::bench::print_machine();

  // The step's GEMMs: forward x W^T per layer, weight gradient dy^T x per layer, input gradient dy W for
  // every layer but the first.
  std::vector<GemmShape> shapes;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    shapes.push_back({batch, widths[l + 1], widths[l], false, true});
    shapes.push_back({widths[l + 1], widths[l], batch, true, false});
    if (l > 0) shapes.push_back({batch, widths[l], widths[l + 1], false, false});
  }
  double step_flops = 0.0, best_gemm_seconds = 0.0, eigen_seconds = 0.0, blas_seconds = 0.0;
  for (const GemmShape& s : shapes) {
    const ist::Matrix a = s.ta ? random_matrix(s.k, s.m, 1) : random_matrix(s.m, s.k, 1);
    const ist::Matrix b = s.tb ? random_matrix(s.n, s.k, 2) : random_matrix(s.k, s.n, 2);
    ist::Matrix c(s.m, s.n);
    const int gemm_repeats = std::max(20, repeats);
    const double blas = median_seconds(gemm_repeats, [&] { ist::gemm(s.ta, s.tb, 1.0f, a, b, 0.0f, c); });
    const double eigen = median_seconds(gemm_repeats, [&] {
      if (s.ta && !s.tb) c.noalias() = a.transpose() * b;
      else if (!s.ta && s.tb) c.noalias() = a * b.transpose();
      else c.noalias() = a * b;
    });
    std::printf("  gemm %5ld x %5ld x %5ld%s: OpenBLAS %6.1f GFLOP/s, Eigen %6.1f GFLOP/s\n", s.m, s.n, s.k,
                s.ta ? " (A^T)" : s.tb ? " (B^T)" : "      ", s.flops() / blas * 1e-9, s.flops() / eigen * 1e-9);
    step_flops += s.flops();
    blas_seconds += blas;
    eigen_seconds += eigen;
    best_gemm_seconds += std::min(blas, eigen);
  }

  ist::Mlp model = ist::make_mlp(widths, 1).value();
  const ist::Matrix x = random_matrix(batch, widths.front(), 3);
  std::vector<std::int32_t> y;
  ist::Rng rng(4);
  for (int i = 0; i < batch; ++i) y.push_back(static_cast<std::int32_t>(rng.uniform_below(widths.back())));
  ist::Workspace ws;
  for (float momentum : {0.0f, 0.9f}) {
    ist::SgdOptimizer opt(momentum, 0.0f);
    const double step = median_seconds(repeats, [&] { opt.train_step(model, x, y, 1e-4f, ws); });
    std::printf("step (momentum %.1f): widths", momentum);
    for (int w : widths) std::printf(" %d", w);
    std::printf(", batch %d: median %.3f ms, %.1f GFLOP/s (GEMM flops %.3f GFLOP)\n", batch, step * 1e3,
                step_flops / step * 1e-9, step_flops * 1e-9);
    std::printf("  best plain GEMM on the same shapes: %.1f GFLOP/s (OpenBLAS %.1f, Eigen %.1f); ratio %.3f\n",
                step_flops / best_gemm_seconds * 1e-9, step_flops / blas_seconds * 1e-9,
                step_flops / eigen_seconds * 1e-9, best_gemm_seconds / step);
  }
  return 0;
}
