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
  std::string label;                              // shown in the legend, whole (escaped by the writer)
  std::vector<std::pair<double, double>> points;  // (x, y) in data units, drawn in this order
  // Optional, one per point when given: the hover text of each point (an SVG <title>), and an error bar
  // (y low, y high) drawn through it.
  std::vector<std::string> point_titles;
  std::vector<std::pair<double, double>> y_ranges;
};

// A mark at one x of one series (an event of a run: a lost worker, a join): a dashed vertical line in the
// series' color with a letter at its top, and `title` as its hover text.
struct PlotMark {
  std::size_t series = 0;
  double x = 0.0;
  std::string letter;  // one or two characters: "L" lost, "J" joined, ...
  std::string title;
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  AxisScale x_scale = AxisScale::kLinear;
  std::function<std::string(double)> x_tick_label;  // empty: plain numbers
  std::vector<double> x_ticks;                      // empty: chosen by the axis (else these values, e.g. categories)
  std::vector<PlotMark> marks;
  std::string empty_text = "no values recorded";    // shown when no series has a point
  int width = 760;
  int height = 320;  // of the plot area and its axes; the legend below adds a line per series
};

// The plot as "<svg x="0" y="Y" width=... height=...>...</svg>"; `y` places it inside a parent <svg>
// (an outermost inline <svg> in HTML ignores it). Series i is drawn in series_color(i) with
// series_dash(i), inside <g class="series s<i>"> (with its marks), so a page can hide it; the legend
// below the plot names every series in full, one per line. Non-finite points, and on a log axis points
// with x <= 0, are dropped; a series left empty gets a legend entry but no polyline. With no points at
// all the axes span [0, 1] and the plot shows empty_text.
std::string render_line_plot(const LinePlot& plot, const std::vector<PlotSeries>& series, int y = 0);

// The rendered height of render_line_plot's output: plot.height plus the legend.
int line_plot_height(const LinePlot& plot, std::size_t series_count);

// A stroke-dasharray per series ("" solid, then dashed, dotted, dash-dot; cycles after four), so runs
// that draw the same line still show as two.
const char* series_dash(std::size_t index);

// A stable palette (cycles after ten), so run i has the same color in every plot. Never null.
const char* series_color(std::size_t index);

// Escapes & < > " ' so the text is safe in XML/HTML content and attribute values.
std::string escape_xml(std::string_view text);

// `value` printed with a printf format ("%.4f"); at most 63 characters.
std::string format_double(const char* format, double value);

// Decimal units, three significant digits: "512 B", "1.5 KB", "20 MB", "1.23 GB".
std::string format_bytes(double bytes);

}  // namespace ist::cli
