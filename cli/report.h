// `ist report`: compares finished (or still running) run directories side by side. Reads only; never
// touches the runs. The HTML page is self-contained (no JavaScript, no external resources) so it can be
// mailed or archived as one file.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/report_curves.h"

namespace ist::cli {

// Reads each run directory's metrics.jsonl (and summary.json, config.toml if present) and writes a
// side-by-side comparison to output_path: a self-contained HTML page (".html": a table of runs and two
// plots, test accuracy against wall time and against cumulative bytes on a log axis) or an SVG (".svg",
// the two plots stacked). Runs keep their order; run i has the same color everywhere.
// Errors: invalid_argument (no runs, unknown output extension), not_found (a run dir or its
// metrics.jsonl missing, naming it), corrupt_data (a malformed metrics line, naming "FILE:LINE", or a
// summary.json that is not JSON), io_error (cannot read or write). Nothing is written on error.
// Any thread; no shared state.
// A sweep directory (ist sweep) stands for its points' run directories. A run directory without
// metrics.jsonl (the run failed before its first round) is skipped, and named in `skipped` with why;
// when every run is skipped the report is not written (not_found naming the first).
struct ReportOutcome {
  std::size_t runs = 0;               // runs shown
  std::vector<std::string> skipped;  // "DIR: why", one per run directory left out
};
struct ReportOptions {
  ReportAxis x_axis = ReportAxis::kTime;  // the SVG's x axis, and the one the HTML page opens with
};
Result<ReportOutcome> write_report(const std::vector<std::string>& run_dirs, const std::string& output_path,
                                   const ReportOptions& options = {});

}  // namespace ist::cli
