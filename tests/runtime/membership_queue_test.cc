// MembershipQueue: what a subscriber sees. Events in order; a deadline gives kTimeout, closing gives
// kCancelled. Waits are bounded by short deadlines; nothing sleeps.
#include <gtest/gtest.h>

#include <thread>

#include "runtime/membership.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

MembershipEvent event(MembershipChange change, NodeId id) {
  return MembershipEvent{change, Member{id, "tcp://127.0.0.1:" + std::to_string(id), "node"}};
}

TEST(MembershipQueue, EventsComeOutInTheOrderTheyWentIn) {
  MembershipQueue q;
  q.push(event(MembershipChange::kJoined, 1));
  q.push(event(MembershipChange::kJoined, 2));
  q.push(event(MembershipChange::kDead, 1));
  q.push(event(MembershipChange::kLeft, 2));
  EXPECT_EQ(q.size(), 4u);
  const std::pair<MembershipChange, NodeId> want[] = {{MembershipChange::kJoined, 1},
                                                      {MembershipChange::kJoined, 2},
                                                      {MembershipChange::kDead, 1},
                                                      {MembershipChange::kLeft, 2}};
  for (const auto& [change, id] : want) {
    auto e = q.next(deadline_in(1s));
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(e->change, change);
    EXPECT_EQ(e->member.id, id);
  }
  EXPECT_EQ(q.size(), 0u);
}

TEST(MembershipQueue, APastDeadlineStillReturnsAQueuedEvent) {
  MembershipQueue q;
  q.push(event(MembershipChange::kJoined, 1));
  auto e = q.next(Clock::now());  // how a caller polls without waiting
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->member.id, 1u);
  EXPECT_EQ(q.next(Clock::now()).status().code(), ErrorCode::kTimeout);
}

TEST(MembershipQueue, NextTimesOutWithTimeoutAtItsDeadline) {
  MembershipQueue q;
  const auto deadline = deadline_in(20ms);
  auto e = q.next(deadline);
  EXPECT_EQ(e.status().code(), ErrorCode::kTimeout);
  EXPECT_GE(Clock::now(), deadline);
}

TEST(MembershipQueue, CloseWakesAWaiterWithCancelled) {
  MembershipQueue q;
  const auto start = Clock::now();
  Status got;
  std::thread waiter([&] { got = q.next(start + 30s).status(); });
  q.close();
  waiter.join();
  EXPECT_EQ(got.code(), ErrorCode::kCancelled);
  EXPECT_LT(Clock::now() - start, 10s);  // woken by close, not by the deadline
}

TEST(MembershipQueue, PushWakesAWaiter) {
  MembershipQueue q;
  Result<MembershipEvent> got = Status::internal("not set");
  std::thread waiter([&] { got = q.next(deadline_in(30s)); });
  q.push(event(MembershipChange::kJoined, 5));
  waiter.join();
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->member.id, 5u);
}

TEST(MembershipQueue, UnreadEventsAreStillDeliveredAfterCloseThenCancelled) {
  MembershipQueue q;
  q.push(event(MembershipChange::kJoined, 1));
  q.push(event(MembershipChange::kLeft, 1));
  q.close();
  EXPECT_EQ(q.next(deadline_in(1s))->change, MembershipChange::kJoined);
  EXPECT_EQ(q.next(deadline_in(1s))->change, MembershipChange::kLeft);
  EXPECT_EQ(q.next(deadline_in(1s)).status().code(), ErrorCode::kCancelled);
}

// The node never pushes after close (it closes its queues once its I/O thread has stopped); if
// something did, the queue keeps the event for the reader rather than losing it.
TEST(MembershipQueue, EventPushedAfterCloseIsStillDelivered) {
  MembershipQueue q;
  q.close();
  q.push(event(MembershipChange::kDead, 3));
  auto e = q.next(deadline_in(1s));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->member.id, 3u);
  EXPECT_EQ(q.next(deadline_in(1s)).status().code(), ErrorCode::kCancelled);
}

}  // namespace
}  // namespace ist::rt
