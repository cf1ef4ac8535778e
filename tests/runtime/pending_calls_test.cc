// The table of calls waiting for replies: each ends exactly once, by its reply, its deadline, its
// destination's death, or the node stopping. Deadlines come from a manual clock; no sockets, no sleeps.
#include "runtime/pending_calls.h"

#include <gtest/gtest.h>

#include "runtime/time_source.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

class PendingCallsTest : public ::testing::Test {
 protected:
  // Registers a call to `node` due `in` from the manual clock's now.
  // Its endpoint is "tcp://node-<node>".
  std::shared_ptr<CallState> add(std::uint64_t rid, NodeId node, Clock::duration in,
                                 Kind kind = Kind::kCall) {
    auto state = std::make_shared<CallState>(clock.now() + in);
    EXPECT_TRUE(calls.add(rid, PendingCalls::Call{state, node, kind, "tcp://node-" + std::to_string(node)}));
    return state;
  }

  // Completes a call the way NodeCore::on_reply does: only if it is still pending.
  bool reply(std::uint64_t rid, Result<Payload> r) {
    auto c = calls.take(rid);
    if (!c) return false;
    c->state->complete(std::move(r));
    return true;
  }

  ManualClock clock;  // starts at the epoch: every deadline is long past for the steady clock, so
                      // CallState::wait() never blocks here; it is only called on completed states
  PendingCalls calls;
};

TEST_F(PendingCallsTest, ReplyResolvesTheCallWithItsRequestId) {
  auto a = add(1, 7, 1s);
  auto b = add(2, 7, 1s);
  ASSERT_TRUE(reply(2, pack_args(42)));
  EXPECT_FALSE(a->ready());
  ASSERT_TRUE(b->ready());
  auto r = b->wait();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*unpack_one<int>(*r), 42);
  EXPECT_EQ(calls.size(), 1u);
}

TEST_F(PendingCallsTest, ErrorReplyResolvesTheCallWithTheError) {
  auto a = add(1, 7, 1s);
  ASSERT_TRUE(reply(1, Status::unknown_method("no such method")));
  EXPECT_EQ(a->wait().status().code(), ErrorCode::kUnknownMethod);
}

TEST_F(PendingCallsTest, ReplyForAnUnknownRequestIsDropped) {
  auto a = add(1, 7, 1s);
  EXPECT_FALSE(reply(99, pack_args(1)));
  EXPECT_FALSE(a->ready());
}

TEST_F(PendingCallsTest, CallIsNotTimedOutAtItsDeadline) {
  auto a = add(1, 7, 100ms);
  clock.advance(100ms);
  EXPECT_EQ(calls.expire(clock.now()), 0u);
  EXPECT_FALSE(a->ready());
}

TEST_F(PendingCallsTest, CallPastItsDeadlineFailsWithTimeout) {
  auto a = add(1, 7, 100ms);
  auto later = add(2, 7, 1s);
  clock.advance(101ms);
  EXPECT_EQ(calls.expire(clock.now()), 1u);
  ASSERT_TRUE(a->ready());
  EXPECT_EQ(a->wait().status().code(), ErrorCode::kTimeout);
  EXPECT_FALSE(later->ready());
}

TEST_F(PendingCallsTest, ReplyAfterTheTimeoutIsDropped) {
  auto a = add(1, 7, 100ms);
  clock.advance(101ms);
  calls.expire(clock.now());
  EXPECT_FALSE(reply(1, pack_args(42)));
  EXPECT_EQ(a->wait().status().code(), ErrorCode::kTimeout);
}

TEST_F(PendingCallsTest, NodeDeathFailsOnlyTheCallsToThatNodeWithNodeDead) {
  auto to7 = add(1, 7, 1s);
  auto also_to7 = add(2, 7, 1s, Kind::kSpawn);
  auto to8 = add(3, 8, 1s);
  EXPECT_EQ(calls.fail(7, Status::node_dead("node 7 died")), 2u);
  EXPECT_EQ(to7->wait().status().code(), ErrorCode::kNodeDead);
  EXPECT_EQ(also_to7->wait().status().code(), ErrorCode::kNodeDead);
  EXPECT_FALSE(to8->ready());
  EXPECT_FALSE(reply(1, pack_args(42)));  // a late reply from the dead node is dropped
  EXPECT_TRUE(reply(3, pack_args(42)));
}

TEST_F(PendingCallsTest, AnUnreachableEndpointFailsOnlyTheCallsSentThere) {
  auto to7 = add(1, 7, 1s);
  auto to8 = add(2, 8, 1s);
  EXPECT_EQ(calls.fail_to("tcp://node-7", Status::node_dead("no connection")), 1u);
  EXPECT_EQ(to7->wait().status().code(), ErrorCode::kNodeDead);
  EXPECT_FALSE(to8->ready());
  EXPECT_EQ(calls.fail_to("tcp://node-7", Status::node_dead("no connection")), 0u);
  EXPECT_TRUE(reply(2, pack_args(42)));
}

TEST_F(PendingCallsTest, ClosingCancelsEveryCallAndRefusesNewOnes) {
  auto a = add(1, 7, 1s);
  auto b = add(2, 0, 1s, Kind::kJoin);
  EXPECT_EQ(calls.close(Status::cancelled("node stopped")), 2u);
  EXPECT_EQ(a->wait().status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(b->wait().status().code(), ErrorCode::kCancelled);
  auto late = std::make_shared<CallState>(clock.now() + 1s);
  EXPECT_FALSE(calls.add(3, PendingCalls::Call{late, 7, Kind::kCall, ""}));
  EXPECT_EQ(calls.size(), 0u);
}

TEST_F(PendingCallsTest, TakenCallKeepsItsKindAndDestination) {
  add(5, 0, 1s, Kind::kJoin);
  auto c = calls.take(5);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, Kind::kJoin);
  EXPECT_EQ(c->dst_node, 0u);
  EXPECT_FALSE(calls.take(5).has_value());
}

// CallState: what a waiting Future sees.

TEST(CallState, FirstCompletionWins) {
  CallState s(Clock::now() + 1h);
  EXPECT_TRUE(s.complete(pack_args(1)));
  EXPECT_FALSE(s.complete(Status::timeout("late")));
  ASSERT_TRUE(s.wait().ok());
  EXPECT_EQ(*unpack_one<int>(*s.wait()), 1);
}

TEST(CallState, WaitPastTheDeadlineFailsWithTimeoutAndLaterRepliesAreIgnored) {
  CallState s(Clock::now() - 1ms);
  EXPECT_EQ(s.wait().status().code(), ErrorCode::kTimeout);
  EXPECT_FALSE(s.complete(pack_args(1)));
  EXPECT_EQ(s.wait().status().code(), ErrorCode::kTimeout);
}

TEST(Future, FailedFutureIsReadyWithItsStatus) {
  auto f =
      Future<Payload>::failed(Status::node_dead("gone"), [](Result<Payload>&& r) { return std::move(r); });
  EXPECT_TRUE(f.ready());
  EXPECT_EQ(f.get().status().code(), ErrorCode::kNodeDead);
}

}  // namespace
}  // namespace ist::rt
