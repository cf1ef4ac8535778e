// A stable 64-bit hash of text (FNV-1a), for names that must not change between runs or versions: config
// hashes, sweep fingerprints, registry entries. Not for security. Any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ist::cli {

inline std::uint64_t text_hash(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
  return h;
}

// 16 lowercase hex digits.
inline std::string hex16(std::uint64_t value) {
  char text[20];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace ist::cli
