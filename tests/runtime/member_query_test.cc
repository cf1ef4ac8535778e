// query_members: a process outside the cluster reads the head's member table without joining it.
#include "runtime/member_query.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/node.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

NodeOptions options_for(NodeRole role, const std::string& name, const std::string& head_endpoint) {
  NodeOptions o;
  o.role = role;
  o.name = name;
  o.head_endpoint = head_endpoint;
  o.heartbeat_interval = 20ms;
  o.death_deadline = 300ms;
  return o;
}

class MembersQuery : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = Node::start(options_for(NodeRole::kHead, "head", ""));
    ASSERT_TRUE(h.ok()) << h.status().to_string();
    head = std::move(h).value();
    auto w = Node::start(options_for(NodeRole::kWorker, "worker-1", head->endpoint()));
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    worker = std::move(w).value();
    auto d = Node::start(options_for(NodeRole::kDriver, "driver:exp", head->endpoint()));
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    driver = std::move(d).value();
    // The head announced both joins before answering them, so from here on its queue is quiet.
    events = head->subscribe();
  }

  // The next event the head announces must be `name` joining: nothing (e.g. a query) came before it.
  void expect_next_event_is_the_join_of(const std::string& name) {
    auto started = Node::start(options_for(NodeRole::kWorker, name, head->endpoint()));
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    later = std::move(started).value();  // stays a member: its leaving would be an event too
    auto e = events->next(deadline_in(2s));
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(e->change, MembershipChange::kJoined);
    EXPECT_EQ(e->member.name, name);
  }

  std::unique_ptr<Node> head, worker, driver, later;
  std::shared_ptr<MembershipQueue> events;
};

const Member* find(const std::vector<Member>& members, NodeId id) {
  auto it = std::find_if(members.begin(), members.end(), [&](const Member& m) { return m.id == id; });
  return it == members.end() ? nullptr : &*it;
}

TEST_F(MembersQuery, ReturnsEveryAliveMemberWithTheRoleItAnnounced) {
  auto members = query_members(head->endpoint(), deadline_in(2s));
  ASSERT_TRUE(members.ok()) << members.status().to_string();
  ASSERT_EQ(members->size(), 3u);
  const std::pair<const Node*, NodeRole> expected[] = {
      {head.get(), NodeRole::kHead}, {worker.get(), NodeRole::kWorker}, {driver.get(), NodeRole::kDriver}};
  for (auto [node, role] : expected) {
    const Member* m = find(*members, node->id());
    ASSERT_NE(m, nullptr) << node->options().name;
    EXPECT_EQ(m->role, role) << node->options().name;
    EXPECT_EQ(m->endpoint, node->endpoint());
    EXPECT_EQ(m->name, node->options().name);
    EXPECT_EQ(m->state, MemberState::kAlive);
  }
}

TEST_F(MembersQuery, AnnouncesNoMembershipChangeToTheHeadOrTheMembers) {
  ASSERT_TRUE(worker->wait_for_members(3, deadline_in(2s)).ok());  // it has heard of the driver already
  auto worker_events = worker->subscribe();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(query_members(head->endpoint(), deadline_in(2s)).ok());
  EXPECT_EQ(events->size(), 0u);
  // Events arrive in order: had a query caused one (say, a late "left"), it would come before this join.
  expect_next_event_is_the_join_of("worker-2");
  EXPECT_EQ(events->size(), 0u);
  auto e = worker_events->next(deadline_in(2s));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->member.name, "worker-2");
  EXPECT_EQ(head->members().size(), 4u);
}

TEST_F(MembersQuery, ToANodeThatIsNotTheHeadFailsWithInvalidArgument) {
  auto members = query_members(worker->endpoint(), deadline_in(2s));
  EXPECT_EQ(members.status().code(), ErrorCode::kInvalidArgument) << members.status().to_string();
  EXPECT_NE(members.status().message().find("not the head"), std::string::npos);
}

TEST(MembersQueryWithoutHead, ToAnEndpointNobodyListensOnTimesOutWithinItsDeadline) {
  const auto start = Clock::now();
  auto members = query_members("tcp://127.0.0.1:1", deadline_in(200ms));
  const auto took = Clock::now() - start;
  EXPECT_EQ(members.status().code(), ErrorCode::kTimeout) << members.status().to_string();
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 700ms);
}

TEST(MembersQueryWithoutHead, ToAMalformedEndpointFailsWithInvalidArgument) {
  auto members = query_members("not an endpoint", deadline_in(1s));
  EXPECT_EQ(members.status().code(), ErrorCode::kInvalidArgument) << members.status().to_string();
}

}  // namespace
}  // namespace ist::rt
