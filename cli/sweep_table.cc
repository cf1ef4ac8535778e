#include "cli/sweep_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/report_plot.h"  // format_double
#include "cli/run_summary.h"

namespace ist::cli {

namespace {

nlohmann::json or_null(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

Result<std::vector<SweepRow>> summarize_sweep(const SweepPlan& plan, const std::string& sweep_dir) {
  std::vector<SweepRow> rows;
  std::vector<std::vector<double>> accuracies, walls;
  for (const SweepPoint& point : plan.points) {
    const std::string setting = point.setting();
    auto row = std::find_if(rows.begin(), rows.end(), [&](const SweepRow& r) { return r.setting == setting; });
    if (row == rows.end()) {
      SweepRow fresh;
      fresh.values = point.values;
      fresh.setting = setting;
      rows.push_back(std::move(fresh));
      accuracies.emplace_back();
      walls.emplace_back();
      row = rows.end() - 1;
    }
    const std::size_t i = static_cast<std::size_t>(row - rows.begin());
    row->runs += 1;
    IST_ASSIGN_OR_RETURN(const RunSummary summary,
                         load_run_summary(sweep_dir + "/" + point.dir_name + "/summary.json"));
    if (!summary.final_test_accuracy) continue;
    row->finished += 1;
    accuracies[i].push_back(*summary.final_test_accuracy);
    if (summary.wall_seconds) walls[i].push_back(*summary.wall_seconds);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::vector<double>& a = accuracies[i];
    if (!a.empty()) {
      double sum = 0.0;
      for (double v : a) sum += v;
      const double mean = sum / static_cast<double>(a.size());
      double squares = 0.0;
      for (double v : a) squares += (v - mean) * (v - mean);
      rows[i].mean_accuracy = mean;
      rows[i].std_accuracy = a.size() > 1 ? std::sqrt(squares / static_cast<double>(a.size() - 1)) : 0.0;
      rows[i].min_accuracy = *std::min_element(a.begin(), a.end());
      rows[i].max_accuracy = *std::max_element(a.begin(), a.end());
    }
    if (!walls[i].empty()) {
      double sum = 0.0;
      for (double v : walls[i]) sum += v;
      rows[i].mean_wall_seconds = sum / static_cast<double>(walls[i].size());
    }
  }
  return rows;
}

std::string sweep_table_markdown(const std::vector<SweepRow>& rows) {
  std::string out =
      "| setting | runs | test accuracy (mean ± std) | min .. max | wall time (mean) |\n"
      "|---|---|---|---|---|\n";
  for (const SweepRow& r : rows) {
    out += "| " + r.setting + " | " + std::to_string(r.finished) + "/" + std::to_string(r.runs) + " | ";
    out += r.mean_accuracy ? format_double("%.4f", *r.mean_accuracy) + " ± " + format_double("%.4f", *r.std_accuracy) : "—";
    out += " | ";
    out += r.min_accuracy ? format_double("%.4f", *r.min_accuracy) + " .. " + format_double("%.4f", *r.max_accuracy) : "—";
    out += " | ";
    out += r.mean_wall_seconds ? format_double("%.2f s", *r.mean_wall_seconds) : "—";
    out += " |\n";
  }
  return out;
}

nlohmann::json sweep_table_json(const std::vector<SweepRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const SweepRow& r : rows) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& [key, value] : r.values) values[key] = value;
    out.push_back({{"setting", r.setting},
                   {"values", values},
                   {"runs", r.runs},
                   {"finished", r.finished},
                   {"accuracy",
                    {{"mean", or_null(r.mean_accuracy)},
                     {"std", or_null(r.std_accuracy)},
                     {"min", or_null(r.min_accuracy)},
                     {"max", or_null(r.max_accuracy)}}},
                   {"wall_seconds_mean", or_null(r.mean_wall_seconds)}});
  }
  return {{"rows", out}};
}

}  // namespace ist::cli
