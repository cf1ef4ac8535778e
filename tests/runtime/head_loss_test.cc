// Nodes in one process over loopback, with the head taken away: the others serve on, calls between
// them still work, a call to a peer that went away fails within about a second with no head to say so,
// and a head started again at the same address gets every node back under its own id.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "runtime/node.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr auto kHeadLostAfter = 300ms;

NodeOptions options(NodeRole role, const std::string& name, const std::string& head_endpoint) {
  NodeOptions o;
  o.role = role;
  o.name = name;
  o.heartbeat_interval = 20ms;
  o.death_deadline = 200ms;
  o.head_lost_after = kHeadLostAfter;
  o.join_timeout = 2s;
  if (role == NodeRole::kHead) {
    o.bind = head_endpoint.empty() ? o.bind : head_endpoint;
  } else {
    o.head_endpoint = head_endpoint;
  }
  return o;
}

// Polls `condition` until it holds or `deadline` passes; true if it held. For state that offers no
// wait of its own (head_lost()); every wait is bounded.
bool eventually(const std::function<bool()>& condition, Deadline deadline) {
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::unique_ptr<Node> start(NodeOptions o) {
  auto n = Node::start(std::move(o));
  EXPECT_TRUE(n.ok()) << n.status().to_string();
  return n.ok() ? std::move(n).value() : nullptr;
}

class HeadLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::register_test_actors();
    head = start(options(NodeRole::kHead, "head", ""));
    ASSERT_NE(head, nullptr);
    head_endpoint = head->endpoint();
    for (const char* name : {"worker-1", "worker-2"}) {
      workers.push_back(start(options(NodeRole::kWorker, name, head_endpoint)));
      ASSERT_NE(workers.back(), nullptr);
    }
    driver = start(options(NodeRole::kDriver, "driver", head_endpoint));
    ASSERT_NE(driver, nullptr);
    ASSERT_TRUE(head->wait_for_members(4, deadline_in(2s)).ok());
  }

  // Takes the head away and waits until every other node has given it up.
  void lose_the_head() {
    head.reset();
    for (Node* n : others()) {
      ASSERT_TRUE(eventually([n] { return n->head_lost(); }, deadline_in(kHeadLostAfter + 2s)))
          << n->options().name;
    }
  }

  std::vector<Node*> others() {
    std::vector<Node*> out{driver.get()};
    for (auto& w : workers) out.push_back(w.get());
    return out;
  }

  ActorHandle spawn_echo(Node& from, Node& on) {
    auto h = from.client().spawn("Echo", on.id(), Payload(), deadline_in(2s)).get();
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return h.ok() ? *h : ActorHandle{};
  }

  std::unique_ptr<Node> head;
  std::string head_endpoint;
  std::vector<std::unique_ptr<Node>> workers;
  std::unique_ptr<Node> driver;
};

TEST_F(HeadLoss, NodesServeOnWithoutTheirHeadAndCallEachOtherPeerToPeer) {
  ActorHandle echo = spawn_echo(*driver, *workers[0]);
  lose_the_head();
  auto r = driver->client().call(echo, "add", pack_args(5L), deadline_in(2s)).get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*r), 5);
  EXPECT_FALSE(driver->declared_dead());
  EXPECT_EQ(workers[0]->actor_count(), 1u);
}

TEST_F(HeadLoss, ACallOnlyTheLostHeadCouldAnswerFailsAtOnce) {
  lose_the_head();
  auto r = driver->client().lookup_name("anything", deadline_in(30s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kNodeDead) << r.status().to_string();
}

TEST_F(HeadLoss, ACallToAPeerThatWentAwayFailsWithinAboutASecondWithNoHeadToSaySo) {
  ActorHandle echo = spawn_echo(*driver, *workers[1]);
  lose_the_head();
  auto running = driver->client().call(echo, "sleep", pack_args(200), deadline_in(60s));
  auto queued = driver->client().call(echo, "echo", pack_args(1L), deadline_in(60s));  // behind the sleep
  // Stopping lets a running handler reply, then closes: the queued call is never answered.
  workers[1].reset();
  const auto gone = Clock::now();
  const auto first = running.get();  // answered, or failed like the queued one if it had not started
  EXPECT_TRUE(first.ok() || first.status().code() == ErrorCode::kNodeDead) << first.status().to_string();
  auto r = queued.get();
  const auto took = Clock::now() - gone;
  EXPECT_EQ(r.status().code(), ErrorCode::kNodeDead) << r.status().to_string();
  EXPECT_LT(took, 3s) << "not the call's 60 s deadline";
  std::printf("a call to a peer that went away failed %lld ms after it did\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST_F(HeadLoss, AHeadStartedAgainAtTheSameAddressGetsEveryNodeBackUnderItsOwnId) {
  const NodeId old_head = head->id();
  lose_the_head();
  head = start(options(NodeRole::kHead, "head-again", head_endpoint));
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(head->endpoint(), head_endpoint);
  ASSERT_TRUE(head->wait_for_members(4, deadline_in(5s)).ok());
  for (Node* n : others()) {
    bool listed = false;
    for (const Member& m : head->members()) listed |= m.id == n->id() && m.endpoint == n->endpoint();
    EXPECT_TRUE(listed) << n->options().name << " is not in the new head's table under its own id";
    EXPECT_TRUE(eventually([n] { return !n->head_lost(); }, deadline_in(2s))) << n->options().name;
  }
  // The old head process is gone for everyone who rejoined.
  for (const Member& m : driver->members()) {
    if (m.id == old_head) {
      EXPECT_EQ(m.state, MemberState::kDead);
    }
  }
  // And the new head is a working head: nodes can join it.
  auto late = start(options(NodeRole::kWorker, "late", head_endpoint));
  ASSERT_NE(late, nullptr);
  EXPECT_TRUE(head->wait_for_members(5, deadline_in(2s)).ok());
}

TEST_F(HeadLoss, AHeadRestartedBeforeTheNodesGaveItUpIsJoinedAgainToo) {
  head.reset();
  head = start(options(NodeRole::kHead, "head-again", head_endpoint));  // at once: nobody noticed yet
  ASSERT_NE(head, nullptr);
  EXPECT_TRUE(head->wait_for_members(4, deadline_in(5s)).ok());
  for (Node* n : others()) {
    EXPECT_TRUE(eventually([n] { return !n->head_lost(); }, deadline_in(2s))) << n->options().name;
  }
}

}  // namespace
}  // namespace ist::rt
