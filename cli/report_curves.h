// The plots of `ist report`: each run's curves (test accuracy, train loss, learning rate, samples/s, live
// workers) against a chosen x axis with its events marked, and for a sweep, final test accuracy against
// each swept key. Text in, SVG text out; any thread.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/report_runs.h"

namespace ist::cli {

enum class ReportAxis { kTime, kEpochs, kSamples, kBytes };
inline constexpr ReportAxis kReportAxes[] = {ReportAxis::kTime, ReportAxis::kEpochs, ReportAxis::kSamples,
                                             ReportAxis::kBytes};

// "time", "epochs", "samples", "bytes".
const char* report_axis_name(ReportAxis axis);
// Errors: invalid_argument naming the value and the choices.
Result<ReportAxis> parse_report_axis(const std::string& name);

// One rendered plot: an <svg> element placed at y = 0 (its parent positions it) and its height.
struct RenderedPlot {
  std::string svg;
  int height = 0;
};

// Test accuracy, train loss, learning rate, samples/s and live workers against `axis`; run i is series i.
// Events (lost, joined, late, interrupted) are marked with a letter on every plot. Time is the wall time
// the metrics record; samples count local_steps x batch_size per live worker and round (from config.toml);
// bytes are cumulative, on a log axis.
std::vector<RenderedPlot> render_run_plots(const std::vector<Run>& runs, ReportAxis axis);

// For each swept key with two values or more: final test accuracy (mean over seeds, min..max as a bar)
// against the key, a series per setting of the other keys. Errors: corrupt_data from a sweep's files.
Result<std::vector<RenderedPlot>> render_sweep_plots(const SweepGroup& sweep);

}  // namespace ist::cli
