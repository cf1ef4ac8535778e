// `ist report`: HTML and SVG comparisons of run directories written into a temporary directory.
#include "cli/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/report_plot.h"
#include "tests/cli/text_files.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

using text_files::count;
using text_files::read_file;

// True when every element closes in order (void HTML elements like <meta> excepted). Enough to catch
// an unclosed <svg>, <polyline> or <text>; not a full XML parser.
bool tags_balance(const std::string& doc, std::string* problem) {
  std::vector<std::string> open;
  for (std::size_t at = doc.find('<'); at != std::string::npos; at = doc.find('<', at + 1)) {
    const std::size_t end = doc.find('>', at);
    if (end == std::string::npos) return *problem = "unterminated tag", false;
    const std::string tag = doc.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    const bool closing = tag[0] == '/';
    const std::string name =
        tag.substr(closing ? 1 : 0, tag.find_first_of(" \t\n/", closing ? 1 : 0) - (closing ? 1 : 0));
    if (closing) {
      if (open.empty() || open.back() != name) return *problem = "unexpected </" + name + ">", false;
      open.pop_back();
    } else if (tag.back() != '/' && name != "meta") {
      open.push_back(name);
    }
  }
  if (!open.empty()) return *problem = "unclosed <" + open.back() + ">", false;
  return true;
}

std::string metrics_line(int round, double wall, const std::string& accuracy, double bytes_total,
                         const std::string& events = "[]") {
  std::ostringstream line;
  line
      << R"({"round":)" << round << R"(,"wall_seconds":)" << wall << R"(,"epochs":)" << round * 0.5
      << R"(,"train_loss":0.5,"test_accuracy":)" << accuracy
      << R"(,"learning_rate":0.1,"bytes_sent_per_worker":1000,"bytes_received_per_worker":500,"bytes_total":)"
      << bytes_total << R"(,"live_workers":2,"events":)" << events << "}\n";
  return line.str();
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("ist_report_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root / "run_a");
    fs::create_directories(root / "run_b");
    // run_a: a full run directory with a summary and a config.
    write_file(root / "run_a" / "metrics.jsonl",
               metrics_line(1, 1.5, "0.5", 3000) + metrics_line(2, 3.0, "null", 6000) +
                   metrics_line(3, 4.5, "0.8125", 9000, R"(["worker 1 died"])") +
                   metrics_line(4, 6.0, "0.75", 12000));
    write_file(root / "run_a" / "summary.json",
               R"({"name":"mnist-ist","algorithm":"ist","final_test_accuracy":0.75,"wall_seconds":6.25,)"
               R"("rounds":4,"bytes_total":12000})");
    write_file(root / "run_a" / "config.toml", "name = \"mnist-ist\"\n[algorithm]\nkind = \"ist\"\n");
    // run_b: metrics only (a run killed before its summary), labelled by its directory.
    write_file(root / "run_b" / "metrics.jsonl",
               metrics_line(1, 2.0, "0.25", 2'000'000) + metrics_line(2, 4.0, "0.375", 4'000'000));
  }
  void TearDown() override { fs::remove_all(root); }

  std::vector<std::string> both() const { return {(root / "run_a").string(), (root / "run_b").string()}; }

  std::string report(const std::string& file_name, ReportAxis axis = ReportAxis::kTime) {
    const fs::path out = root / file_name;
    const Status status = write_report(both(), out.string(), ReportOptions{axis}).status();
    EXPECT_TRUE(status.ok()) << status.to_string();
    return read_file(out);
  }

  fs::path root;
};

TEST(ReportPlot, FormatsBytesInDecimalUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1500), "1.5 KB");
  EXPECT_EQ(format_bytes(1e6), "1 MB");
  EXPECT_EQ(format_bytes(1.234e9), "1.23 GB");
}

TEST(ReportPlot, EscapesMarkupCharacters) {
  EXPECT_EQ(escape_xml(R"(<a href="x">&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

TEST(ReportPlot, DrawsNoPolylineForASeriesWithoutPointsButKeepsItsLegend) {
  LinePlot plot;
  plot.title = "t";
  const std::string svg = render_line_plot(plot, {{"empty run", {}, {}, {}}, {"full run", {{1, 0.5}, {2, 0.6}}, {}, {}}});
  EXPECT_EQ(count(svg, "<polyline"), 1u);
  EXPECT_NE(svg.find("empty run"), std::string::npos);
  std::string problem;
  EXPECT_TRUE(tags_balance(svg, &problem)) << problem;
}

TEST_F(Report, HtmlNamesEveryRunAndHasEveryCurveForEveryXAxis) {
  const std::string html = report("report.html");
  EXPECT_NE(html.find("mnist-ist (ist)"), std::string::npos);  // summary name + algorithm
  EXPECT_NE(html.find(">run_b<"), std::string::npos);          // no summary: the directory's name
  EXPECT_EQ(count(html, "<svg"), 5u * 4u) << "5 curves x 4 x axes (time, epochs, samples, bytes)";
  EXPECT_EQ(count(html, "<div class=\"axis\""), 4u);
  EXPECT_EQ(count(html, " hidden>"), 3u) << "only the chosen x axis shows at first";
}

TEST_F(Report, HtmlTableShowsSummaryValuesAndFallsBackToMetrics) {
  const std::string html = report("report.html");
  EXPECT_NE(html.find("<td>0.7500</td><td>0.8125</td><td>6.2 s</td><td>12 KB</td><td>1.5 KB</td><td>1</td>"),
            std::string::npos)
      << "run_a: final from summary, best from metrics, wall and bytes from summary, one event";
  EXPECT_NE(html.find("<td>2</td><td>0.3750</td><td>0.3750</td><td>4.0 s</td><td>4 MB</td>"),
            std::string::npos)
      << "run_b: everything from metrics.jsonl";
}

TEST_F(Report, HtmlIsSelfContainedAndWellFormed) {
  const std::string html = report("report.html");
  EXPECT_EQ(count(html, "<script"), 1u) << "one inline script (toggles, x axis)";
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(count(html, "http:"), count(html, "xmlns=\"http://www.w3.org/2000/svg\"")) << "only SVG's namespace";
  EXPECT_EQ(html.find("https:"), std::string::npos);
  EXPECT_NE(html.find("<details>"), std::string::npos);
  EXPECT_NE(html.find("kind = &quot;ist&quot;"), std::string::npos);  // config.toml shown, escaped
  EXPECT_NE(html.find("round 3: worker 1 died"), std::string::npos);
  std::string problem;
  EXPECT_TRUE(tags_balance(html, &problem)) << problem;
}

TEST_F(Report, HtmlHasAToggleForEveryRunAndHoverValuesOnPoints) {
  const std::string html = report("report.html");
  EXPECT_EQ(count(html, "<input type=\"checkbox\" checked data-series="), 2u);
  EXPECT_EQ(count(html, "<input type=\"radio\" name=\"xaxis\""), 4u);
  EXPECT_NE(html.find("class=\"series s1\""), std::string::npos);
  EXPECT_NE(html.find("<title>run_b\nround 2: test accuracy 0.375 at time 4</title>"), std::string::npos);
}

TEST_F(Report, SvgStacksEveryCurveInOneBalancedDocument) {
  const std::string svg = report("report.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<svg"), 1u + 5u);  // the document and its five plots
  // accuracy, loss, learning rate and live workers for both runs; no throughput without a config's batch.
  EXPECT_EQ(count(svg, "<polyline"), 8u);
  EXPECT_NE(svg.find("mnist-ist (ist)"), std::string::npos);
  EXPECT_NE(svg.find("run_b"), std::string::npos);
  EXPECT_EQ(svg.find("<table"), std::string::npos);
  for (const char* title : {"Test accuracy against wall time", "Training loss against wall time",
                            "Learning rate against wall time", "Throughput against wall time",
                            "Live workers against wall time"}) {
    EXPECT_NE(svg.find(title), std::string::npos) << title;
  }
  std::string problem;
  EXPECT_TRUE(tags_balance(svg, &problem)) << problem;
}

TEST_F(Report, BytesAxisIsLogarithmicWithUnitTicks) {
  const std::string svg = report("report.svg", ReportAxis::kBytes);
  // bytes span 3 KB .. 4 MB: decade ticks 1 KB .. 10 MB.
  for (const char* tick : {">1 KB<", ">10 KB<", ">100 KB<", ">1 MB<", ">10 MB<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
}

TEST_F(Report, EpochsAndSamplesAxesComeFromTheMetricsAndTheConfig) {
  write_file(root / "run_a" / "config.toml", "name = \"mnist-ist\"\n[algorithm]\nlocal_steps = 5\nbatch_size = 10\n");
  const std::string epochs = report("e.svg", ReportAxis::kEpochs);
  EXPECT_NE(epochs.find("Test accuracy against epochs"), std::string::npos);
  EXPECT_NE(epochs.find("round 3: test accuracy 0.8125 at epochs 1.5"), std::string::npos);
  const std::string samples = report("s.svg", ReportAxis::kSamples);
  // 5 x 10 samples per worker and round, 2 live workers: 300 samples after round 3.
  EXPECT_NE(samples.find("round 3: test accuracy 0.8125 at samples 300"), std::string::npos);
  // Throughput: 100 samples per round, a round every 1.5 s.
  EXPECT_NE(samples.find("round 1: samples / s 66.6667"), std::string::npos);
}

TEST_F(Report, SamplesPerRoundComeFromTheMetricsWhenTheyCarryThem) {
  // A schedule doubled R after round 2: the metrics' own samples count, not the config's first R.
  write_file(root / "run_a" / "config.toml", "name = \"mnist-ist\"\n[algorithm]\nlocal_steps = 5\nbatch_size = 10\n");
  std::string lines;
  for (int round = 1; round <= 4; ++round) {
    std::string line = metrics_line(round, 1.5 * round, "0.5", 1000.0 * round);
    line.insert(line.size() - 2, round <= 2 ? R"(,"samples":100)" : R"(,"samples":200)");
    lines += line;
  }
  write_file(root / "run_a" / "metrics.jsonl", lines);
  const std::string samples = report("s.svg", ReportAxis::kSamples);
  EXPECT_NE(samples.find("round 3: test accuracy 0.5 at samples 400"), std::string::npos);
  EXPECT_NE(samples.find("round 4: test accuracy 0.5 at samples 600"), std::string::npos);
}

TEST_F(Report, PlotsOnlyRoundsWithATestAccuracy) {
  const std::string svg = report("report.svg");
  // run_a has 4 rounds, one without accuracy: 3 points; run_b 2 points.
  EXPECT_EQ(count(svg, ": test accuracy "), 3u + 2u);
}

TEST_F(Report, LegendNamesAreWholeHoweverLong) {
  const std::string name = "fashion-mnist-ist-with-a-rather-long-descriptive-experiment-name-lr0.03";
  write_file(root / "run_b" / "summary.json", R"({"name":")" + name + R"(","algorithm":"ist"})");
  const std::string svg = report("report.svg");
  EXPECT_EQ(count(svg, ">" + name + " (ist)</text>"), 5u) << "in the legend of each of the five plots";
}

TEST_F(Report, IdenticalRunsGetDistinctLabelsAndLineStyles) {
  fs::copy(root / "run_a", root / "run_a_again");
  const fs::path out = root / "same.svg";
  ASSERT_TRUE(write_report({(root / "run_a").string(), (root / "run_a_again").string()}, out.string()).ok());
  const std::string svg = read_file(out);
  EXPECT_NE(svg.find(">mnist-ist (ist) [run_a]</text>"), std::string::npos);
  EXPECT_NE(svg.find(">mnist-ist (ist) [run_a_again]</text>"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos) << "the second run is dashed";
}

TEST_F(Report, HeadingCountsTheRunsInsteadOfJoiningTheirNames) {
  const std::string html = report("report.html");
  EXPECT_NE(html.find("<h1>ist report: 2 runs</h1>"), std::string::npos);
  EXPECT_EQ(html.find(" vs "), std::string::npos);
}

TEST_F(Report, EventsAreMarkedAndCheckpointsAreNotCountedAsEvents) {
  write_file(root / "run_b" / "metrics.jsonl",
             metrics_line(1, 2.0, "0.25", 100, R"(["checkpoint written"],"event_kinds":["checkpoint_written"])") +
                 metrics_line(2, 4.0, "0.375", 200,
                              R"(["trainer on node 1 (shard 1) lost: node_dead","trainer on node 2 joined"],)"
                              R"("event_kinds":["trainer_lost","trainer_joined"])"));
  const std::string html = report("report.html");
  EXPECT_NE(html.find("</td><td>2</td><td>" + (root / "run_b").string() + "</td>"), std::string::npos)
      << "two events (lost, joined); the checkpoint is not one";
  EXPECT_NE(html.find(">L</text>"), std::string::npos);
  EXPECT_NE(html.find(">J</text>"), std::string::npos);
  EXPECT_NE(html.find("<title>run_b: round 2: trainer on node 1 (shard 1) lost: node_dead</title>"), std::string::npos);
}

TEST_F(Report, ASweepDirectoryShowsItsPointsAndAccuracyAgainstTheSweptKey) {
  const fs::path sweep = root / "sweep";
  fs::create_directories(sweep);
  write_file(sweep / "sweep.json",
             R"({"config":"c.toml","overrides":[],"grid":[{"key":"algorithm.learning_rate","values":["0.01","0.1"]}],)"
             R"("seeds":[1],"fingerprint":"f","points":[)"
             R"({"dir":"learning_rate=0.01,seed=1","seed":1,"values":{"algorithm.learning_rate":"0.01"}},)"
             R"({"dir":"learning_rate=0.1,seed=1","seed":1,"values":{"algorithm.learning_rate":"0.1"}}]})");
  fs::copy(root / "run_a", sweep / "learning_rate=0.01,seed=1");
  fs::copy(root / "run_b", sweep / "learning_rate=0.1,seed=1");
  write_file(sweep / "learning_rate=0.1,seed=1" / "summary.json", R"({"name":"x","final_test_accuracy":0.5})");
  const fs::path out = root / "sweep.svg";
  auto outcome = write_report({sweep.string()}, out.string());
  ASSERT_TRUE(outcome.ok()) << outcome.status().to_string();
  EXPECT_EQ(outcome->runs, 2u);
  const std::string svg = read_file(out);
  EXPECT_NE(svg.find("Final test accuracy against algorithm.learning_rate"), std::string::npos);
  EXPECT_NE(svg.find("<title>learning_rate=0.1: 0.5000 ± 0.0000 over 1 run(s)</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>learning_rate=0.01: 0.7500 ± 0.0000 over 1 run(s)</title>"), std::string::npos);
  std::string problem;
  EXPECT_TRUE(tags_balance(svg, &problem)) << problem;
}

TEST_F(Report, RunNamesAreEscaped) {
  write_file(root / "run_b" / "summary.json", R"({"name":"<b>&co","algorithm":"dp"})");
  const std::string html = report("report.html");
  EXPECT_NE(html.find("&lt;b&gt;&amp;co (dp)"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
}

TEST_F(Report, MissingRunDirectoryIsNotFoundAndNamedInTheError) {
  const std::string missing = (root / "no_such_run").string();
  const Status status = write_report({(root / "run_a").string(), missing}, (root / "r.html").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_NE(status.message().find(missing), std::string::npos) << status.to_string();
  EXPECT_FALSE(fs::exists(root / "r.html"));
}

TEST_F(Report, ARunThatFailedBeforeItsFirstRoundIsSkippedWithANote) {
  fs::create_directories(root / "failed_run");
  auto outcome = write_report({(root / "run_a").string(), (root / "failed_run").string()}, (root / "r.html").string());
  ASSERT_TRUE(outcome.ok()) << outcome.status().to_string();
  EXPECT_EQ(outcome->runs, 1u);
  ASSERT_EQ(outcome->skipped.size(), 1u);
  EXPECT_NE(outcome->skipped[0].find("failed_run"), std::string::npos) << outcome->skipped[0];
  EXPECT_NE(outcome->skipped[0].find("metrics.jsonl"), std::string::npos) << outcome->skipped[0];
}

TEST_F(Report, OnlyFailedRunsIsNotFoundNamingTheRun) {
  fs::create_directories(root / "empty_run");
  const Status status = write_report({(root / "empty_run").string()}, (root / "r.html").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_NE(status.message().find("empty_run"), std::string::npos) << status.to_string();
  EXPECT_FALSE(fs::exists(root / "r.html"));
}

TEST_F(Report, MalformedMetricsLineIsCorruptDataNamingFileAndLine) {
  write_file(root / "run_b" / "metrics.jsonl",
             metrics_line(1, 2.0, "0.25", 100) + "{\"round\": 2, \"wall_\n");
  const Status status = write_report(both(), (root / "r.html").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_NE(status.message().find((root / "run_b" / "metrics.jsonl").string() + ":2:"), std::string::npos)
      << status.to_string();
}

TEST_F(Report, WronglyTypedMetricsKeyIsCorruptDataNamingTheKey) {
  write_file(root / "run_b" / "metrics.jsonl", R"({"round":1,"wall_seconds":"soon"})"
                                               "\n");
  const Status status = write_report(both(), (root / "r.html").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_NE(status.message().find(":1: key 'wall_seconds'"), std::string::npos) << status.to_string();
}

TEST_F(Report, NoRunsIsInvalidArgument) {
  EXPECT_EQ(write_report({}, (root / "r.html").string()).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(Report, UnknownOutputExtensionIsInvalidArgumentNamingTheFile) {
  const Status status = write_report(both(), (root / "r.pdf").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("r.pdf"), std::string::npos) << status.to_string();
}

TEST_F(Report, UnwritableOutputIsIoError) {
  const Status status = write_report(both(), (root / "no_such_dir" / "r.html").string()).status();
  EXPECT_EQ(status.code(), ErrorCode::kIoError) << status.to_string();
}

}  // namespace
}  // namespace ist::cli
