// The run directory keeps what a user has whole: metrics lines are whole or absent whatever the disk does,
// and only one driver at a time writes a directory.
#include "cli/run_directory.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "cli/append_line.h"
#include "cli/run_lock.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;

class RunDirectoryFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_run_directory_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

// A round in which no worker's work counted (abandoned for a lost owner) has no training loss: null, not 0,
// so curves and tools do not read a loss that fell to zero.
TEST(MetricsLine, ARoundWithoutACountedLossWritesNullAndOneWithALossItsValue) {
  RoundRecord none;
  none.round = 2;
  EXPECT_NE(metrics_json_line(none, 0.0).find("\"train_loss\":null"), std::string::npos) << metrics_json_line(none, 0.0);
  RoundRecord some;
  some.round = 3;
  some.train_loss = 0.25;
  some.live_workers = 2;
  EXPECT_NE(metrics_json_line(some, 0.0).find("\"train_loss\":0.25"), std::string::npos) << metrics_json_line(some, 0.0);
}

TEST_F(RunDirectoryFiles, AppendedLinesEndInANewlineEach) {
  const std::string file = path("metrics.jsonl");
  ASSERT_TRUE(append_whole_line(file, "{\"round\":1}").ok());
  ASSERT_TRUE(append_whole_line(file, "{\"round\":2}").ok());
  EXPECT_EQ(read(file), "{\"round\":1}\n{\"round\":2}\n");
}

TEST_F(RunDirectoryFiles, AFullDeviceIsAnErrorNamingTheFile) {
  const Status s = append_whole_line("/dev/full", "{\"round\":1}");
  ASSERT_FALSE(s.ok()) << "a write to /dev/full succeeded";
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("/dev/full"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.to_string();
}

TEST_F(RunDirectoryFiles, AShortWriteIsTakenBackSoEarlierLinesStayWholeAndNoHalfLineIsLeft) {
  const std::string file = path("metrics.jsonl");
  ASSERT_TRUE(append_whole_line(file, "{\"round\":1}").ok());
  const std::string before = read(file);
  // A file size limit 10 bytes above the file: the next line's first write comes up short, the second
  // fails with EFBIG (SIGXFSZ ignored), as on a disk that fills up mid-line.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit tight = saved;
  tight.rlim_cur = before.size() + 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  const Status s = append_whole_line(file, "{\"round\":2,\"train_loss\":0.5}");
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, previous_handler);
  ASSERT_FALSE(s.ok()) << "the line did not fit under the limit, yet no error";
  EXPECT_NE(s.message().find("10 of 29 bytes written, then taken back"), std::string::npos) << s.to_string();
  EXPECT_EQ(read(file), before) << "a partial line was left behind";
  ASSERT_TRUE(append_whole_line(file, "{\"round\":2}").ok());
  EXPECT_EQ(read(file), before + "{\"round\":2}\n");
}

TEST_F(RunDirectoryFiles, MetricsThatCannotBeWrittenAreAnError) {
  auto dir = RunDirectory::create(path("run"), "t");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  fs::create_symlink("/dev/full", path("run/metrics.jsonl"));
  RoundRecord record;
  record.round = 1;
  const Status s = dir->append_metrics(record);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path("run/metrics.jsonl")), std::string::npos) << s.to_string();
}

TEST_F(RunDirectoryFiles, ASecondLockOfTheSameDirectoryFailsNamingTheHoldersPid) {
  auto first = RunLock::acquire(dir_.string());
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  auto second = RunLock::acquire(dir_.string());
  ASSERT_FALSE(second.ok()) << "two holders of one run directory";
  EXPECT_EQ(second.status().message(),
            "run directory " + dir_.string() + " is in use by another ist process (pid " +
                std::to_string(getpid()) + "); wait for it to end, or stop it first");
  *first = RunLock();  // released
  EXPECT_TRUE(RunLock::acquire(dir_.string()).ok());
}

TEST_F(RunDirectoryFiles, ADirectoryInUseCannotBeReopenedAndItsMetricsAreNotTouched) {
  auto running = RunDirectory::create(path("run"), "t");
  ASSERT_TRUE(running.ok()) << running.status().to_string();
  RoundRecord record;
  for (record.round = 1; record.round <= 3; ++record.round) ASSERT_TRUE(running->append_metrics(record).ok());
  const std::string metrics = read(path("run/metrics.jsonl"));
  auto resumed = RunDirectory::reopen(path("run"), 1);
  ASSERT_FALSE(resumed.ok()) << "a run directory was reopened while its driver runs";
  EXPECT_NE(
      resumed.status().message().find("is in use by another ist process (pid " + std::to_string(getpid())),
      std::string::npos)
      << resumed.status().to_string();
  EXPECT_EQ(read(path("run/metrics.jsonl")), metrics) << "the refused resume cut the metrics";
}

TEST_F(RunDirectoryFiles, ARunIsFinishedOnceItsSummaryIsWritten) {
  auto dir = RunDirectory::create(path("run"), "t");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  EXPECT_FALSE(RunDirectory::is_finished(path("run")));
  ASSERT_TRUE(dir->write_summary("t", "ist", RunResult{}, 1.0).ok());
  EXPECT_TRUE(RunDirectory::is_finished(path("run")));
}

TEST_F(RunDirectoryFiles, TwoRunsStartedInTheSameSecondGetTwoDirectories) {
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  auto first = RunDirectory::create("", "same");
  auto second = RunDirectory::create("", "same");
  fs::current_path(cwd);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_NE(first->path(), second->path());
  EXPECT_EQ(second->path().rfind(first->path(), 0), 0u) << "the second is the first's name with a suffix: "
                                                         << second->path();
}

TEST_F(RunDirectoryFiles, AFailedRunIsMarkedFailedAndItsDirectoryTakesARetry) {
  {
    auto dir = RunDirectory::create(path("run"), "t");
    ASSERT_TRUE(dir.ok()) << dir.status().to_string();
    EXPECT_EQ(RunDirectory::status_of(path("run")), "running");
    ASSERT_TRUE(dir->append_metrics(RoundRecord{}).ok());
    dir->mark_failed("run failed: diverged: in round 1 ...");
  }
  EXPECT_EQ(RunDirectory::status_of(path("run")), "failed");
  EXPECT_NE(read(path("run/status.json")).find("diverged: in round 1"), std::string::npos);
  auto retry = RunDirectory::create(path("run"), "t");
  ASSERT_TRUE(retry.ok()) << retry.status().to_string();
  EXPECT_FALSE(fs::exists(path("run/metrics.jsonl"))) << "the failed run's metrics were kept";
  EXPECT_EQ(RunDirectory::status_of(path("run")), "running");
}

TEST_F(RunDirectoryFiles, AnInterruptedRunIsNotFinishedAndANewRunThereIsToldToResumeIt) {
  {
    auto dir = RunDirectory::create(path("run"), "t");
    ASSERT_TRUE(dir.ok());
    RunResult interrupted;
    interrupted.interrupted = true;
    ASSERT_TRUE(dir->write_summary("t", "ist", interrupted, 1.0).ok());
  }
  EXPECT_FALSE(RunDirectory::is_finished(path("run")));
  EXPECT_EQ(RunDirectory::status_of(path("run")), "interrupted");
  const Status refused = RunDirectory::check_can_create(path("run"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("ist run --resume " + path("run")), std::string::npos) << refused.to_string();
}

}  // namespace
}  // namespace ist::cli
