// `ist sweep`'s plan: grid parsing, every combination once per seed, directory names, sweep.json.
#include "cli/sweep_plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ist::cli {
namespace {

TEST(SweepPlan, GridValuesSplitOnCommasOutsideBrackets) {
  auto axis = parse_grid_axis("model.widths=[784,64,10],[784,128,10]");
  ASSERT_TRUE(axis.ok()) << axis.status().to_string();
  EXPECT_EQ(axis->key, "model.widths");
  EXPECT_EQ(axis->values, (std::vector<std::string>{"[784,64,10]", "[784,128,10]"}));
}

TEST(SweepPlan, GridWithoutKeyOrWithAnEmptyValueIsRefusedNamingIt) {
  for (const char* text : {"0.01,0.03", "=0.1", "algorithm.learning_rate=0.1,,0.3"}) {
    auto axis = parse_grid_axis(text);
    ASSERT_FALSE(axis.ok()) << text;
    EXPECT_NE(axis.status().message().find(text), std::string::npos) << axis.status().to_string();
  }
}

TEST(SweepPlan, EveryCombinationOncePerSeedLastKeyFastest) {
  auto plan = plan_sweep("c.toml", {}, {{"algorithm.learning_rate", {"0.01", "0.1"}}, {"cluster.workers", {"2", "4"}}},
                         2, 7);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  std::vector<std::string> names;
  for (const SweepPoint& p : plan->points) names.push_back(p.dir_name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "learning_rate=0.01,workers=2,seed=7", "learning_rate=0.01,workers=2,seed=8",
                       "learning_rate=0.01,workers=4,seed=7", "learning_rate=0.01,workers=4,seed=8",
                       "learning_rate=0.1,workers=2,seed=7", "learning_rate=0.1,workers=2,seed=8",
                       "learning_rate=0.1,workers=4,seed=7", "learning_rate=0.1,workers=4,seed=8"}));
  EXPECT_EQ(plan->points[2].overrides(),
            (std::vector<std::string>{"algorithm.learning_rate=0.01", "cluster.workers=4", "seed=7"}));
  EXPECT_EQ(plan->points[2].setting(), "learning_rate=0.01,workers=4");
}

TEST(SweepPlan, KeysEndingAlikeAreShownWhole) {
  auto plan = plan_sweep("c.toml", {}, {{"a.rate", {"1"}}, {"b.rate", {"2"}}}, 1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->points[0].dir_name, "a.rate=1,b.rate=2,seed=1");
}

TEST(SweepPlan, DirectoryNamesHoldNoSlashOrQuote) {
  auto plan = plan_sweep("c.toml", {}, {{"data.path", {"\"/data/a\"", "\"/data/b\""}}}, 1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->points[0].dir_name, "path=_data_a,seed=1");
}

TEST(SweepPlan, AKeySweptTwiceOrSeedsChosenTwiceAreRefused) {
  EXPECT_FALSE(plan_sweep("c.toml", {}, {{"seed", {"1"}}, {"seed", {"2"}}}, 1, 1).ok());
  EXPECT_FALSE(plan_sweep("c.toml", {}, {{"seed", {"1", "2"}}}, 3, 1).ok());
  EXPECT_FALSE(plan_sweep("c.toml", {}, {{"seed", {"x"}}}, 1, 1).ok());
}

TEST(SweepPlan, SweptSeedsNameTheirPoints) {
  auto plan = plan_sweep("c.toml", {}, {{"seed", {"3", "5"}}}, 1, 1);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->points[1].dir_name, "seed=5");
  EXPECT_EQ(plan->points[1].overrides(), (std::vector<std::string>{"seed=5"}));
}

TEST(SweepPlan, SweepJsonReadsBackThePlanAndItsFingerprint) {
  const auto dir = std::filesystem::temp_directory_path() / ("ist_sweep_plan_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto plan = plan_sweep("c.toml", {"algorithm.rounds=2"},
                         {{"cluster.workers", {"2", "4"}}, {"algorithm.learning_rate", {"0.1"}}}, 2, 1);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(write_sweep_plan(dir.string(), *plan, "abc").ok());
  EXPECT_TRUE(is_sweep_directory(dir.string()));
  std::string fingerprint;
  auto back = read_sweep_plan(dir.string(), &fingerprint);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(fingerprint, "abc");
  EXPECT_EQ(back->overrides, plan->overrides);
  ASSERT_EQ(back->points.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back->points[i].dir_name, plan->points[i].dir_name);
    EXPECT_EQ(back->points[i].values, plan->points[i].values) << "grid order kept, not JSON's key order";
  }
  std::filesystem::remove_all(dir);
}

TEST(SweepPlan, FingerprintChangesWithAnyPointsConfig) {
  EXPECT_EQ(sweep_fingerprint({1, 2}), sweep_fingerprint({1, 2}));
  EXPECT_NE(sweep_fingerprint({1, 2}), sweep_fingerprint({2, 1}));
  EXPECT_EQ(sweep_fingerprint({1}).size(), 16u);
}

}  // namespace
}  // namespace ist::cli
