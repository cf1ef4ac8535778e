// Prints the machine a benchmark ran on: CPU model, logical cores, and the date. Figures without the
// machine are not figures.
#pragma once

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

namespace ist::bench {

inline void print_machine() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M", std::localtime(&now));
  std::printf("machine: %s, %u logical cores, %s\n", model.c_str(), std::thread::hardware_concurrency(), date);
}

}  // namespace ist::bench
