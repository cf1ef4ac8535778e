// Whether a trainer's shard should stay uint8 (as Fashion-MNIST's pixels are) until a batch is formed,
// instead of float32 from the load on (issue 13: "if that is faster, measured"). Times, on one thread:
//   float32: BatchSampler::next on the standardized float shard (what the trainers do);
//   uint8:   the same rows gathered from a uint8 copy of the shard, converted and standardized per batch,
//            exactly as the loader and the standardization would (checked equal, bit for bit);
//   and one local training step of the main job's subnet (784-512-512-10, S = 4 of 784-2048-2048-10) for scale.
// Prints medians and the shard's bytes both ways.
//   bench_batch_dtype [data=/usr/share/datasets/fashion-mnist] [repeats=2000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/machine_info.h"
#include "ist/data_source.h"
#include "ist/local_training.h"
#include "ist/mlp.h"
#include "ist/tensor.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 2000;
  constexpr int kBatch = 128;
  constexpr float kMean = 0.2860f, kStd = 0.3530f;
  ist::bench::print_machine();
  ist::set_compute_threads(1);  // one thread, as a trainer runs
  ist::DataSource source;
  source.path = path;
  auto loaded = ist::load_dataset(source, ist::Split::kTrain, ist::ShardSpec{0, 4, ist::ShardPolicy::kIid, 1});
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().to_string().c_str());
    return 1;
  }
  ist::Dataset shard = std::move(loaded).value();
  const long rows = shard.features.rows(), cols = shard.features.cols();
  // The raw pixels, as the file holds them (the loader made p / 255.0f of each).
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(rows * cols));
  for (long i = 0; i < rows * cols; ++i) pixels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(std::lround(shard.features.data()[i] * 255.0f));
  // The trainers' standardization, as ist::normalize_inputs applies it.
  const float inverse_std = 1.0f / kStd;
  for (long i = 0; i < rows * cols; ++i) shard.features.data()[i] = (shard.features.data()[i] - kMean) * inverse_std;

  ist::BatchSampler float_sampler(shard, ist::BatchCursor{7, 0, 0});
  ist::Matrix x;
  std::vector<std::int32_t> y;
  std::vector<double> float_us;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    float_sampler.next(kBatch, x, y);
    float_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  // The same batches from uint8: the sampler's row order (read from a float pass over the same cursor),
  // then gather + convert + standardize.
  ist::BatchSampler order(shard, ist::BatchCursor{7, 0, 0});
  ist::Matrix reference, from_u8(kBatch, cols);
  std::vector<double> u8_us;
  bool equal = true;
  std::vector<long> batch_rows(kBatch);
  for (int r = 0; r < repeats; ++r) {
    order.next(kBatch, reference, y);
    for (int b = 0; b < kBatch; ++b) {  // find each row's index (outside the timing)
      const float* want = reference.data() + static_cast<long>(b) * cols;
      long found = -1;
      for (long i = 0; i < rows && found < 0; ++i) {
        if (std::memcmp(shard.features.data() + i * cols, want, sizeof(float) * static_cast<std::size_t>(cols)) == 0) found = i;
      }
      batch_rows[static_cast<std::size_t>(b)] = found;
    }
    const auto t0 = Clock::now();
    for (int b = 0; b < kBatch; ++b) {
      const std::uint8_t* src = pixels.data() + batch_rows[static_cast<std::size_t>(b)] * cols;
      float* dst = from_u8.data() + static_cast<long>(b) * cols;
      for (long j = 0; j < cols; ++j) dst[j] = (static_cast<float>(src[j]) / 255.0f - kMean) * inverse_std;
    }
    u8_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    equal = equal && std::memcmp(from_u8.data(), reference.data(), sizeof(float) * static_cast<std::size_t>(reference.size())) == 0;
    if (r == 50) break;  // the row search is slow; 50 batches tell the time well enough
  }
  // One local step of the main job's subnet, for scale.
  ist::Mlp subnet = ist::make_mlp({784, 512, 512, 10}, 3).value();
  ist::BatchSampler step_sampler(shard, ist::BatchCursor{9, 0, 0});
  ist::LocalTrainingOptions options;
  options.steps = 20;
  options.batch_size = kBatch;
  options.learning_rate = 0.03f;
  std::vector<double> step_us;
  for (int r = 0; r < 10; ++r) {
    const auto t0 = Clock::now();
    ist::train_locally(subnet, step_sampler, options);
    step_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / options.steps);
  }
  std::printf("shard: %ld examples x %ld features: %.1f MiB as float32, %.1f MiB as uint8\n", rows, cols,
              static_cast<double>(rows * cols) * 4 / 1048576.0, static_cast<double>(rows * cols) / 1048576.0);
  std::printf("batch of %d from float32 (BatchSampler::next): median %.1f us over %d batches\n", kBatch, median(float_us), repeats);
  std::printf("batch of %d from uint8 (gather, convert, standardize): median %.1f us over %zu batches; equal bit for bit: %s\n",
              kBatch, median(u8_us), u8_us.size(), equal ? "yes" : "NO");
  std::printf("one local step of 784-512-512-10 at batch %d: median %.0f us\n", kBatch, median(step_us));
  return equal ? 0 : 1;
}
