// The head's tables on a manual clock: joins, leaves, named actors, and death by silence. No sockets,
// no sleeps.
#include "runtime/head_registry.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr NodeId kHead = 1;
constexpr auto kDeathDeadline = 1000ms;

Member member(NodeId id, const std::string& name) {
  return Member{id, "tcp://127.0.0.1:" + std::to_string(id), name};
}

bool is_alive(const HeadRegistry& r, NodeId id) {
  auto alive = r.alive();
  return std::any_of(alive.begin(), alive.end(), [id](const Member& m) { return m.id == id; });
}

class HeadRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Member head = member(kHead, "head");
    head.role = NodeRole::kHead;
    ASSERT_TRUE(registry.join(head));
  }

  std::vector<MembershipEvent> sweep() {
    std::vector<MembershipEvent> events;
    registry.declare_silent_dead(kDeathDeadline, kHead,
                                 [&](const MembershipEvent& e) { events.push_back(e); });
    return events;
  }

  ManualClock clock;
  HeadRegistry registry{clock};
};

TEST_F(HeadRegistryTest, JoinedMemberIsAlive) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  EXPECT_TRUE(is_alive(registry, 7));
  EXPECT_EQ(registry.alive().size(), 2u);
}

TEST_F(HeadRegistryTest, JoiningTwiceRefreshesTheMember) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  ASSERT_TRUE(registry.join(member(7, "renamed")));
  auto alive = registry.alive();
  ASSERT_EQ(alive.size(), 2u);
  EXPECT_TRUE(std::any_of(alive.begin(), alive.end(), [](const Member& m) { return m.name == "renamed"; }));
}

TEST_F(HeadRegistryTest, LeavingMemberIsRemovedOnce) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  auto left = registry.remove(7, MemberState::kLeft);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(left->id, 7u);
  EXPECT_EQ(left->state, MemberState::kLeft);
  EXPECT_FALSE(is_alive(registry, 7));
  EXPECT_FALSE(registry.remove(7, MemberState::kLeft).has_value());
  EXPECT_FALSE(registry.remove(7, MemberState::kDead).has_value());
}

TEST_F(HeadRegistryTest, RemovingAnUnknownMemberDoesNothing) {
  EXPECT_FALSE(registry.remove(99, MemberState::kLeft).has_value());
  EXPECT_EQ(registry.alive().size(), 1u);
}

TEST_F(HeadRegistryTest, MemberThatLeftCannotJoinAgainWithTheSameId) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  registry.remove(7, MemberState::kLeft);
  EXPECT_FALSE(registry.join(member(7, "worker-7")));
  EXPECT_FALSE(is_alive(registry, 7));
}

TEST_F(HeadRegistryTest, HeartbeatFromAStrangerIsUnknown) {
  EXPECT_EQ(registry.heartbeat(42), HeadRegistry::Heard::kUnknown);
}

TEST_F(HeadRegistryTest, HeartbeatFromAMemberThatLeftIsGone) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  registry.remove(7, MemberState::kLeft);
  EXPECT_EQ(registry.heartbeat(7), HeadRegistry::Heard::kGone);
}

TEST_F(HeadRegistryTest, NameIsFoundByLookup) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  ActorHandle h{7, "tcp://127.0.0.1:7", 3};
  ASSERT_TRUE(registry.register_name("driver", h));
  auto found = registry.lookup("driver");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, h);
  EXPECT_FALSE(registry.lookup("nobody").has_value());
}

TEST_F(HeadRegistryTest, TakenNameCanBeRegisteredAgainOnlyForTheSameHandle) {
  ActorHandle h{7, "tcp://127.0.0.1:7", 3};
  ActorHandle other{7, "tcp://127.0.0.1:7", 4};
  ASSERT_TRUE(registry.register_name("driver", h));
  EXPECT_TRUE(registry.register_name("driver", h));
  EXPECT_FALSE(registry.register_name("driver", other));
  EXPECT_EQ(*registry.lookup("driver"), h);
}

TEST_F(HeadRegistryTest, NamesOfADepartedMemberAreForgotten) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  ASSERT_TRUE(registry.join(member(8, "worker-8")));
  ASSERT_TRUE(registry.register_name("on-7", ActorHandle{7, "tcp://127.0.0.1:7", 1}));
  ASSERT_TRUE(registry.register_name("on-8", ActorHandle{8, "tcp://127.0.0.1:8", 1}));
  registry.remove(7, MemberState::kDead);
  EXPECT_FALSE(registry.lookup("on-7").has_value());
  EXPECT_TRUE(registry.lookup("on-8").has_value());
}

// Death by silence.

TEST_F(HeadRegistryTest, MemberSilentForLessThanTheDeadlineStaysAlive) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  clock.advance(kDeathDeadline - 1ms);
  EXPECT_TRUE(sweep().empty());
  clock.advance(1ms);  // silent for exactly the deadline: not yet longer than it
  EXPECT_TRUE(sweep().empty());
  EXPECT_TRUE(is_alive(registry, 7));
}

TEST_F(HeadRegistryTest, SilentMemberIsDeclaredDeadOnceAfterTheDeadline) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  clock.advance(kDeathDeadline + 1ms);
  auto events = sweep();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].change, MembershipChange::kDead);
  EXPECT_EQ(events[0].member.id, 7u);
  EXPECT_EQ(events[0].member.name, "worker-7");
  EXPECT_EQ(events[0].member.state, MemberState::kDead);
  EXPECT_FALSE(is_alive(registry, 7));
  clock.advance(kDeathDeadline * 5);
  EXPECT_TRUE(sweep().empty());
}

TEST_F(HeadRegistryTest, HeartbeatRestartsTheDeadline) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  clock.advance(kDeathDeadline - 1ms);
  EXPECT_EQ(registry.heartbeat(7), HeadRegistry::Heard::kAlive);
  clock.advance(kDeathDeadline - 1ms);
  EXPECT_TRUE(sweep().empty());
  clock.advance(2ms);
  EXPECT_EQ(sweep().size(), 1u);
}

TEST_F(HeadRegistryTest, OnlyTheSilentMemberDies) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  ASSERT_TRUE(registry.join(member(8, "worker-8")));
  clock.advance(kDeathDeadline / 2);
  registry.heartbeat(8);
  clock.advance(kDeathDeadline / 2 + 1ms);
  auto events = sweep();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].member.id, 7u);
  EXPECT_TRUE(is_alive(registry, 8));
}

// The head announces each death to the members still alive, so a member declared dead later in the
// same sweep still hears of the earlier one.
TEST_F(HeadRegistryTest, MembersSilentTogetherAreDeclaredDeadOneAtATime) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  ASSERT_TRUE(registry.join(member(8, "worker-8")));
  clock.advance(kDeathDeadline + 1ms);
  std::vector<std::size_t> alive_when_announced;
  registry.declare_silent_dead(kDeathDeadline, kHead, [&](const MembershipEvent&) {
    alive_when_announced.push_back(registry.alive().size());
  });
  EXPECT_EQ(alive_when_announced, (std::vector<std::size_t>{2, 1}));  // head + the other, then head
  EXPECT_EQ(registry.alive().size(), 1u);
}

TEST_F(HeadRegistryTest, TheHeadItselfIsNeverDeclaredDead) {
  clock.advance(kDeathDeadline * 10);
  EXPECT_TRUE(sweep().empty());
  EXPECT_TRUE(is_alive(registry, kHead));
}

TEST_F(HeadRegistryTest, DeadMemberThatSpeaksAgainIsNotResurrected) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  clock.advance(kDeathDeadline + 1ms);
  ASSERT_EQ(sweep().size(), 1u);
  EXPECT_EQ(registry.heartbeat(7), HeadRegistry::Heard::kGone);  // the ack tells it to exit
  EXPECT_FALSE(registry.join(member(7, "worker-7")));            // it must come back with a fresh id
  EXPECT_FALSE(is_alive(registry, 7));
  EXPECT_TRUE(sweep().empty());
}

TEST_F(HeadRegistryTest, MemberThatLeftIsNotDeclaredDeadLater) {
  ASSERT_TRUE(registry.join(member(7, "worker-7")));
  registry.remove(7, MemberState::kLeft);
  clock.advance(kDeathDeadline * 2);
  EXPECT_TRUE(sweep().empty());
}

}  // namespace
}  // namespace ist::rt
