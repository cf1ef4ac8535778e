// The runtime's log lines go where the program says (a run's log.txt), else to stderr.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "runtime/log.h"

namespace ist::rt {
namespace {

TEST(LogSink, WarningsGoToTheSinkWholeAndBackToStderrWhenItIsCleared) {
  std::vector<std::string> lines;
  set_log_sink([&lines](const std::string& line) { lines.push_back(line); });
  log(LogLevel::kWarn, "peer ", 7, " is late");
  set_log_sink({});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "[rt warn pid " + std::to_string(getpid()) + "] peer 7 is late");
  testing::internal::CaptureStderr();
  log(LogLevel::kWarn, "after");
  EXPECT_NE(testing::internal::GetCapturedStderr().find("] after\n"), std::string::npos);
  EXPECT_EQ(lines.size(), 1u);
}

}  // namespace
}  // namespace ist::rt
