#include "cli/report_curves.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "cli/report_plot.h"
#include "cli/sweep_plan.h"
#include "cli/sweep_table.h"

namespace ist::cli {

namespace {

// The training examples of one round: as its metrics say, else from the config (older runs' metrics).
std::optional<double> round_samples(const Run& run, const RoundMetrics& m) {
  if (m.samples) return m.samples;
  if (run.samples_per_worker_round && m.live_workers) return *run.samples_per_worker_round * *m.live_workers;
  return std::nullopt;
}

// The x of every round of a run on `axis` (nullopt where the metrics lack what the axis needs).
std::vector<std::optional<double>> x_values(const Run& run, ReportAxis axis) {
  std::vector<std::optional<double>> xs;
  double samples = 0.0;
  for (const RoundMetrics& m : run.rounds) {
    switch (axis) {
      case ReportAxis::kTime: xs.emplace_back(m.wall_seconds); break;
      case ReportAxis::kEpochs: xs.push_back(m.epochs); break;
      case ReportAxis::kBytes: xs.push_back(m.bytes_total); break;
      case ReportAxis::kSamples:
        if (const std::optional<double> n = round_samples(run, m)) {
          samples += *n;
          xs.emplace_back(samples);
        } else {
          xs.emplace_back();
        }
        break;
    }
  }
  return xs;
}

// Samples per second over windows of rounds (about 60 points a run), placed at each window's last round.
std::vector<std::optional<double>> throughput(const Run& run) {
  std::vector<std::optional<double>> rate(run.rounds.size());
  const std::size_t window = std::max<std::size_t>(1, run.rounds.size() / 60);
  double samples = 0.0, since = 0.0;
  for (std::size_t i = 0; i < run.rounds.size(); ++i) {
    const RoundMetrics& m = run.rounds[i];
    const std::optional<double> n = round_samples(run, m);
    if (!n) return std::vector<std::optional<double>>(run.rounds.size());
    samples += *n;
    if ((i + 1) % window != 0 && i + 1 != run.rounds.size()) continue;
    const double seconds = m.wall_seconds - since;
    if (seconds > 0.0) rate[i] = samples / seconds;
    samples = 0.0;
    since = m.wall_seconds;
  }
  return rate;
}

struct Metric {
  const char* title;
  const char* y_label;
  std::function<std::optional<double>(const RoundMetrics&)> value;  // empty: throughput
};

std::string x_label(ReportAxis axis) {
  switch (axis) {
    case ReportAxis::kTime: return "wall time (s)";
    case ReportAxis::kEpochs: return "epochs";
    case ReportAxis::kSamples: return "training samples";
    case ReportAxis::kBytes: return "cumulative total bytes (log scale)";
  }
  return "";
}

std::string format_count(double v) {
  if (std::abs(v) >= 1e6) return format_double("%.3gM", v / 1e6);
  if (std::abs(v) >= 1e3) return format_double("%.3gk", v / 1e3);
  return format_double("%g", v);
}

}  // namespace

const char* report_axis_name(ReportAxis axis) {
  switch (axis) {
    case ReportAxis::kTime: return "time";
    case ReportAxis::kEpochs: return "epochs";
    case ReportAxis::kSamples: return "samples";
    case ReportAxis::kBytes: return "bytes";
  }
  return "time";
}

Result<ReportAxis> parse_report_axis(const std::string& name) {
  for (ReportAxis axis : kReportAxes) {
    if (name == report_axis_name(axis)) return axis;
  }
  return Status::invalid_argument("--x '" + name + "': choose time, epochs, samples or bytes");
}

std::vector<RenderedPlot> render_run_plots(const std::vector<Run>& runs, ReportAxis axis) {
  const Metric metrics[] = {
      {"Test accuracy", "test accuracy", [](const RoundMetrics& m) { return m.test_accuracy; }},
      {"Training loss", "train loss", [](const RoundMetrics& m) { return m.train_loss; }},
      {"Learning rate", "learning rate", [](const RoundMetrics& m) { return m.learning_rate; }},
      {"Throughput", "samples / s", nullptr},
      {"Live workers", "live workers", [](const RoundMetrics& m) { return m.live_workers; }},
  };
  std::vector<std::vector<std::optional<double>>> xs, rates;
  std::vector<PlotMark> marks;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    xs.push_back(x_values(runs[r], axis));
    rates.push_back(throughput(runs[r]));
    for (std::size_t i = 0; i < runs[r].rounds.size(); ++i) {
      const RoundMetrics& m = runs[r].rounds[i];
      for (std::size_t e = 0; e < m.event_kinds.size() && xs[r][i]; ++e) {
        const std::string letter = event_mark_letter(m.event_kinds[e]);
        if (!letter.empty()) {
          marks.push_back({r, *xs[r][i], letter, runs[r].label + ": round " + std::to_string(m.round) + ": " + m.events[e]});
        }
      }
    }
  }
  std::vector<RenderedPlot> out;
  for (const Metric& metric : metrics) {
    LinePlot plot;
    plot.title = std::string(metric.title) + " against " + (axis == ReportAxis::kTime ? "wall time" : report_axis_name(axis));
    plot.x_label = x_label(axis);
    plot.y_label = metric.y_label;
    plot.marks = marks;
    plot.empty_text = std::string("no ") + metric.y_label + " recorded";
    if (axis == ReportAxis::kBytes) {
      plot.x_scale = AxisScale::kLog10;
      plot.x_tick_label = format_bytes;
    } else if (axis == ReportAxis::kSamples) {
      plot.x_tick_label = format_count;
    }
    std::vector<PlotSeries> series;
    for (std::size_t r = 0; r < runs.size(); ++r) {
      PlotSeries s;
      s.label = runs[r].label;
      for (std::size_t i = 0; i < runs[r].rounds.size(); ++i) {
        const RoundMetrics& m = runs[r].rounds[i];
        const std::optional<double> y = metric.value ? metric.value(m) : rates[r][i];
        if (!y || !xs[r][i]) continue;
        s.points.emplace_back(*xs[r][i], *y);
        s.point_titles.push_back(runs[r].label + "\nround " + std::to_string(m.round) + ": " + metric.y_label + " " +
                                 format_double("%.6g", *y) + " at " + report_axis_name(axis) + " " +
                                 format_double("%.6g", *xs[r][i]));
      }
      series.push_back(std::move(s));
    }
    out.push_back({render_line_plot(plot, series), line_plot_height(plot, series.size())});
  }
  return out;
}

Result<std::vector<RenderedPlot>> render_sweep_plots(const SweepGroup& sweep) {
  IST_ASSIGN_OR_RETURN(const SweepPlan plan, read_sweep_plan(sweep.dir));
  IST_ASSIGN_OR_RETURN(const std::vector<SweepRow> rows, summarize_sweep(plan, sweep.dir));
  std::vector<RenderedPlot> out;
  for (const GridAxis& axis : plan.grid) {
    if (axis.values.size() < 2 || axis.key == "seed") continue;
    // x: the value itself when every value is a number (log10 when they span a decade), else its index.
    std::vector<double> numbers;
    for (const std::string& v : axis.values) {
      double x = 0.0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || end != v.data() + v.size()) break;
      numbers.push_back(x);
    }
    const bool numeric = numbers.size() == axis.values.size();
    const auto [lo, hi] = std::minmax_element(numbers.begin(), numbers.end());
    LinePlot plot;
    plot.title = "Final test accuracy against " + axis.key + " (" + directory_name(sweep.dir) + ")";
    plot.x_label = axis.key;
    plot.y_label = "final test accuracy";
    plot.empty_text = "no finished run";
    if (numeric && *lo > 0.0 && *hi / *lo >= 10.0) {
      plot.x_scale = AxisScale::kLog10;
      plot.x_ticks = numbers;
      plot.x_tick_label = [](double v) { return format_double("%g", v); };
    } else if (!numeric) {
      for (std::size_t i = 0; i < axis.values.size(); ++i) plot.x_ticks.push_back(static_cast<double>(i));
      const std::vector<std::string> names = axis.values;
      plot.x_tick_label = [names](double v) {
        const auto i = static_cast<std::size_t>(std::llround(v));
        return i < names.size() ? names[i] : std::string();
      };
    }
    // One series per setting of the other swept keys.
    std::map<std::string, PlotSeries> by_rest;
    std::vector<std::string> order;
    for (const SweepRow& row : rows) {
      std::string rest, value;
      for (const auto& [key, v] : row.values) {
        if (key == axis.key) {
          value = v;
        } else {
          rest += (rest.empty() ? "" : ", ") + key + "=" + v;
        }
      }
      if (rest.empty()) rest = "mean over seeds";
      if (!by_rest.count(rest)) order.push_back(rest);
      PlotSeries& s = by_rest[rest];
      s.label = rest;
      if (!row.mean_accuracy) continue;
      const std::size_t index =
          static_cast<std::size_t>(std::find(axis.values.begin(), axis.values.end(), value) - axis.values.begin());
      if (index >= axis.values.size()) continue;
      s.points.emplace_back(numeric ? numbers[index] : static_cast<double>(index), *row.mean_accuracy);
      s.y_ranges.emplace_back(*row.min_accuracy, *row.max_accuracy);
      s.point_titles.push_back(row.setting + ": " + format_double("%.4f", *row.mean_accuracy) + " ± " +
                               format_double("%.4f", *row.std_accuracy) + " over " + std::to_string(row.finished) +
                               " run(s)");
    }
    std::vector<PlotSeries> series;
    for (const std::string& rest : order) series.push_back(std::move(by_rest[rest]));
    out.push_back({render_line_plot(plot, series), line_plot_height(plot, series.size())});
  }
  return out;
}

}  // namespace ist::cli
