// libFuzzer target: arbitrary text as a driver config (TOML), and as one `--set key=value` override.
// Must never crash, leak or hang; a config that parses must survive its own round trip: the resolved
// TOML of a parsed config parses again to the same resolved TOML (what a run saves must be readable).
// Input: the config text, optionally followed by "\xF0\x0D" and an override.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/driver_config.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> parts = ist::fuzz::split_parts(data, size, 2);
  std::vector<std::string> overrides;
  if (parts.size() > 1) overrides.push_back(parts[1]);
  auto config = ist::cli::parse_driver_config(parts[0], "fuzz.toml", overrides);
  if (!config.ok()) return 0;
  const std::string resolved = ist::cli::resolved_toml(*config);
  auto again = ist::cli::parse_driver_config(resolved, "resolved.toml");
  if (!again.ok()) {
    std::fprintf(stderr, "resolved config does not parse: %s\n%s\n", again.status().message().c_str(), resolved.c_str());
    __builtin_trap();
  }
  if (ist::cli::resolved_toml(*again) != resolved) {
    std::fprintf(stderr, "resolved config changes when read back:\n%s\n", resolved.c_str());
    __builtin_trap();
  }
  return 0;
}
