// What the fuzz targets share: cutting one fuzzer input into parts (so the fuzzer can grow and cut
// frames or files independently), and handing bytes to a reader that only takes a path.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace ist::fuzz {

// The input cut at every "\xF0\x0D" into at most max_parts parts (the rest stays in the last one).
inline std::vector<std::string> split_parts(const std::uint8_t* data, std::size_t size, std::size_t max_parts) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  std::size_t at = 0;
  for (;;) {
    const std::size_t next = parts.size() + 1 < max_parts ? in.find("\xF0\x0D", at) : std::string::npos;
    parts.push_back(in.substr(at, next == std::string::npos ? std::string::npos : next - at));
    if (next == std::string::npos) break;
    at = next + 2;
  }
  return parts;
}

// A file of this process in /dev/shm (memory, so fuzzing does not wear a disk), rewritten per input.
inline std::string scratch_file(const std::string& name, const std::string& bytes) {
  const std::string path = "/dev/shm/ist-fuzz-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

}  // namespace ist::fuzz
