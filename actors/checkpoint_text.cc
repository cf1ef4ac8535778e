#include "actors/checkpoint_text.h"

#include <algorithm>
#include <cstdio>

namespace ist::actors {

std::string checksum_text(std::uint32_t crc) {
  char text[32];
  std::snprintf(text, sizeof(text), "crc32:%08x", crc);
  return text;
}

std::string widths_text(const std::vector<int>& widths) {
  std::string text;
  for (int w : widths) text += (text.empty() ? "" : ",") + std::to_string(w);
  return text;
}

std::optional<std::vector<int>> parse_widths_text(const std::string& text) {
  std::vector<int> widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const auto width = whole_integer<int>(text.substr(start, comma - start));
    if (!width || *width < 1) return std::nullopt;
    widths.push_back(*width);
    start = comma + 1;
  }
  if (widths.size() < 2) return std::nullopt;
  return widths;
}

}  // namespace ist::actors
