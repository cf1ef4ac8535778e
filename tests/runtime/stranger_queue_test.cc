// StrangerQueue on a manual clock: messages from a node not announced yet wait, bounded in count and
// bytes, until its announcement releases them or they expire.
#include "runtime/stranger_queue.h"

#include <gtest/gtest.h>

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

Envelope from(NodeId node, std::size_t bytes = 0) {
  Envelope e;
  e.header.kind = Kind::kSpawn;
  e.header.src_node = node;
  e.payload.args.assign(bytes, 'x');
  return e;
}

TEST(StrangerQueue, ReleasesANodesMessagesInArrivalOrderAndOnlyThose) {
  ManualClock clock;
  StrangerQueue q(clock, StrangerQueue::Limits{});
  ASSERT_TRUE(q.hold(from(1, 1)));
  ASSERT_TRUE(q.hold(from(2, 2)));
  ASSERT_TRUE(q.hold(from(1, 3)));
  auto released = q.release(1);
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].payload.args.size(), 1u);
  EXPECT_EQ(released[1].payload.args.size(), 3u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.bytes(), 2u);
}

TEST(StrangerQueue, RefusesWhatWouldPassTheCountOrTheByteLimit) {
  ManualClock clock;
  StrangerQueue q(clock, StrangerQueue::Limits{2, 100, 1s});
  EXPECT_TRUE(q.hold(from(1, 10)));
  EXPECT_FALSE(q.hold(from(1, 91)));  // 101 bytes
  EXPECT_TRUE(q.hold(from(2, 90)));
  EXPECT_FALSE(q.hold(from(3)));  // a third message
  EXPECT_EQ(q.size(), 2u);
}

TEST(StrangerQueue, DropsWhatWaitedLongerThanItsHoldTime) {
  ManualClock clock;
  StrangerQueue q(clock, StrangerQueue::Limits{8, 100, 1s});
  ASSERT_TRUE(q.hold(from(1)));
  clock.advance(600ms);
  ASSERT_TRUE(q.hold(from(2)));
  clock.advance(600ms);
  EXPECT_EQ(q.expire(), 1u);
  EXPECT_TRUE(q.release(1).empty());
  EXPECT_EQ(q.release(2).size(), 1u);
}

}  // namespace
}  // namespace ist::rt
