// A node's view of its head on a manual clock: heartbeats once per interval after the join, the head
// given up after head_lost_after of silence, not before, then rejoins once per rejoin interval until a
// join is accepted; never again once declared dead. No sockets, no sleeps.
#include "runtime/head_watch.h"

#include <gtest/gtest.h>

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr auto kInterval = 100ms;
constexpr auto kHeadLostAfter = 5000ms;
constexpr auto kRejoinInterval = 500ms;

class HeadWatchTest : public ::testing::Test {
 protected:
  void SetUp() override { watch.start(); }

  ManualClock clock{Clock::time_point{} + 1h};
  HeadWatch watch{clock, kInterval, kHeadLostAfter, kRejoinInterval};
};

TEST(ManualClock, MovesOnlyWhenAdvanced) {
  ManualClock clock;
  const auto t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(250ms);
  EXPECT_EQ(clock.now() - t0, 250ms);
}

TEST(SteadyTime, FollowsTheSteadyClock) {
  const auto before = Clock::now();
  const auto t = steady_time().now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, Clock::now());
}

TEST_F(HeadWatchTest, NoHeartbeatIsDueBeforeTheJoinIsAccepted) {
  EXPECT_FALSE(watch.heartbeat_due());
  clock.advance(kInterval * 3);
  EXPECT_FALSE(watch.heartbeat_due());
}

TEST_F(HeadWatchTest, FirstHeartbeatIsDueAtOnceAfterTheJoin) {
  watch.joined();
  EXPECT_TRUE(watch.heartbeat_due());
}

TEST_F(HeadWatchTest, HeartbeatIsDueOncePerInterval) {
  watch.joined();
  ASSERT_TRUE(watch.heartbeat_due());
  EXPECT_FALSE(watch.heartbeat_due());
  clock.advance(kInterval - 1ms);
  EXPECT_FALSE(watch.heartbeat_due());
  clock.advance(1ms);
  EXPECT_TRUE(watch.heartbeat_due());
  EXPECT_FALSE(watch.heartbeat_due());
}

TEST_F(HeadWatchTest, HeadIsNotLostBeforeHeadLostAfterOfSilence) {
  watch.joined();
  clock.advance(kHeadLostAfter - 1ms);
  EXPECT_FALSE(watch.head_silent_too_long());
  clock.advance(1ms);  // exactly head_lost_after: not yet longer than it
  EXPECT_FALSE(watch.head_silent_too_long());
}

TEST_F(HeadWatchTest, HeadIsLostAfterHeadLostAfterOfSilence) {
  watch.joined();
  clock.advance(kHeadLostAfter + 1ms);
  EXPECT_TRUE(watch.head_silent_too_long());
}

TEST_F(HeadWatchTest, SilenceBeforeTheFirstJoinIsNoHeadLoss) {
  clock.advance(kHeadLostAfter * 3);  // Node::start's join timeout judges an unanswered first join
  EXPECT_FALSE(watch.head_silent_too_long());
  EXPECT_FALSE(watch.rejoin_due());
}

TEST_F(HeadWatchTest, NoRejoinIsDueWhileJoined) {
  watch.joined();
  clock.advance(kRejoinInterval * 3);
  EXPECT_FALSE(watch.rejoin_due());
}

TEST_F(HeadWatchTest, ALostHeadGetsNoHeartbeatsAndIsNotLostTwice) {
  watch.joined();
  clock.advance(kHeadLostAfter + 1ms);
  ASSERT_TRUE(watch.head_silent_too_long());
  watch.lost();
  EXPECT_FALSE(watch.head_silent_too_long());
  EXPECT_FALSE(watch.heartbeat_due());
  EXPECT_FALSE(watch.is_joined());
}

TEST_F(HeadWatchTest, RejoinIsDueAtOnceAfterTheLossThenOncePerRejoinInterval) {
  watch.joined();
  watch.lost();
  EXPECT_TRUE(watch.rejoin_due());
  EXPECT_FALSE(watch.rejoin_due());
  clock.advance(kRejoinInterval - 1ms);
  EXPECT_FALSE(watch.rejoin_due());
  clock.advance(1ms);
  EXPECT_TRUE(watch.rejoin_due());
}

TEST_F(HeadWatchTest, AnAcceptedRejoinStopsRejoinsAndRestartsHeartbeatsAndTheSilenceCount) {
  watch.joined();
  clock.advance(kHeadLostAfter + 1ms);
  watch.lost();
  ASSERT_TRUE(watch.rejoin_due());
  watch.joined();
  EXPECT_TRUE(watch.is_joined());
  EXPECT_TRUE(watch.heartbeat_due());
  EXPECT_FALSE(watch.head_silent_too_long());
  clock.advance(kRejoinInterval);
  EXPECT_FALSE(watch.rejoin_due());
}

TEST_F(HeadWatchTest, ANodeDeclaredDeadNeverHeartbeatsNorRejoinsAgain) {
  watch.joined();
  watch.gone();
  watch.lost();  // e.g. the head goes silent afterwards: still gone
  clock.advance(kHeadLostAfter * 2);
  EXPECT_FALSE(watch.heartbeat_due());
  EXPECT_FALSE(watch.rejoin_due());
  EXPECT_FALSE(watch.head_silent_too_long());
}

TEST_F(HeadWatchTest, AnAckRestartsTheSilence) {
  watch.joined();
  clock.advance(kHeadLostAfter - 1ms);
  watch.heard();
  clock.advance(kHeadLostAfter - 1ms);
  EXPECT_FALSE(watch.head_silent_too_long());
  clock.advance(2ms);
  EXPECT_TRUE(watch.head_silent_too_long());
}

TEST_F(HeadWatchTest, HeartbeatsWithoutAcksDoNotKeepTheHeadAlive) {
  watch.joined();
  for (int i = 0; i < 60; ++i) {
    watch.heartbeat_due();
    clock.advance(kInterval);
  }
  EXPECT_TRUE(watch.head_silent_too_long());  // 6 s of sending and hearing nothing
}

}  // namespace
}  // namespace ist::rt
