// `ist sweep` end to end: every point of a 2 x 2 grid x 2 seeds runs (`ist run` on an embedded cluster),
// the table and the report are written, and the same command run again skips what finished.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/ist_process.h"
#include "tests/cli/text_files.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::run_ist;

using text_files::count;
const auto& read = text_files::read_file;

class Sweep : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ist_sweep_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // The quick example, made tiny (a 16-wide net, 2 rounds of 2 steps), swept over `grid`.
  ist_process::Outcome sweep(const std::vector<std::string>& grid, const std::string& out = "sw") {
    std::vector<std::string> args{"sweep", std::string(IST_SOURCE_DIR) + "/examples/quick_ist.toml",
                                  "--set", "model.widths=[784,16,10]", "--set", "algorithm.rounds=2",
                                  "--set", "algorithm.eval_every=2", "--set", "algorithm.local_steps=2",
                                  "--set", "algorithm.batch_size=16", "--seeds", "2", "--out", out};
    for (const std::string& g : grid) args.insert(args.end(), {"--grid", g});
    return run_ist(args, {}, std::chrono::seconds(100), root_.string());
  }

  fs::path root_;
};

const std::vector<std::string> kGrid{"algorithm.learning_rate=0.01,0.03", "cluster.workers=1,2"};

TEST_F(Sweep, RunsEveryPointOnceWritesTheTableAndReportAndAgainSkipsFinishedPoints) {
  const auto first = sweep(kGrid);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const fs::path dir = root_ / "sw";
  std::vector<std::string> points;
  for (const char* lr : {"0.01", "0.03"}) {
    for (const char* w : {"1", "2"}) {
      for (const char* seed : {"1", "2"}) {
        points.push_back(std::string("learning_rate=") + lr + ",workers=" + w + ",seed=" + seed);
      }
    }
  }
  for (const std::string& p : points) {
    ASSERT_TRUE(fs::exists(dir / p / "summary.json")) << p << "\n" << first.output;
    const std::string config = read(dir / p / "config.toml");
    EXPECT_NE(config.find("seed = " + p.substr(p.size() - 1)), std::string::npos) << p;
  }
  // One row per setting, each over both seeds, printed and written.
  const nlohmann::json table = nlohmann::json::parse(read(dir / "summary.json"));
  ASSERT_EQ(table.at("rows").size(), 4u);
  for (const auto& row : table.at("rows")) {
    EXPECT_EQ(row.at("finished").get<int>(), 2) << row.dump();
    EXPECT_TRUE(row.at("accuracy").at("mean").is_number()) << row.dump();
    EXPECT_TRUE(row.at("accuracy").at("std").is_number()) << row.dump();
  }
  const std::string markdown = read(dir / "summary.md");
  EXPECT_NE(markdown.find("| learning_rate=0.03,workers=2 | 2/2 |"), std::string::npos) << markdown;
  EXPECT_NE(first.output.find("| learning_rate=0.01,workers=1 | 2/2 |"), std::string::npos) << first.output;
  const std::string report = read(dir / "report.html");
  EXPECT_NE(report.find("learning_rate=0.03,workers=2,seed=2"), std::string::npos);

  // An interrupted sweep, as a re-run finds it: one point never started, one without its results.
  fs::remove_all(dir / points[0]);
  fs::remove(dir / points[5] / "summary.json");
  const auto kept = fs::last_write_time(dir / points[7] / "summary.json");
  const auto second = sweep(kGrid);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "finished earlier, skipped"), 6u) << second.output;
  EXPECT_NE(second.output.find(points[0] + ": running"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find(points[5] + ": running"), std::string::npos) << second.output;
  EXPECT_TRUE(fs::exists(dir / points[0] / "summary.json"));
  EXPECT_TRUE(fs::exists(dir / points[5] / "summary.json"));
  EXPECT_EQ(fs::last_write_time(dir / points[7] / "summary.json"), kept) << "a finished point is not run again";
}

TEST_F(Sweep, ABadValueIsRefusedBeforeAnythingIsCreated) {
  const auto out = sweep({"cluster.workers=2,0"});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("ist: "), std::string::npos) << out.output;
  EXPECT_NE(out.output.find("cluster.workers"), std::string::npos) << out.output;
  EXPECT_FALSE(fs::exists(root_ / "sw"));
}

TEST_F(Sweep, AnotherSweepIntoTheSameDirectoryIsRefused) {
  fs::create_directories(root_ / "sw");
  std::ofstream(root_ / "sw" / "sweep.json")
      << R"({"config":"c","overrides":[],"grid":[],"seeds":[1],"fingerprint":"0","points":[]})";
  const auto out = sweep({"algorithm.learning_rate=0.01"});
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_NE(out.output.find("holds another sweep"), std::string::npos) << out.output;
}

}  // namespace
}  // namespace ist::cli
