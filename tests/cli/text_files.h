// Reading what a command wrote, for the cli tests: a whole file, and how often a text occurs in it.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ist::cli::text_files {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace ist::cli::text_files
