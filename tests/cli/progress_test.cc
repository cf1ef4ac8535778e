// The live line: it fits the terminal, shortest form first, and its total follows the live workers.
#include "cli/progress.h"

#include <gtest/gtest.h>

namespace ist::cli {
namespace {

const std::vector<std::string> kFields{
    "round 12/300",    "acc 0.8123", "ETA 41s",   "loss 0.4512",
    "53210 samples/s", "12.3 MB",    "workers 4", "[########............]"};

TEST(LiveLine, FitsEightyColumnsDroppingTheLastFieldsFirst) {
  const std::string line = fit_line(kFields, 79);
  EXPECT_LE(line.size(), 79u);
  EXPECT_EQ(line.rfind("round 12/300  acc 0.8123  ETA 41s  loss 0.4512", 0), 0u) << line;
  EXPECT_EQ(line.find("[#"), std::string::npos) << "the bar comes last and did not fit: " << line;
}

TEST(LiveLine, ANarrowTerminalGetsTheShortestFormAndAWideOneEverything) {
  EXPECT_EQ(fit_line(kFields, 30), "round 12/300  acc 0.8123");
  EXPECT_LE(fit_line(kFields, 10).size(), 10u);
  const std::string wide = fit_line(kFields, 200);
  EXPECT_NE(wide.find("workers 4  [####"), std::string::npos) << wide;
}

TEST(LiveLine, TheTotalOfARunOfEpochsFollowsTheLiveWorkers) {
  // 1000 examples, 2 epochs, 10 examples per worker and round: 4 workers take 50 rounds.
  const RunPlan plan{0, 2.0, 1000, 10};
  RoundRecord r;
  r.round = 10;
  r.epochs = 0.4;
  r.live_workers = 4;
  EXPECT_EQ(plan.total_after(r), 50);
  r.live_workers = 2;  // half the workers: the 1.6 epochs left take 80 more rounds
  EXPECT_EQ(plan.total_after(r), 90);
  const RunPlan fixed{30, 0.0, 1000, 10};
  EXPECT_EQ(fixed.total_after(r), 30) << "a run of rounds keeps its rounds";
}

}  // namespace
}  // namespace ist::cli
