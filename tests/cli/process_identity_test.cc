// A recorded process is proven by its start time and boot id, not by its pid alone. In process: the
// test's own process stands in for a recorded node; `ist stop` itself is tested in cluster_bookkeeping_test.
#include "cli/process_identity.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ist::cli {
namespace {

TEST(ProcessIdentity, StartTimeIsField22CountedAfterTheLastParenthesisOfTheName) {
  // A command name may hold spaces and ')': counting fields from the line's start would be off by two.
  const std::string stat =
      "4242 (evil) 1 2) S 1 4242 4242 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 987654 3133440 411";
  auto start = start_time_from_stat(stat);
  ASSERT_TRUE(start.ok()) << start.status().to_string();
  EXPECT_EQ(*start, 987654u);
}

TEST(ProcessIdentity, AStatLineThatEndsBeforeField22IsCorrupt) {
  auto start = start_time_from_stat("4242 (short) S 1 2 3");
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.status().code(), ErrorCode::kCorruptData);
}

TEST(ProcessIdentity, ThisProcessHasAStartTimeAndABootId) {
  auto self = identify_process(getpid());
  ASSERT_TRUE(self.ok()) << self.status().to_string();
  EXPECT_EQ(self->pid, getpid());
  EXPECT_GT(self->start_time, 0u);
  EXPECT_EQ(self->boot_id.size(), 36u) << self->boot_id;  // a UUID
  auto init = identify_process(1);
  ASSERT_TRUE(init.ok()) << init.status().to_string();
  EXPECT_LE(init->start_time, self->start_time) << "pid 1 started first";
  EXPECT_EQ(init->boot_id, self->boot_id);
}

TEST(ProvenProcess, TheRecordedProcessIsProvenAndCanBeSignalled) {
  auto self = identify_process(getpid());
  ASSERT_TRUE(self.ok());
  auto proven = ProvenProcess::open(*self);
  ASSERT_TRUE(proven.ok()) << proven.status().to_string();
  EXPECT_EQ(proven->pid(), getpid());
  EXPECT_TRUE(proven->send(0).ok());  // signal 0: checks deliverability, delivers nothing
}

TEST(ProvenProcess, APidNowHeldByAProcessWithAnotherStartTimeIsRefused) {
  auto self = identify_process(getpid());
  ASSERT_TRUE(self.ok());
  ProcessIdentity recorded = *self;
  recorded.start_time -= 1;  // as if ours had started a tick earlier and this process had reused its pid
  auto proven = ProvenProcess::open(recorded);
  ASSERT_FALSE(proven.ok());
  EXPECT_EQ(proven.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(proven.status().message().find("ours started at tick " + std::to_string(recorded.start_time)),
            std::string::npos)
      << proven.status().message();
}

TEST(ProvenProcess, APidRecordedInAnotherBootIsRefused) {
  auto self = identify_process(getpid());
  ASSERT_TRUE(self.ok());
  ProcessIdentity recorded = *self;
  recorded.boot_id = "00000000-0000-0000-0000-000000000000";
  auto proven = ProvenProcess::open(recorded);
  ASSERT_FALSE(proven.ok());
  EXPECT_EQ(proven.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(proven.status().message().find("another boot"), std::string::npos) << proven.status().message();
}

TEST(ProvenProcess, ARecordWithoutStartTimeProvesNothing) {
  auto self = identify_process(getpid());
  ASSERT_TRUE(self.ok());
  auto proven = ProvenProcess::open(ProcessIdentity{getpid(), 0, self->boot_id});
  ASSERT_FALSE(proven.ok());
  EXPECT_EQ(proven.status().code(), ErrorCode::kInvalidArgument);
}

// A daemon whose parent (init) has not reaped it yet is a zombie: it has exited, and `ist stop` or
// `ist start` must not count it as a running node.
TEST(ProvenProcess, AnExitedProcessNotYetReapedCountsAsGone) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  auto recorded = identify_process(child);  // not reaped: its /proc entry stays, as a zombie
  ASSERT_TRUE(recorded.ok()) << recorded.status().to_string();
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);  // exited, still unreaped
  auto proven = ProvenProcess::open(*recorded);
  ASSERT_FALSE(proven.ok());
  EXPECT_EQ(proven.status().code(), ErrorCode::kNotFound) << proven.status().to_string();
  EXPECT_TRUE(is_zombie_stat("4242 (a) b) Z 1 2 3"));
  EXPECT_FALSE(is_zombie_stat("4242 (Z) S 1 2 3"));
  waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace ist::cli
