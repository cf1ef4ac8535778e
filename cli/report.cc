#include "cli/report.h"

#include "cli/run_directory.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/report_plot.h"
#include "cli/run_directory.h"
#include "cli/run_summary.h"
#include "cli/sweep_plan.h"

namespace ist::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One line of metrics.jsonl; only what the report shows.
struct RoundMetrics {
  std::int64_t round = 0;
  double wall_seconds = 0.0;
  std::optional<double> test_accuracy;     // null when the round was not evaluated
  std::optional<double> bytes_total;       // cumulative over the run
  std::optional<double> bytes_per_worker;  // sent + received by one worker this round
  std::vector<std::string> events;
};

struct Run {
  std::string dir;
  std::string label;
  RunSummary summary;
  std::vector<RoundMetrics> rounds;
  std::optional<std::string> config_toml;
};

// The table's row for one run: summary.json first, metrics.jsonl where the summary is silent.
struct RunRow {
  std::optional<std::int64_t> rounds;
  std::optional<double> final_accuracy;
  std::optional<double> best_accuracy;
  std::optional<double> wall_seconds;
  std::optional<double> bytes_total;
  std::optional<double> bytes_per_worker_per_round;
  std::size_t events = 0;
};

std::string printf_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

// ---- loading --------------------------------------------------------------------------------------

Result<std::string> read_text(const fs::path& path) { return read_text_file(path.string()); }

// A number, or nullopt for a missing key or null (a NaN is written as null). Other types are corrupt.
Result<std::optional<double>> optional_number(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return Status::corrupt_data(std::string("key '") + key + "' is not a number");
  return std::optional<double>(it->get<double>());
}

Result<double> required_number(const json& object, const char* key) {
  IST_ASSIGN_OR_RETURN(std::optional<double> value, optional_number(object, key));
  if (!value) return Status::corrupt_data(std::string("key '") + key + "' is missing");
  return *value;
}

// Parses one metrics line; errors carry no location (the caller adds "FILE:LINE: ").
Result<RoundMetrics> parse_metrics_line(const std::string& line) {
  json object;
  try {
    object = json::parse(line);
  } catch (const json::parse_error& e) {
    return Status::corrupt_data("malformed JSON at column " + std::to_string(e.byte));
  }
  if (!object.is_object()) return Status::corrupt_data("not a JSON object");
  RoundMetrics m;
  IST_ASSIGN_OR_RETURN(const double round, required_number(object, "round"));
  m.round = static_cast<std::int64_t>(round);
  IST_ASSIGN_OR_RETURN(m.wall_seconds, required_number(object, "wall_seconds"));
  IST_ASSIGN_OR_RETURN(m.test_accuracy, optional_number(object, "test_accuracy"));
  IST_ASSIGN_OR_RETURN(m.bytes_total, optional_number(object, "bytes_total"));
  IST_ASSIGN_OR_RETURN(const std::optional<double> sent, optional_number(object, "bytes_sent_per_worker"));
  IST_ASSIGN_OR_RETURN(const std::optional<double> received,
                       optional_number(object, "bytes_received_per_worker"));
  if (sent || received) m.bytes_per_worker = sent.value_or(0.0) + received.value_or(0.0);
  if (const auto it = object.find("events"); it != object.end() && !it->is_null()) {
    if (!it->is_array()) return Status::corrupt_data("key 'events' is not an array");
    for (const json& event : *it)
      m.events.push_back(event.is_string() ? event.get<std::string>() : event.dump());
  }
  return m;
}

Result<std::vector<RoundMetrics>> load_metrics(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::not_found("no metrics file " + path.string());
  IST_ASSIGN_OR_RETURN(const std::string text, read_text(path));
  std::vector<RoundMetrics> rounds;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank (e.g. trailing newline)
    Result<RoundMetrics> parsed = parse_metrics_line(line);
    if (!parsed.ok()) return parsed.status().with_context(path.string() + ":" + std::to_string(number));
    rounds.push_back(std::move(parsed).value());
  }
  return rounds;
}

// "runs/a/" -> "a".
std::string base_name(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::string name = fs::path(trimmed).filename().string();
  return name.empty() ? trimmed : name;
}

std::string run_label(const Run& run) {
  std::string label = run.summary.name && !run.summary.name->empty() ? *run.summary.name : base_name(run.dir);
  if (run.summary.algorithm && !run.summary.algorithm->empty()) label += " (" + *run.summary.algorithm + ")";
  return label;
}

Result<Run> load_run(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::not_found("no run directory " + dir);
  Run run;
  run.dir = dir;
  IST_ASSIGN_OR_RETURN(run.rounds, load_metrics(fs::path(dir) / "metrics.jsonl"));
  IST_ASSIGN_OR_RETURN(run.summary, load_run_summary((fs::path(dir) / "summary.json").string()));
  const fs::path config = fs::path(dir) / "config.toml";
  if (fs::exists(config, ec)) {
    IST_ASSIGN_OR_RETURN(run.config_toml, read_text(config));
  }
  run.label = run_label(run);
  return run;
}

// Two runs of the same experiment would otherwise share a legend entry: suffix repeats with " #2", ...
void make_labels_unique(std::vector<Run>& runs) {
  std::map<std::string, int> seen;
  for (Run& run : runs) {
    const int n = ++seen[run.label];
    if (n > 1) run.label += " #" + std::to_string(n);
  }
}

// A sweep directory stands for its points' run directories, in the sweep's order; those not started yet
// are left out.
Result<std::vector<std::string>> expand_sweeps(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const std::string& dir : dirs) {
    if (!is_sweep_directory(dir)) {
      out.push_back(dir);
      continue;
    }
    IST_ASSIGN_OR_RETURN(const SweepPlan plan, read_sweep_plan(dir));
    for (const SweepPoint& point : plan.points) {
      std::error_code ec;
      const std::string point_dir = (fs::path(dir) / point.dir_name).string();
      if (fs::is_directory(point_dir, ec)) out.push_back(point_dir);
    }
  }
  return out;
}

// Why a run directory holds no run to show (marked failed in status.json, or it failed before its first
// round), or nullopt.
std::optional<std::string> failed_run(const std::string& dir) {
  if (RunDirectory::status_of(dir) == "failed") return std::string("skipped: the run failed (its status.json says why)");
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "metrics.jsonl", ec)) return std::nullopt;
  return std::string("skipped: the run failed before its first round (no metrics.jsonl)");
}

// ---- the table ------------------------------------------------------------------------------------

RunRow summarize(const Run& run) {
  RunRow row;
  double per_worker_sum = 0.0;
  std::size_t per_worker_count = 0;
  std::optional<double> last_accuracy;
  for (const RoundMetrics& m : run.rounds) {
    if (m.test_accuracy) {
      last_accuracy = m.test_accuracy;
      row.best_accuracy = std::max(row.best_accuracy.value_or(*m.test_accuracy), *m.test_accuracy);
    }
    if (m.bytes_per_worker) {
      per_worker_sum += *m.bytes_per_worker;
      ++per_worker_count;
    }
    row.events += m.events.size();
  }
  if (per_worker_count > 0)
    row.bytes_per_worker_per_round = per_worker_sum / static_cast<double>(per_worker_count);
  const RoundMetrics* last = run.rounds.empty() ? nullptr : &run.rounds.back();
  row.rounds = run.summary.rounds ? run.summary.rounds : std::optional<std::int64_t>(run.rounds.size());
  row.final_accuracy = run.summary.final_test_accuracy ? run.summary.final_test_accuracy : last_accuracy;
  row.wall_seconds = run.summary.wall_seconds ? run.summary.wall_seconds
                     : last                   ? std::optional<double>(last->wall_seconds)
                                              : std::nullopt;
  row.bytes_total = run.summary.bytes_total ? run.summary.bytes_total
                    : last                  ? last->bytes_total
                                            : std::nullopt;
  return row;
}

template <typename T, typename Format>
std::string cell(const std::optional<T>& value, Format format) {
  return value ? escape_xml(format(*value)) : "&#8212;";  // an em dash for "unknown"
}

std::string render_table(const std::vector<Run>& runs) {
  std::string out =
      "<table>\n<thead><tr><th>Run</th><th>Algorithm</th><th>Rounds</th><th>Final test accuracy</th>"
      "<th>Best test accuracy</th><th>Wall time</th><th>Total bytes</th><th>Bytes / worker / round</th>"
      "<th>Events</th></tr></thead>\n<tbody>\n";
  const auto accuracy = [](double v) { return printf_double("%.4f", v); };
  const auto seconds = [](double v) { return printf_double("%.1f s", v); };
  const auto rounds = [](std::int64_t v) { return std::to_string(v); };
  const auto text = [](const std::string& v) { return v; };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRow row = summarize(runs[i]);
    out += "<tr><td><span class=\"swatch\" style=\"background:" + std::string(series_color(i)) +
           "\"></span>" + escape_xml(runs[i].label) + "</td><td>" + cell(runs[i].summary.algorithm, text) +
           "</td><td>" + cell(row.rounds, rounds) + "</td><td>" + cell(row.final_accuracy, accuracy) +
           "</td><td>" + cell(row.best_accuracy, accuracy) + "</td><td>" + cell(row.wall_seconds, seconds) +
           "</td><td>" + cell(row.bytes_total, format_bytes) + "</td><td>" +
           cell(row.bytes_per_worker_per_round, format_bytes) + "</td><td>" + std::to_string(row.events) +
           "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

// ---- the plots ------------------------------------------------------------------------------------

// One series per run (same order, so colors match the table); only evaluated rounds, and for the bytes
// plot only rounds that report bytes.
std::vector<PlotSeries> accuracy_series(const std::vector<Run>& runs, bool against_bytes) {
  std::vector<PlotSeries> series;
  for (const Run& run : runs) {
    PlotSeries s{run.label, {}};
    for (const RoundMetrics& m : run.rounds) {
      if (!m.test_accuracy) continue;
      if (!against_bytes) {
        s.points.emplace_back(m.wall_seconds, *m.test_accuracy);
      } else if (m.bytes_total) {
        s.points.emplace_back(*m.bytes_total, *m.test_accuracy);
      }
    }
    series.push_back(std::move(s));
  }
  return series;
}

constexpr int kPlotHeight = 380;

std::string render_plots(const std::vector<Run>& runs) {
  LinePlot by_time;
  by_time.title = "Test accuracy against wall time";
  by_time.x_label = "wall time (s)";
  by_time.y_label = "test accuracy";
  by_time.height = kPlotHeight;
  LinePlot by_bytes = by_time;
  by_bytes.title = "Test accuracy against bytes on the wire";
  by_bytes.x_label = "cumulative total bytes (log scale)";
  by_bytes.x_scale = AxisScale::kLog10;
  by_bytes.x_tick_label = format_bytes;
  return render_line_plot(by_time, accuracy_series(runs, false), 0) +
         render_line_plot(by_bytes, accuracy_series(runs, true), kPlotHeight);
}

// ---- the documents --------------------------------------------------------------------------------

std::string render_run_details(const Run& run) {
  std::string out =
      "<details><summary>" + escape_xml(run.label) + " &#8212; " + escape_xml(run.dir) + "</summary>\n";
  if (run.config_toml) out += "<h3>config.toml</h3>\n<pre>" + escape_xml(*run.config_toml) + "</pre>\n";
  std::string events;
  for (const RoundMetrics& m : run.rounds) {
    for (const std::string& e : m.events) {
      events += "<li>round " + std::to_string(m.round) + ": " + escape_xml(e) + "</li>\n";
    }
  }
  if (!events.empty()) out += "<h3>Events</h3>\n<ul>\n" + events + "</ul>\n";
  return out + "</details>\n";
}

std::string render_html(const std::vector<Run>& runs) {
  std::string title = "ist report:";
  for (std::size_t i = 0; i < runs.size(); ++i) title += (i == 0 ? " " : " vs ") + runs[i].label;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    escape_xml(title) + "</title>\n";
  out +=
      "<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}\n"
      "table{border-collapse:collapse;margin-bottom:1.5em}\n"
      "th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}\n"
      "th:first-child,td:first-child,td:nth-child(2){text-align:left}\n"
      "th{background:#f3f3f3}\n"
      ".swatch{display:inline-block;width:10px;height:10px;margin-right:6px}\n"
      "svg{display:block;margin-bottom:1em}\n"
      "pre{background:#f7f7f7;padding:8px;overflow:auto}\n"
      "</style>\n</head>\n<body>\n";
  out += "<h1>" + escape_xml(title) + "</h1>\n<h2>Runs</h2>\n" + render_table(runs);
  out += "<h2>Test accuracy</h2>\n" + render_plots(runs);
  out += "<h2>Details</h2>\n";
  for (const Run& run : runs) out += render_run_details(run);
  return out + "</body>\n</html>\n";
}

std::string render_svg(const std::vector<Run>& runs) {
  const std::string width = std::to_string(LinePlot{}.width), height = std::to_string(2 * kPlotHeight);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         width + "\" height=\"" + height + "\" viewBox=\"0 0 " + width + " " + height + "\">\n" +
         render_plots(runs) + "</svg>\n";
}

// Writes beside the target and renames, so a failed write never leaves half a report.
Status write_text(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return Status::io_error("cannot open " + temporary + " for writing");
    out << text;
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return Status::io_error("cannot write " + temporary);
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return Status::io_error("cannot write " + path + ": " + ec.message());
  }
  return Status::ok_status();
}

enum class ReportFormat { kHtml, kSvg };

Result<ReportFormat> format_of(const std::string& output_path) {
  std::string extension = fs::path(output_path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".html") return ReportFormat::kHtml;
  if (extension == ".svg") return ReportFormat::kSvg;
  return Status::invalid_argument("cannot tell the report format of " + output_path +
                                  ": use a .html or .svg file name");
}

}  // namespace

Result<ReportOutcome> write_report(const std::vector<std::string>& run_dirs, const std::string& output_path) {
  if (run_dirs.empty()) return Status::invalid_argument("no run directories to report on");
  IST_ASSIGN_OR_RETURN(const ReportFormat format, format_of(output_path));
  IST_ASSIGN_OR_RETURN(const std::vector<std::string> dirs, expand_sweeps(run_dirs));
  ReportOutcome outcome;
  std::vector<Run> runs;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return Status::not_found("no run directory " + dir);
    if (const std::optional<std::string> why = failed_run(dir)) {
      outcome.skipped.push_back(dir + ": " + *why);
      continue;
    }
    IST_ASSIGN_OR_RETURN(Run run, load_run(dir));
    runs.push_back(std::move(run));
  }
  if (runs.empty()) {
    return Status::not_found("no run to report on: " + outcome.skipped.front() +
                             (outcome.skipped.size() > 1 ? " (and " + std::to_string(outcome.skipped.size() - 1) + " more)" : ""));
  }
  make_labels_unique(runs);
  IST_RETURN_IF_ERROR(write_text(output_path, format == ReportFormat::kHtml ? render_html(runs) : render_svg(runs)));
  outcome.runs = runs.size();
  return outcome;
}

}  // namespace ist::cli
