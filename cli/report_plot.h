// The SVG line-plot writer behind `ist report`: one plot (title, axes with ticks and labels, grid, one
// colored polyline per series, a legend) rendered as an <svg> element. Text in, text out: no I/O, no
// state, callable from any thread. Not a general charting library: x may be linear or log10, y is linear.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ist::cli {

enum class AxisScale { kLinear, kLog10 };

struct PlotSeries {
  std::string label;                              // shown in the legend (escaped by the writer)
  std::vector<std::pair<double, double>> points;  // (x, y) in data units, drawn in this order
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  AxisScale x_scale = AxisScale::kLinear;
  std::function<std::string(double)> x_tick_label;  // empty: plain numbers
  int width = 760;
  int height = 380;
};

// The plot as "<svg x="0" y="Y" width=... height=...>...</svg>"; `y` places it inside a parent <svg>
// (an outermost inline <svg> in HTML ignores it). Series i is drawn in series_color(i). Non-finite
// points, and on a log axis points with x <= 0, are dropped; a series left empty gets a legend entry
// but no polyline. With no points at all the axes span [0, 1] and the plot says so.
std::string render_line_plot(const LinePlot& plot, const std::vector<PlotSeries>& series, int y = 0);

// A stable palette (cycles after ten), so run i has the same color in every plot. Never null.
const char* series_color(std::size_t index);

// Escapes & < > " ' so the text is safe in XML/HTML content and attribute values.
std::string escape_xml(std::string_view text);

// Decimal units, three significant digits: "512 B", "1.5 KB", "20 MB", "1.23 GB".
std::string format_bytes(double bytes);

}  // namespace ist::cli
