#include "cli/report_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ist::cli {

namespace {

// Plot-area margins in pixels; the legend goes below the plot, a line per series.
constexpr int kMarginLeft = 72;
constexpr int kMarginRight = 24;
constexpr int kLegendLine = 18;
// Beyond this many points a series shows a marker (and its hover text) on every k-th point only.
constexpr std::size_t kMaxMarkers = 160;
constexpr int kMarginTop = 36;
constexpr int kMarginBottom = 52;

std::string px(double value) {
  return format_double("%.1f", value);
}

// An axis maps data values in [lo, hi] to [0, 1] (linear or in log10 space) and carries its ticks.
struct Axis {
  AxisScale scale = AxisScale::kLinear;
  double lo = 0.0;  // for kLog10 these are exponents
  double hi = 1.0;
  std::vector<double> ticks;  // data values
  int decimals = 0;           // for plain linear tick labels

  double fraction(double value) const {
    const double v = scale == AxisScale::kLog10 ? std::log10(value) : value;
    return (v - lo) / (hi - lo);
  }
};

// 1, 2 or 5 times a power of ten, so that about `target` steps span `range`.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double factor = norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0;
  return factor * magnitude;
}

Axis linear_axis(double min, double max) {
  if (!(max > min)) {  // one value (or none): widen so the point sits mid-plot
    const double pad = min == 0.0 ? 1.0 : std::abs(min) * 0.05;
    min -= pad;
    max += pad;
  }
  Axis axis;
  const double step = nice_step(max - min, 6);
  axis.lo = std::floor(min / step) * step;
  axis.hi = std::ceil(max / step) * step;
  for (double t = axis.lo; t <= axis.hi + step * 1e-6; t += step) {
    axis.ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  axis.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step))));
  return axis;
}

// Decades from floor(log10 min) to ceil(log10 max); at most about eight labelled ticks.
Axis log_axis(double min, double max) {
  Axis axis;
  axis.scale = AxisScale::kLog10;
  axis.lo = std::floor(std::log10(min));
  axis.hi = std::ceil(std::log10(max));
  if (axis.hi <= axis.lo) axis.hi = axis.lo + 1.0;
  const int decades = static_cast<int>(axis.hi - axis.lo);
  const int every = (decades + 7) / 8;
  for (int e = 0; e <= decades; e += every) axis.ticks.push_back(std::pow(10.0, axis.lo + e));
  return axis;
}

std::string tick_text(const Axis& axis, double value, const std::function<std::string(double)>& custom) {
  if (custom) return custom(value);
  if (axis.scale == AxisScale::kLog10) return format_double("%g", value);
  char format[16];
  std::snprintf(format, sizeof(format), "%%.%df", std::min(axis.decimals, 9));
  return format_double(format, value);
}

bool usable(const std::pair<double, double>& p, AxisScale x_scale) {
  if (!std::isfinite(p.first) || !std::isfinite(p.second)) return false;
  return x_scale == AxisScale::kLinear || p.first > 0.0;
}

// The pixel rectangle of the data area.
struct Frame {
  double left, top, right, bottom;
  double x(const Axis& a, double v) const { return left + a.fraction(v) * (right - left); }
  double y(const Axis& a, double v) const { return bottom - a.fraction(v) * (bottom - top); }
};

std::string render_x_axis(const Frame& f, const Axis& axis, const LinePlot& plot) {
  std::string out;
  for (double t : axis.ticks) {
    const std::string x = px(f.x(axis, t));
    out += "<line x1=\"" + x + "\" y1=\"" + px(f.top) + "\" x2=\"" + x + "\" y2=\"" + px(f.bottom) +
           "\" stroke=\"#e5e5e5\"/>";
    out += "<line x1=\"" + x + "\" y1=\"" + px(f.bottom) + "\" x2=\"" + x + "\" y2=\"" + px(f.bottom + 5) +
           "\" stroke=\"#333\"/>";
    out += "<text x=\"" + x + "\" y=\"" + px(f.bottom + 18) + "\" text-anchor=\"middle\">" +
           escape_xml(tick_text(axis, t, plot.x_tick_label)) + "</text>\n";
  }
  out += "<text x=\"" + px((f.left + f.right) / 2) + "\" y=\"" + px(f.bottom + 40) +
         "\" text-anchor=\"middle\" font-weight=\"bold\">" + escape_xml(plot.x_label) + "</text>\n";
  return out;
}

std::string render_y_axis(const Frame& f, const Axis& axis, const LinePlot& plot) {
  std::string out;
  for (double t : axis.ticks) {
    const std::string y = px(f.y(axis, t));
    out += "<line x1=\"" + px(f.left) + "\" y1=\"" + y + "\" x2=\"" + px(f.right) + "\" y2=\"" + y +
           "\" stroke=\"#e5e5e5\"/>";
    out += "<line x1=\"" + px(f.left - 5) + "\" y1=\"" + y + "\" x2=\"" + px(f.left) + "\" y2=\"" + y +
           "\" stroke=\"#333\"/>";
    out += "<text x=\"" + px(f.left - 8) + "\" y=\"" + px(f.y(axis, t) + 4) + "\" text-anchor=\"end\">" +
           escape_xml(tick_text(axis, t, nullptr)) + "</text>\n";
  }
  const std::string cy = px((f.top + f.bottom) / 2);
  out += "<text transform=\"translate(16," + cy +
         ") rotate(-90)\" text-anchor=\"middle\" font-weight=\"bold\">" + escape_xml(plot.y_label) +
         "</text>\n";
  return out;
}

std::string render_series(const Frame& f, const Axis& xa, const Axis& ya, const PlotSeries& s,
                          AxisScale x_scale, std::size_t index) {
  const std::string color = series_color(index);
  std::string points;
  std::string markers;
  const std::size_t stride = (s.points.size() + kMaxMarkers - 1) / kMaxMarkers;
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const auto& p = s.points[i];
    if (!usable(p, x_scale)) continue;
    const std::string x = px(f.x(xa, p.first));
    const std::string y = px(f.y(ya, p.second));
    points += (points.empty() ? "" : " ") + x + "," + y;
    if (i < s.y_ranges.size() && std::isfinite(s.y_ranges[i].first) && std::isfinite(s.y_ranges[i].second)) {
      markers += "<line x1=\"" + x + "\" y1=\"" + px(f.y(ya, s.y_ranges[i].first)) + "\" x2=\"" + x + "\" y2=\"" +
                 px(f.y(ya, s.y_ranges[i].second)) + "\" stroke=\"" + color + "\" stroke-width=\"1.5\"/>";
    }
    if (i % stride != 0 && i + 1 != s.points.size()) continue;
    markers += "<circle cx=\"" + x + "\" cy=\"" + y + "\" r=\"2.5\" fill=\"" + color + "\">";
    if (i < s.point_titles.size()) markers += "<title>" + escape_xml(s.point_titles[i]) + "</title>";
    markers += "</circle>";
  }
  if (points.empty()) return "";
  const std::string dash = series_dash(index);
  return "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" stroke-linejoin=\"round\"" +
         (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + " points=\"" + points + "\"/>\n" + markers +
         "\n";
}

std::string render_marks(const Frame& f, const Axis& xa, const LinePlot& plot, std::size_t index) {
  std::string out;
  for (const PlotMark& m : plot.marks) {
    if (m.series != index || !usable({m.x, 0.0}, plot.x_scale)) continue;
    const double fx = xa.fraction(m.x);
    if (fx < -1e-9 || fx > 1.0 + 1e-9) continue;
    const std::string x = px(f.x(xa, m.x));
    out += "<g><title>" + escape_xml(m.title) + "</title><line x1=\"" + x + "\" y1=\"" + px(f.top + 12) +
           "\" x2=\"" + x + "\" y2=\"" + px(f.bottom) + "\" stroke=\"" + series_color(index) +
           "\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/><text x=\"" + x + "\" y=\"" + px(f.top + 10) +
           "\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" fill=\"" + series_color(index) + "\">" +
           escape_xml(m.letter) + "</text></g>\n";
  }
  return out;
}

std::string render_legend(const LinePlot& plot, const std::vector<PlotSeries>& series) {
  std::string out;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const double y = plot.height + 4 + kLegendLine * static_cast<double>(i);
    const std::string dash = series_dash(i);
    out += "<g class=\"legend s" + std::to_string(i) + "\" data-series=\"" + std::to_string(i) + "\"><line x1=\"" +
           px(kMarginLeft) + "\" y1=\"" + px(y) + "\" x2=\"" + px(kMarginLeft + 28) + "\" y2=\"" + px(y) +
           "\" stroke=\"" + series_color(i) + "\" stroke-width=\"3\"" +
           (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>";
    out += "<text x=\"" + px(kMarginLeft + 36) + "\" y=\"" + px(y + 4) + "\">" + escape_xml(series[i].label) +
           "</text></g>\n";
  }
  return out;
}

}  // namespace

std::string format_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

const char* series_dash(std::size_t index) {
  static const char* const kDashes[] = {"", "7 4", "2 3", "9 3 2 3"};
  return kDashes[index % 4];
}

int line_plot_height(const LinePlot& plot, std::size_t series_count) {
  return plot.height + 8 + kLegendLine * static_cast<int>(series_count);
}

const char* series_color(std::size_t index) {
  static const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[index % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_bytes(double bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  std::size_t unit = 0;
  while (std::abs(bytes) >= 999.5 && unit + 1 < sizeof(kUnits) / sizeof(kUnits[0])) {
    bytes /= 1000.0;
    ++unit;
  }
  return format_double("%.3g", bytes) + " " + kUnits[unit];
}

std::string render_line_plot(const LinePlot& plot, const std::vector<PlotSeries>& series, int y) {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min;
  double y_min = x_min, y_max = -x_min;
  for (const auto& s : series) {
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      const auto& p = s.points[i];
      if (!usable(p, plot.x_scale)) continue;
      x_min = std::min(x_min, p.first);
      x_max = std::max(x_max, p.first);
      y_min = std::min(y_min, p.second);
      y_max = std::max(y_max, p.second);
      if (i < s.y_ranges.size() && std::isfinite(s.y_ranges[i].first) && std::isfinite(s.y_ranges[i].second)) {
        y_min = std::min(y_min, s.y_ranges[i].first);
        y_max = std::max(y_max, s.y_ranges[i].second);
      }
    }
  }
  const bool empty = !(x_min <= x_max);
  if (empty) {
    x_min = plot.x_scale == AxisScale::kLog10 ? 1.0 : 0.0;
    x_max = plot.x_scale == AxisScale::kLog10 ? 10.0 : 1.0;
    y_min = 0.0;
    y_max = 1.0;
  }
  Axis xa = plot.x_scale == AxisScale::kLog10 ? log_axis(x_min, x_max) : linear_axis(x_min, x_max);
  if (!plot.x_ticks.empty()) xa.ticks = plot.x_ticks;
  const Axis ya = linear_axis(y_min, y_max);
  const Frame f{static_cast<double>(kMarginLeft), static_cast<double>(kMarginTop),
                static_cast<double>(plot.width - kMarginRight),
                static_cast<double>(plot.height - kMarginBottom)};

  const std::string w = std::to_string(plot.width), h = std::to_string(line_plot_height(plot, series.size()));
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" x=\"0\" y=\"" + std::to_string(y) +
                    "\" width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "<rect x=\"0\" y=\"0\" width=\"" + w + "\" height=\"" + h + "\" fill=\"#fff\"/>\n";
  out += "<text x=\"" + px(plot.width / 2.0) +
         "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" "
         "font-weight=\"bold\">" +
         escape_xml(plot.title) + "</text>\n";
  out += render_x_axis(f, xa, plot);
  out += render_y_axis(f, ya, plot);
  out += "<rect x=\"" + px(f.left) + "\" y=\"" + px(f.top) + "\" width=\"" + px(f.right - f.left) +
         "\" height=\"" + px(f.bottom - f.top) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    out += "<g class=\"series s" + std::to_string(i) + "\">" + render_series(f, xa, ya, series[i], plot.x_scale, i) +
           render_marks(f, xa, plot, i) + "</g>\n";
  }
  if (empty) {
    out += "<text x=\"" + px((f.left + f.right) / 2) + "\" y=\"" + px((f.top + f.bottom) / 2) +
           "\" text-anchor=\"middle\" fill=\"#777\">" + escape_xml(plot.empty_text) + "</text>\n";
  }
  out += render_legend(plot, series);
  out += "</svg>\n";
  return out;
}

}  // namespace ist::cli
