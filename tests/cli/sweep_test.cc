// `ist sweep` end to end: every point of a 2 x 2 grid x 2 seeds runs (`ist run`), side by side on a
// started cluster, the table and the report are written, the same command run again skips what finished,
// and the same points run one at a time on embedded clusters give the same models.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ist/model_io.h"
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
    // A state directory of the test's own: no cluster a developer started on this host is found.
    state_env_ = "IST_STATE_DIR=" + (root_ / "state").string();
  }
  void TearDown() override {
    if (cluster_started_) run_ist({"stop"}, {state_env_}, std::chrono::seconds(30), root_.string());
    fs::remove_all(root_);
  }

  // `ist start --head --workers N` on a port the OS chose, found by later commands through the state directory.
  void start_cluster(int workers) {
    const auto started = run_ist({"start", "--head", "--port", std::to_string(ist_process::free_port()), "--workers",
                                  std::to_string(workers)},
                                 {state_env_}, std::chrono::seconds(60), root_.string());
    ASSERT_EQ(started.exit_code, 0) << started.output;
    cluster_started_ = true;
  }

  // The quick example, made tiny (a 16-wide net, 2 rounds of 2 steps), swept over `grid`.
  ist_process::Outcome sweep(const std::vector<std::string>& grid, const std::string& out = "sw",
                             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"sweep", std::string(IST_SOURCE_DIR) + "/examples/quick_ist.toml",
                                  "--set", "model.widths=[784,16,10]", "--set", "algorithm.rounds=2",
                                  "--set", "algorithm.eval_every=2", "--set", "algorithm.local_steps=2",
                                  "--set", "algorithm.batch_size=16", "--seeds", "2", "--out", out};
    for (const std::string& g : grid) args.insert(args.end(), {"--grid", g});
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ist(args, {state_env_}, std::chrono::seconds(100), root_.string());
  }

  fs::path root_;
  std::string state_env_;
  bool cluster_started_ = false;
};

const std::vector<std::string> kGrid{"algorithm.learning_rate=0.01,0.03", "cluster.workers=1,2"};

// The node ids a sweep's output line "[K/N] POINT: running on nodes A,B" names for `point`.
std::vector<std::string> nodes_of(const std::string& output, const std::string& point) {
  const std::string marker = point + ": running on nodes ";
  const std::size_t at = output.find(marker);
  if (at == std::string::npos) return {};
  std::stringstream list(output.substr(at + marker.size(), output.find('\n', at) - at - marker.size()));
  std::vector<std::string> nodes;
  for (std::string id; std::getline(list, id, ',');) nodes.push_back(id);
  return nodes;
}

TEST_F(Sweep, OnAStartedClusterRunsPointsSideBySideWritesTheTableAndReportAndAgainSkipsFinishedPoints) {
  start_cluster(4);
  const auto first = sweep(kGrid);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("on the cluster at tcp://127.0.0.1:"), std::string::npos) << first.output;
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
  // The first three points (1 + 1 + 2 trainers) fit the 4 workers at once: all three started before any
  // run ended, each on nodes of its own.
  const std::size_t first_end = first.output.find(": finished\n");
  ASSERT_NE(first_end, std::string::npos) << first.output;
  std::set<std::string> taken;
  for (int k = 0; k < 3; ++k) {
    const std::string started = "[" + std::to_string(k + 1) + "/8] " + points[static_cast<std::size_t>(k)] + ": running";
    EXPECT_LT(first.output.find(started), first_end) << first.output;
    const std::vector<std::string> nodes = nodes_of(first.output, points[static_cast<std::size_t>(k)]);
    EXPECT_EQ(nodes.size(), k < 2 ? 1u : 2u) << first.output;
    for (const std::string& id : nodes) EXPECT_TRUE(taken.insert(id).second) << id << " shared\n" << first.output;
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

  // The same points one at a time, each on an embedded cluster of its own, train the same models bit for bit.
  const auto alone = sweep({"algorithm.learning_rate=0.03", "cluster.workers=2"}, "alone", {"--embedded"});
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  EXPECT_EQ(alone.output.find("on the cluster at"), std::string::npos) << alone.output;
  for (const char* point : {"learning_rate=0.03,workers=2,seed=1", "learning_rate=0.03,workers=2,seed=2"}) {
    auto side_by_side = load_model((dir / point / "model.safetensors").string());
    auto one_at_a_time = load_model((root_ / "alone" / point / "model.safetensors").string());
    ASSERT_TRUE(side_by_side.ok() && one_at_a_time.ok()) << point;
    ASSERT_EQ(side_by_side->layers.size(), one_at_a_time->layers.size());
    for (std::size_t l = 0; l < side_by_side->layers.size(); ++l) {
      EXPECT_TRUE(side_by_side->layers[l].weight == one_at_a_time->layers[l].weight) << point << " layer " << l;
      EXPECT_TRUE(side_by_side->layers[l].bias == one_at_a_time->layers[l].bias) << point << " layer " << l;
    }
  }
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
