#include "cli/run_summary.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace ist::cli {

using nlohmann::json;

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::io_error("cannot read " + path);
  return text.str();
}

Result<RunSummary> load_run_summary(const std::string& path) {
  RunSummary summary;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return summary;
  IST_ASSIGN_OR_RETURN(const std::string text, read_text_file(path));
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return Status::corrupt_data(path + ": malformed JSON");
  if (!object.is_object()) return summary;
  const auto string_at = [&](const char* key) -> std::optional<std::string> {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto number_at = [&](const char* key) -> std::optional<double> {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  summary.name = string_at("name");
  summary.algorithm = string_at("algorithm");
  summary.final_test_accuracy = number_at("final_test_accuracy");
  summary.wall_seconds = number_at("wall_seconds");
  if (const auto rounds = number_at("rounds")) summary.rounds = static_cast<std::int64_t>(*rounds);
  summary.bytes_total = number_at("bytes_total");
  return summary;
}

}  // namespace ist::cli
