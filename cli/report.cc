#include "cli/report.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/report_curves.h"
#include "cli/report_plot.h"
#include "cli/report_runs.h"

namespace ist::cli {

namespace {

namespace fs = std::filesystem;

// The table's row for one run: summary.json first, metrics.jsonl where the summary is silent.
struct RunRow {
  std::optional<std::int64_t> rounds;
  std::optional<double> final_accuracy;
  std::optional<double> best_accuracy;
  std::optional<double> wall_seconds;
  std::optional<double> bytes_total;
  std::optional<double> bytes_per_worker_per_round;
  std::size_t events = 0;  // checkpoints are not counted
};

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
    for (std::size_t e = 0; e < m.events.size(); ++e) {
      if (counts_as_event(e < m.event_kinds.size() ? m.event_kinds[e] : "", m.events[e])) ++row.events;
    }
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
      "<th>Events</th><th>Directory</th></tr></thead>\n<tbody>\n";
  const auto accuracy = [](double v) { return format_double("%.4f", v); };
  const auto seconds = [](double v) { return format_double("%.1f s", v); };
  const auto rounds = [](std::int64_t v) { return std::to_string(v); };
  const auto text = [](const std::string& v) { return v; };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRow row = summarize(runs[i]);
    const std::string index = std::to_string(i);
    out += "<tr><td><label><input type=\"checkbox\" checked data-series=\"" + index +
           "\"/><span class=\"swatch\" style=\"background:" + std::string(series_color(i)) + "\"></span>" +
           escape_xml(runs[i].label) + "</label></td><td>" + cell(runs[i].summary.algorithm, text) +
           "</td><td>" + cell(row.rounds, rounds) + "</td><td>" + cell(row.final_accuracy, accuracy) +
           "</td><td>" + cell(row.best_accuracy, accuracy) + "</td><td>" + cell(row.wall_seconds, seconds) +
           "</td><td>" + cell(row.bytes_total, format_bytes) + "</td><td>" +
           cell(row.bytes_per_worker_per_round, format_bytes) + "</td><td>" + std::to_string(row.events) +
           "</td><td>" + escape_xml(runs[i].dir) + "</td></tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

// ---- the documents --------------------------------------------------------------------------------

// "ist report: 3 runs of quick-ist" (one experiment) or "ist report: 3 runs", never every name joined.
std::string heading(const std::vector<Run>& runs) {
  const std::optional<std::string>& first = runs.front().summary.name;
  const bool one_name = first && std::all_of(runs.begin(), runs.end(), [&](const Run& r) { return r.summary.name == first; });
  std::string text = "ist report: " + (runs.size() == 1 ? runs.front().label : std::to_string(runs.size()) + " runs");
  if (runs.size() > 1 && one_name) text += " of " + *first;
  return text;
}

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

// Toggles (a run's checkbox hides its curves everywhere) and the x-axis choice; hover values are the
// points' <title>s, which need no script. Inline: the page stays one file that loads nothing.
constexpr const char* kScript = R"(<script>
function showAxis(name) {
  document.querySelectorAll('.axis').forEach(function (d) { d.hidden = d.dataset.axis !== name; });
}
document.querySelectorAll('input[data-series]').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('.s' + box.dataset.series).forEach(function (g) {
      if (g.classList.contains('legend')) g.style.opacity = box.checked ? '' : '0.3';
      else g.style.display = box.checked ? '' : 'none';
    });
  });
});
document.querySelectorAll('input[name=xaxis]').forEach(function (r) {
  r.addEventListener('change', function () { showAxis(r.value); });
});
</script>
)";

std::string render_html(const std::vector<Run>& runs, const std::vector<std::string>& sweep_plots,
                        const std::vector<std::string>& skipped, ReportAxis axis) {
  const std::string title = heading(runs);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                    escape_xml(title) + "</title>\n";
  out +=
      "<style>\n"
      "body{font-family:sans-serif;margin:2em;color:#222}\n"
      "table{border-collapse:collapse;margin-bottom:1.5em}\n"
      "th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}\n"
      "th:first-child,td:first-child,td:nth-child(2),td:last-child{text-align:left}\n"
      "th{background:#f3f3f3}\n"
      ".swatch{display:inline-block;width:10px;height:10px;margin:0 6px}\n"
      "svg{display:block;margin-bottom:1em}\n"
      "circle{cursor:crosshair}\n"
      "pre{background:#f7f7f7;padding:8px;overflow:auto}\n"
      ".note{color:#a40}\n"
      "</style>\n</head>\n<body>\n";
  out += "<h1>" + escape_xml(title) + "</h1>\n";
  for (const std::string& note : skipped) out += "<p class=\"note\">" + escape_xml(note) + "</p>\n";
  out += "<h2>Runs</h2>\n<p>Untick a run to hide its curves; hover a point for its values. Marks: L lost, J joined, "
         "S late or slow, I interrupted, R resumed.</p>\n" + render_table(runs);
  if (!sweep_plots.empty()) {
    out += "<h2>Sweep</h2>\n";
    for (const std::string& svg : sweep_plots) out += svg;
  }
  out += "<h2>Curves</h2>\n<p>x axis:";
  for (ReportAxis a : kReportAxes) {
    const std::string name = report_axis_name(a);
    out += " <label><input type=\"radio\" name=\"xaxis\" value=\"" + name + "\"" + (a == axis ? " checked" : "") +
           "/> " + name + "</label>";
  }
  out += "</p>\n";
  for (ReportAxis a : kReportAxes) {
    out += "<div class=\"axis\" data-axis=\"" + std::string(report_axis_name(a)) + "\"" + (a == axis ? "" : " hidden") + ">\n";
    for (const RenderedPlot& plot : render_run_plots(runs, a)) out += plot.svg;
    out += "</div>\n";
  }
  out += "<h2>Details</h2>\n";
  for (const Run& run : runs) out += render_run_details(run);
  return out + kScript + "</body>\n</html>\n";
}

// The plots stacked: the sweep's first, then every curve against `axis`; no table.
std::string render_svg(const std::vector<Run>& runs, const std::vector<RenderedPlot>& sweep_plots, ReportAxis axis) {
  std::vector<RenderedPlot> plots = sweep_plots;
  for (RenderedPlot& p : render_run_plots(runs, axis)) plots.push_back(std::move(p));
  std::string body;
  int height = 0;
  for (const RenderedPlot& p : plots) {
    body += "<g transform=\"translate(0," + std::to_string(height) + ")\">" + p.svg + "</g>\n";
    height += p.height;
  }
  const std::string width = std::to_string(LinePlot{}.width), h = std::to_string(height);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width +
         "\" height=\"" + h + "\" viewBox=\"0 0 " + width + " " + h + "\">\n<title>" + escape_xml(heading(runs)) +
         "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n" + body + "</svg>\n";
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


Result<ReportOutcome> write_report(const std::vector<std::string>& run_dirs, const std::string& output_path,
                                   const ReportOptions& options) {
  if (run_dirs.empty()) return Status::invalid_argument("no run directories to report on");
  IST_ASSIGN_OR_RETURN(const ReportFormat format, format_of(output_path));
  std::vector<SweepGroup> sweeps;
  IST_ASSIGN_OR_RETURN(const std::vector<std::string> dirs, expand_sweeps(run_dirs, &sweeps));
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
    return Status::not_found("no run to report on: " + (outcome.skipped.empty() ? std::string("the sweep has not started") : outcome.skipped.front()) +
                             (outcome.skipped.size() > 1 ? " (and " + std::to_string(outcome.skipped.size() - 1) + " more)" : ""));
  }
  make_labels_unique(runs);
  std::vector<RenderedPlot> sweep_plots;
  for (const SweepGroup& sweep : sweeps) {
    IST_ASSIGN_OR_RETURN(std::vector<RenderedPlot> plots, render_sweep_plots(sweep));
    for (RenderedPlot& p : plots) sweep_plots.push_back(std::move(p));
  }
  std::vector<std::string> sweep_svgs;
  for (const RenderedPlot& p : sweep_plots) sweep_svgs.push_back(p.svg);
  const std::string text = format == ReportFormat::kHtml ? render_html(runs, sweep_svgs, outcome.skipped, options.x_axis)
                                                          : render_svg(runs, sweep_plots, options.x_axis);
  IST_RETURN_IF_ERROR(write_text(output_path, text));
  outcome.runs = runs.size();
  return outcome;
}

}  // namespace ist::cli
