// data_load: how long loading a training set takes, and how much memory it peaks at, in one format.
//   bench_data_load idx DIR [W] | npz FILE | npy FEATURES LABELS | csv FILE
// Prints the machine, the seconds (median of 3 loads), the CPU seconds (user + system, median of 3) and
// the process's peak resident memory (VmHWM) minus what it held before the first load. Run one process per
// format: the peak is per process. With W, idx loads shard 0 of W (iid), as a trainer does; gzip files
// are read through the host's data cache unless IST_DATA_CACHE=off (ist/decompressed_cache.h).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bench/machine_info.h"
#include "ist/data_source.h"

namespace {
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_data_load idx DIR | npz FILE | npy FEATURES LABELS | csv FILE\n");
    return 2;
  }
  ist::bench::print_machine();
  ist::DataSource source;
  source.format = argv[1];
  source.path = argv[2];
  std::optional<ist::ShardSpec> shard;
  if (argc > 3 && source.format == "idx") {
    shard = ist::ShardSpec{0, std::atoi(argv[3]), ist::ShardPolicy::kIid, 1};
  } else if (argc > 3) {
    source.labels_path = argv[3];
  }
  const long before = status_kb("VmRSS:");
  std::vector<double> seconds, cpu;
  ist::Index rows = 0, columns = 0;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    auto data = ist::load_dataset(source, ist::Split::kTrain, shard);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu.push_back(cpu_seconds() - cpu_start);
    if (!data.ok()) {
      std::fprintf(stderr, "bench_data_load: %s\n", data.status().to_string().c_str());
      return 1;
    }
    rows = data->size();
    columns = data->feature_count();
  }
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu.begin(), cpu.end());
  const double mib = 1.0 / 1024.0;
  std::printf("%s: %lld x %lld, load %.3f s, CPU %.3f s (medians of 3), peak memory %.0f MiB above the %.0f MiB before loading "
              "(the data set itself: %.0f MiB)\n",
              argv[1], static_cast<long long>(rows), static_cast<long long>(columns), seconds[1], cpu[1],
              static_cast<double>(status_kb("VmHWM:") - before) * mib, static_cast<double>(before) * mib,
              static_cast<double>(rows * columns * 4) / (1024.0 * 1024.0));
  return 0;
}
