// Nodes in one process talking over loopback TCP: spawn, call, tell, kill, names, tagged messages,
// errors as values, heartbeats during long handlers.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "runtime/node.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

NodeOptions head_options() {
  NodeOptions o;
  o.role = NodeRole::kHead;
  o.name = "head";
  o.heartbeat_interval = 20ms;
  o.death_deadline = 300ms;
  return o;
}

NodeOptions worker_options(const Node& head, const std::string& name) {
  NodeOptions o;
  o.name = name;
  o.head_endpoint = head.endpoint();
  o.heartbeat_interval = 20ms;
  o.death_deadline = 300ms;
  return o;
}

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::register_test_actors();
    auto h = Node::start(head_options());
    ASSERT_TRUE(h.ok()) << h.status().to_string();
    head = std::move(h).value();
    auto w = Node::start(worker_options(*head, "worker-1"));
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    worker = std::move(w).value();
  }

  ActorHandle spawn_echo(Node& on) {
    auto h = head->client().spawn("Echo", on.id(), Payload(), deadline_in(5s)).get();
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return h.ok() ? *h : ActorHandle{};
  }

  std::unique_ptr<Node> head;
  std::unique_ptr<Node> worker;
};

TEST_F(NodeTest, WorkerJoiningIsInBothMemberTables) {
  ASSERT_TRUE(head->wait_for_members(2, deadline_in(2s)).ok());
  ASSERT_TRUE(worker->wait_for_members(2, deadline_in(2s)).ok());
  EXPECT_NE(head->id(), worker->id());
}

TEST_F(NodeTest, SpawnsOnAnotherNodeAndCallsIt) {
  ActorHandle a = spawn_echo(*worker);
  EXPECT_EQ(a.node_id, worker->id());
  auto r = head->client().call(a, "add", pack_args(5L), deadline_in(2s)).get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  r = head->client().call(a, "add", pack_args(7L), deadline_in(2s)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*unpack_one<long>(*r), 12);
}

TEST_F(NodeTest, LocalCallSharesBlobBytesWithoutCopying) {
  ActorHandle a = spawn_echo(*head);
  Blob b = Blob::copy_of("tensor bytes", 12);
  auto r = head->client().call(a, "echo", Payload().with_blob(b), deadline_in(2s)).get();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->blobs.size(), 1u);
  EXPECT_EQ(r->blobs[0].data(), b.data());
}

TEST_F(NodeTest, RemoteCallCarriesBlobsIntact) {
  ActorHandle a = spawn_echo(*worker);
  Blob b = Blob::make(1 << 20, [](std::span<std::byte> s) {
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::byte>(i * 31);
  });
  auto r = head->client().call(a, "echo", pack_args(1).with_blob(b).with_blob(Blob()), deadline_in(5s)).get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->blobs.size(), 2u);
  ASSERT_EQ(r->blobs[0].size(), b.size());
  EXPECT_EQ(std::memcmp(r->blobs[0].data(), b.data(), b.size()), 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r->blobs[0].data()) % kReceivedAlignment, 0u);
  EXPECT_EQ(r->blobs[1].size(), 0u);
}

TEST_F(NodeTest, UnknownMethodRepliesUnknownMethod) {
  ActorHandle a = spawn_echo(*worker);
  auto r = head->client().call(a, "no_such_method", Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kUnknownMethod);
}

TEST_F(NodeTest, UnknownActorRepliesNotFound) {
  ActorHandle ghost{worker->id(), worker->endpoint(), 999999};
  auto r = head->client().call(ghost, "echo", Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(NodeTest, UnknownActorTypeFailsSpawnWithNotFound) {
  auto r = head->client().spawn("NoSuchType", worker->id(), Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

TEST_F(NodeTest, FailingConstructorFailsSpawnWithItsError) {
  auto r = head->client().spawn("Unbuildable", worker->id(), Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(NodeTest, ThrowingHandlerRepliesRemoteFailureAndTheActorLivesOn) {
  ActorHandle a = spawn_echo(*worker);
  auto r = head->client().call(a, "throw", Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kRemoteFailure);
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
  EXPECT_TRUE(head->client().call(a, "add", pack_args(1L), deadline_in(2s)).get().ok());
}

TEST_F(NodeTest, HandlerErrorTravelsWithItsCode) {
  ActorHandle a = spawn_echo(*worker);
  auto r = head->client().call(a, "fail", Payload(), deadline_in(2s)).get();
  EXPECT_EQ(r.status(), Status::invalid_argument("asked to fail"));
}

TEST_F(NodeTest, CallTimesOutAtItsDeadline) {
  ActorHandle a = spawn_echo(*worker);
  const auto start = Clock::now();
  auto r = head->client().call(a, "sleep", pack_args(1000), deadline_in(100ms)).get();
  EXPECT_EQ(r.status().code(), ErrorCode::kTimeout);
  EXPECT_LT(Clock::now() - start, 900ms);
}

TEST_F(NodeTest, KilledActorFailsRunningAndQueuedCallsWithActorDied) {
  ActorHandle a = spawn_echo(*worker);
  auto running = head->client().call(a, "sleep", pack_args(500), deadline_in(5s));
  auto queued = head->client().call(a, "add", pack_args(1L), deadline_in(5s));
  ASSERT_TRUE(head->client().kill(a, deadline_in(2s)).get().ok());
  EXPECT_EQ(running.get().status().code(), ErrorCode::kActorDied);
  EXPECT_EQ(queued.get().status().code(), ErrorCode::kActorDied);
  auto later = head->client().call(a, "add", pack_args(1L), deadline_in(2s)).get();
  EXPECT_EQ(later.status().code(), ErrorCode::kActorDied);
}

TEST_F(NodeTest, TellsRunInOrderBeforeALaterCall) {
  ActorHandle a = spawn_echo(*worker);
  for (int i = 0; i < 10; ++i) head->client().tell(a, "add", pack_args(1L));
  auto r = head->client().call(a, "add", pack_args(0L), deadline_in(2s)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*unpack_one<long>(*r), 10);
}

// A caller's thread sends a message itself when its node's I/O thread is idle and queues it otherwise
// (NodeCore::try_send_now): with thousands in flight, the replies keep the I/O thread busy, so both
// paths are taken, and the calls must still run in the order they were made.
TEST_F(NodeTest, CallsInFlightFromOneThreadRunInTheOrderTheyWereMade) {
  ActorHandle a = spawn_echo(*worker);
  constexpr long kCalls = 3000;
  std::vector<Future<Payload>> calls;
  calls.reserve(kCalls);
  for (long i = 0; i < kCalls; ++i) calls.push_back(head->client().call(a, "add", pack_args(1L), deadline_in(10s)));
  for (long i = 0; i < kCalls; ++i) {
    auto r = calls[i].get();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(*unpack_one<long>(*r), i + 1) << "call " << i << " ran out of order";
  }
}

TEST_F(NodeTest, NamedActorIsFoundByLookupFromAnotherNode) {
  ActorHandle a = spawn_echo(*head);
  ASSERT_TRUE(head->client().register_name("echo-main", a, deadline_in(2s)).get().ok());
  auto found = worker->client().lookup_name("echo-main", deadline_in(2s)).get();
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(*found, a);
  EXPECT_EQ(worker->client().lookup_name("nobody", deadline_in(2s)).get().status().code(), ErrorCode::kNotFound);
  ActorHandle b = spawn_echo(*worker);
  EXPECT_EQ(worker->client().register_name("echo-main", b, deadline_in(2s)).get().status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(NodeTest, TaggedMessagesSentBeforeReceiveAreBufferedPerTag) {
  ActorHandle to = head->client().self();
  worker->client().send(to, 2, pack_args(20));
  worker->client().send(to, 1, pack_args(10));
  worker->client().send(to, 1, pack_args(11));
  auto a = head->client().receive(1, deadline_in(2s));
  auto b = head->client().receive(1, deadline_in(2s));
  auto c = head->client().receive(2, deadline_in(2s));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*unpack_one<int>(*a), 10);
  EXPECT_EQ(*unpack_one<int>(*b), 11);
  EXPECT_EQ(*unpack_one<int>(*c), 20);
  EXPECT_EQ(head->client().receive(1, deadline_in(50ms)).status().code(), ErrorCode::kTimeout);
}

TEST_F(NodeTest, AReceiveOfEitherOfTwoTagsTakesTheFirstTagFirstAndEndsOnTheSecond) {
  ActorHandle to = head->client().self();
  // Nothing with tag 1 comes: a message with tag 9 ends the wait, and is taken.
  std::thread interrupter([&] { worker->client().send(to, 9, pack_args(90)); });
  auto interrupted = head->client().receive_either(1, 9, deadline_in(10s));
  interrupter.join();
  ASSERT_TRUE(interrupted.ok()) << interrupted.status().to_string();
  EXPECT_EQ(interrupted->first, 9u);
  EXPECT_EQ(*unpack_one<int>(interrupted->second), 90);
  // Both waiting (tag 9 arrived first; the marker after them says both are in): tag 1 first, then tag 9.
  worker->client().send(to, 9, pack_args(91));
  worker->client().send(to, 1, pack_args(10));
  worker->client().send(to, 5, pack_args(0));
  ASSERT_TRUE(head->client().receive(5, deadline_in(10s)).ok());
  auto first = head->client().receive_either(1, 9, deadline_in(2s));
  auto second = head->client().receive_either(1, 9, deadline_in(2s));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->first, 1u);
  EXPECT_EQ(*unpack_one<int>(first->second), 10);
  EXPECT_EQ(second->first, 9u);
  EXPECT_EQ(*unpack_one<int>(second->second), 91);
  EXPECT_EQ(head->client().receive_either(1, 9, deadline_in(50ms)).status().code(), ErrorCode::kTimeout);
}

TEST_F(NodeTest, DroppedTaggedMessagesAreGoneAndTheOthersStay) {
  ActorHandle to = head->client().self();
  worker->client().send(to, 2, pack_args(20));
  worker->client().send(to, 1, pack_args(10));
  worker->client().send(to, 2, pack_args(21));
  worker->client().send(to, 5, pack_args(0));
  ASSERT_TRUE(head->client().receive(5, deadline_in(10s)).ok());  // the three before it are in too
  EXPECT_EQ(head->client().drop_tagged([](std::uint64_t tag) { return tag == 2; }), 2u);
  EXPECT_EQ(head->client().receive(2, deadline_in(50ms)).status().code(), ErrorCode::kTimeout);
  auto kept = head->client().receive(1, deadline_in(2s));
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*unpack_one<int>(*kept), 10);
  EXPECT_EQ(head->client().drop_tagged([](std::uint64_t) { return true; }), 0u);
}

TEST_F(NodeTest, ActorsExchangeTaggedMessagesFromInsideHandlers) {
  auto p1 = head->client().spawn("Peer", head->id(), Payload(), deadline_in(2s)).get();
  auto p2 = head->client().spawn("Peer", worker->id(), Payload(), deadline_in(2s)).get();
  ASSERT_TRUE(p1.ok() && p2.ok());
  auto f1 = head->client().call(*p1, "exchange", pack_args(*p2, std::uint64_t{7}, 1L), deadline_in(5s));
  auto f2 = head->client().call(*p2, "exchange", pack_args(*p1, std::uint64_t{7}, 2L), deadline_in(5s));
  auto r1 = f1.get();
  auto r2 = f2.get();
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*r1), 2);
  EXPECT_EQ(*unpack_one<long>(*r2), 1);
}

TEST_F(NodeTest, HeartbeatsKeepFlowingWhileAnActorComputes) {
  auto events = head->subscribe();
  ActorHandle a = spawn_echo(*worker);
  // 800 ms of handler time is more than twice the 300 ms death deadline.
  auto r = head->client().call(a, "sleep", pack_args(800), deadline_in(5s)).get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(events->size(), 0u);
  for (const Member& m : head->members()) EXPECT_EQ(m.state, MemberState::kAlive) << m.name;
}

TEST_F(NodeTest, StoppedWorkerIsAnnouncedAsLeftAndItsCallsFail) {
  auto events = head->subscribe();
  ActorHandle a = spawn_echo(*worker);
  const NodeId gone = worker->id();
  worker.reset();
  auto e = events->next(deadline_in(2s));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->change, MembershipChange::kLeft);
  EXPECT_EQ(e->member.id, gone);
  EXPECT_EQ(head->client().call(a, "add", pack_args(1L), deadline_in(2s)).get().status().code(),
            ErrorCode::kNodeDead);
}

// A node that leaves gracefully tells its actors first (ActorType::on_node_leaving): after the handler
// running then has replied, before the leave, each may hand its state over.
TEST_F(NodeTest, ALeavingNodeLetsItsActorsSayFarewellAfterTheirRunningHandler) {
  auto events = head->subscribe();
  auto f = head->client().spawn("Farewell", worker->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_TRUE(head->client().call(*f, "remember", Payload(), deadline_in(5s)).get().ok());
  auto running = head->client().call(*f, "sleep", pack_args(300), deadline_in(10s));
  // Once the sleep runs (the actor is busy), the worker leaves: the drain lets it finish first.
  ASSERT_TRUE(head->client().receive(testing::kSleepingTag, deadline_in(5s)).ok());
  worker.reset();
  auto slept = running.get();
  ASSERT_TRUE(slept.ok()) << slept.status().to_string();
  auto farewell = head->client().receive(testing::kFarewellTag, deadline_in(5s));
  ASSERT_TRUE(farewell.ok()) << farewell.status().to_string();
  EXPECT_EQ(unpack_one<int>(*farewell).value(), 2) << "remember and the sleep that was running, then farewell";
  auto left = events->next(deadline_in(5s));
  ASSERT_TRUE(left.ok()) << left.status().to_string();
  EXPECT_EQ(left->change, MembershipChange::kLeft);
}

TEST_F(NodeTest, RestartedNodeGetsAFreshIdentity) {
  const NodeId first = worker->id();
  worker.reset();
  auto w = Node::start(worker_options(*head, "worker-1"));
  ASSERT_TRUE(w.ok());
  EXPECT_NE((*w)->id(), first);
}

// The whole start, including the failed node's teardown: no goodbye lingers toward a head never reached.
TEST(NodeStart, WorkerWithoutReachableHeadFailsWithinJoinTimeout) {
  NodeOptions o;
  o.head_endpoint = "tcp://127.0.0.1:1";
  o.join_timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto n = Node::start(o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(n.status().code(), ErrorCode::kTimeout);
  EXPECT_GE(took, o.join_timeout);
  EXPECT_LT(took, o.join_timeout + 1s);
}

}  // namespace
}  // namespace ist::rt
