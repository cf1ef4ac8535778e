#include "cli/program.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace ist::cli {

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "ist: %s\n", message.c_str());
  return code;
}

std::string self_binary() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("ist") : path.string();
}

}  // namespace ist::cli
