// data_load: how long loading a training set takes, and how much memory it peaks at, in one format.
//   bench_data_load idx DIR | npz FILE | npy FEATURES LABELS | csv FILE
// Prints the machine, the seconds (median of 3 loads) and the process's peak resident memory (VmHWM)
// minus what it held before the first load. Run one process per format: the peak is per process.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
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
  if (argc > 3) source.labels_path = argv[3];
  const long before = status_kb("VmRSS:");
  std::vector<double> seconds;
  ist::Index rows = 0, columns = 0;
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto data = ist::load_dataset(source, ist::Split::kTrain);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!data.ok()) {
      std::fprintf(stderr, "bench_data_load: %s\n", data.status().to_string().c_str());
      return 1;
    }
    rows = data->size();
    columns = data->feature_count();
  }
  std::sort(seconds.begin(), seconds.end());
  const double mib = 1.0 / 1024.0;
  std::printf("%s: %lld x %lld, load %.3f s (median of 3), peak memory %.0f MiB above the %.0f MiB before loading "
              "(the data set itself: %.0f MiB)\n",
              argv[1], static_cast<long long>(rows), static_cast<long long>(columns), seconds[1],
              static_cast<double>(status_kb("VmHWM:") - before) * mib, static_cast<double>(before) * mib,
              static_cast<double>(rows * columns * 4) / (1024.0 * 1024.0));
  return 0;
}
