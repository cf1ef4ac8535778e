// Authorisation beyond the handshake (runtime/node_authorization.cc), on plain-TCP nodes so a raw socket
// can forge what a peer that got past the handshake could send: a node speaks only for its own id, only
// the head announces membership or answers heartbeats, only an actor's spawner kills it (or calls it,
// when its type says so), and what non-members or one sender can make a node hold is bounded. Each
// forged message is followed on the same connection by a members query, whose answer proves the
// forgery was handled (and refused) before it.
#include <dirent.h>
#include <gtest/gtest.h>

#include <thread>

#include <zmq_addon.hpp>

#include "runtime/envelope.h"
#include "runtime/node.h"
#include "runtime/peer_socket.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr NodeId kAttacker = 4242;

class Authorization : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::register_test_actors();
    NodeOptions h;
    h.role = NodeRole::kHead;
    h.name = "head";
    head = std::move(Node::start(h)).value();
    NodeOptions w;
    w.role = NodeRole::kWorker;
    w.name = "worker";
    w.head_endpoint = head->endpoint();
    worker = std::move(Node::start(w)).value();
  }

  // A DEALER to `endpoint` that announces `as` as its node id.
  zmq::socket_t connect_as(NodeId as, const std::string& endpoint) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 0);
    s.set(zmq::sockopt::routing_id, routing_id_of(as));
    s.connect(endpoint);
    return s;
  }

  static void send(zmq::socket_t& s, const Header& h, Payload p = pack_args()) {
    std::vector<zmq::message_t> frames = encode_envelope(Envelope{h, std::move(p)});
    ASSERT_TRUE(zmq::send_multipart(s, frames, zmq::send_flags::dontwait));
  }

  // Sends a members query behind whatever was sent on `s` and waits for its answer: by then the node
  // has handled everything before it on this connection.
  static void settle(zmq::socket_t& s) {
    Header q;
    q.kind = Kind::kQueryMembers;
    q.request_id = 77;
    send(s, q);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_GT(zmq::poll(&item, 1, 5000ms), 0) << "the node did not answer the query";
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(s, std::back_inserter(frames)));
  }

  Header forged(Kind kind, NodeId src, NodeId dst) {
    Header h;
    h.kind = kind;
    h.src_node = src;
    h.dst_node = dst;
    return h;
  }

  // A second worker: a member that did not spawn what the head spawns.
  std::unique_ptr<Node> another_worker() {
    NodeOptions w;
    w.role = NodeRole::kWorker;
    w.name = "worker-2";
    w.head_endpoint = head->endpoint();
    auto n = Node::start(w);
    EXPECT_TRUE(n.ok()) << n.status().to_string();
    return n.ok() ? std::move(n).value() : nullptr;
  }

  static std::size_t open_fds() {
    std::size_t n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (readdir(d) != nullptr) ++n;
      closedir(d);
    }
    return n;
  }

  std::size_t alive_at_head() const {
    std::size_t n = 0;
    for (const Member& m : head->members()) n += m.state == MemberState::kAlive ? 1 : 0;
    return n;
  }

  zmq::context_t ctx;
  std::unique_ptr<Node> head;
  std::unique_ptr<Node> worker;
};

// A head that took a node in but whose reply never left (it died first, or one started again at its
// address) is asked again: a worker resends its join every rejoin interval until one is answered or its
// join timeout passes. Here a raw ROUTER plays the head, ignores the first join and answers the second.
TEST(JoinRetry, AWorkerWhoseFirstJoinGoesUnansweredJoinsWithALaterOne) {
  zmq::context_t ctx;
  zmq::socket_t fake_head(ctx, zmq::socket_type::router);
  fake_head.set(zmq::sockopt::linger, 0);
  fake_head.bind("tcp://127.0.0.1:*");
  const std::string head_endpoint = fake_head.get(zmq::sockopt::last_endpoint);
  constexpr NodeId kFakeHead = 777;
  std::thread head_thread([&] {
    for (int joins = 0; joins < 2;) {
      zmq::pollitem_t item{fake_head.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(fake_head, std::back_inserter(frames))) return;
      frames.erase(frames.begin());  // the sender's routing id
      Decoded d = decode_envelope(frames, 1 << 20);
      if (!d.status.ok() || d.header->kind != Kind::kJoin) continue;  // heartbeats and the like
      if (++joins == 1) continue;  // the first join's reply is "lost"
      Envelope reply;
      reply.header.kind = Kind::kReply;
      reply.header.src_node = kFakeHead;
      reply.header.src_endpoint = head_endpoint;
      reply.header.dst_node = d.header->src_node;
      reply.header.request_id = d.header->request_id;
      Member worker = unpack_one<Member>(d.payload).value();
      worker.id = d.header->src_node;
      worker.endpoint = d.header->src_endpoint;
      reply.payload = pack_args(std::vector<Member>{Member{kFakeHead, head_endpoint, "head", MemberState::kAlive, NodeRole::kHead}, worker});
      zmq::socket_t to_worker(ctx, zmq::socket_type::dealer);
      to_worker.set(zmq::sockopt::linger, 1000);
      to_worker.set(zmq::sockopt::routing_id, routing_id_of(kFakeHead));
      to_worker.connect(d.header->src_endpoint);
      std::vector<zmq::message_t> out = encode_envelope(reply);
      zmq::send_multipart(to_worker, out);
    }
  });
  NodeOptions w;
  w.name = "worker";
  w.head_endpoint = head_endpoint;
  w.heartbeat_interval = 20ms;  // a rejoin interval of 100 ms
  w.join_timeout = 10s;
  auto worker = Node::start(w);
  head_thread.join();
  ASSERT_TRUE(worker.ok()) << worker.status().to_string();
  EXPECT_EQ((*worker)->members().size(), 2u);
}

TEST_F(Authorization, ALeaveInAnotherNodesNameIsRefused) {
  auto s = connect_as(kAttacker, head->endpoint());
  send(s, forged(Kind::kLeave, worker->id(), head->id()));
  settle(s);
  EXPECT_EQ(alive_at_head(), 2u);
}

TEST_F(Authorization, TheHeadTakesNoHeartbeatAckAndNoMembershipEvent) {
  auto s = connect_as(kAttacker, head->endpoint());
  Header ack = forged(Kind::kHeartbeatAck, kAttacker, head->id());
  ack.error = ErrorCode::kNodeDead;
  send(s, ack);
  send(s, forged(Kind::kMembership, kAttacker, head->id()),
       pack_args(MembershipEvent{MembershipChange::kDead, Member{worker->id(), worker->endpoint(), "worker"}}));
  settle(s);
  EXPECT_FALSE(head->declared_dead());
  EXPECT_EQ(alive_at_head(), 2u);
}

TEST_F(Authorization, AWorkerTakesDeathNewsOnlyFromItsHead) {
  auto s = connect_as(kAttacker, worker->endpoint());
  Header ack = forged(Kind::kHeartbeatAck, kAttacker, worker->id());
  ack.error = ErrorCode::kNodeDead;
  send(s, ack);
  send(s, forged(Kind::kMembership, kAttacker, worker->id()),
       pack_args(MembershipEvent{MembershipChange::kDead, Member{head->id(), head->endpoint(), "head"}}));
  settle(s);
  EXPECT_FALSE(worker->declared_dead());
  for (const Member& m : worker->members()) EXPECT_EQ(m.state, MemberState::kAlive) << m.name;
}

TEST_F(Authorization, OnlyTheSpawnerMayKillAnActor) {
  auto echo = head->client().spawn("Echo", worker->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  auto s = connect_as(kAttacker, worker->endpoint());
  Header kill = forged(Kind::kKill, kAttacker, worker->id());
  kill.dst_actor = echo->actor_id;
  send(s, kill);
  settle(s);
  EXPECT_EQ(worker->actor_count(), 1u);
  auto r = head->client().call(*echo, "echo", pack_args(1), deadline_in(5s)).get();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(head->client().kill(*echo, deadline_in(5s)).get().ok());
}

// A node that left gracefully may have sent tagged messages before its leave that arrive after the head's
// news of it (e.g. a trainer handing its model shard over): they are taken. Its calls are not.
TEST_F(Authorization, ATaggedMessageFromANodeThatLeftIsTakenButItsCallsAreNot) {
  auto events = head->subscribe();
  auto leaver = another_worker();
  ASSERT_NE(leaver, nullptr);
  const NodeId gone = leaver->id();
  leaver.reset();  // a graceful leave
  for (;;) {
    auto e = events->next(deadline_in(5s));
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    if (e->member.id == gone && e->change == MembershipChange::kLeft) break;
  }
  auto s = connect_as(gone, head->endpoint());
  Header tagged = forged(Kind::kTagged, gone, head->id());
  tagged.dst_actor = head->client().self().actor_id;
  tagged.tag = 91;
  send(s, tagged, pack_args(std::string("handed over")));
  settle(s);
  auto message = head->client().receive(91, deadline_in(5s));
  ASSERT_TRUE(message.ok()) << message.status().to_string();
  EXPECT_EQ(unpack_one<std::string>(*message).value(), "handed over");

  auto echo = head->client().spawn("Echo", head->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  Header tell = forged(Kind::kTell, gone, head->id());
  tell.dst_actor = echo->actor_id;
  tell.method = "add";
  send(s, tell, pack_args(5L));
  settle(s);
  auto total = head->client().call(*echo, "add", pack_args(1L), deadline_in(5s)).get();
  ASSERT_TRUE(total.ok()) << total.status().to_string();
  EXPECT_EQ(unpack_one<long>(*total).value(), 1) << "the left node's tell was refused";
}

TEST_F(Authorization, AMessageInAnotherNodesNameDoesNothing) {
  auto echo = head->client().spawn("Echo", worker->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  auto s = connect_as(kAttacker, worker->endpoint());
  Header kill = forged(Kind::kKill, head->id(), worker->id());  // the spawner's id, on the attacker's line
  kill.dst_actor = echo->actor_id;
  send(s, kill);
  settle(s);
  EXPECT_EQ(worker->actor_count(), 1u);
}

TEST_F(Authorization, AMemberThatDidNotSpawnAnActorMayNeitherKillItNorCallItWhenItsTypeSaysSo) {
  auto guarded = head->client().spawn("Guarded", worker->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(guarded.ok()) << guarded.status().to_string();
  auto other = another_worker();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->wait_for_members(3, deadline_in(5s)).ok());
  auto call = other->client().call(*guarded, "add", pack_args(1L), deadline_in(5s)).get();
  EXPECT_EQ(call.status().code(), ErrorCode::kInvalidArgument) << call.status().to_string();
  auto kill = other->client().kill(*guarded, deadline_in(5s)).get();
  EXPECT_EQ(kill.status().code(), ErrorCode::kInvalidArgument) << kill.status().to_string();
  EXPECT_EQ(worker->actor_count(), 1u);
  auto mine = head->client().call(*guarded, "add", pack_args(2L), deadline_in(5s)).get();
  ASSERT_TRUE(mine.ok()) << mine.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*mine), 2);  // the refused call added nothing
}

TEST_F(Authorization, AnActorTakesCallsOnlyFromMembersAndHoldsAStrangersRequestsWithinFixedBounds) {
  auto echo = head->client().spawn("Echo", worker->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  auto s = connect_as(kAttacker, worker->endpoint());
  const std::size_t fds_before = open_fds();
  // 1,020 calls from a non-member, each naming another reply address, with 64 KiB of arguments each.
  for (int i = 0; i < 1020; ++i) {
    Header call = forged(Kind::kCall, kAttacker, worker->id());
    call.dst_actor = echo->actor_id;
    call.method = "add";
    call.request_id = 1000 + i;
    call.src_endpoint = "tcp://127.0.0.1:" + std::to_string(20000 + i);
    Payload p = pack_args(1L);
    p.blobs.push_back(Blob::make(64 * 1024, [](std::span<std::byte>) {}));
    send(s, call, std::move(p));
  }
  settle(s);
  EXPECT_LT(open_fds(), fds_before + 8) << "sockets were opened for a non-member's reply addresses";
  auto total = head->client().call(*echo, "add", pack_args(5L), deadline_in(5s)).get();
  ASSERT_TRUE(total.ok()) << total.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*total), 5);  // none of the stranger's calls ran
}

TEST_F(Authorization, JoinsNamingAThousandReplyAddressesOpenOnlyABoundedNumberOfSockets) {
  auto s = connect_as(kAttacker, head->endpoint());
  const std::size_t fds_before = open_fds();
  for (int i = 0; i < 1020; ++i) {
    Header join = forged(Kind::kJoin, kAttacker, 0);
    join.request_id = 1 + i;
    join.src_endpoint = "tcp://127.0.0.1:" + std::to_string(20000 + i);
    send(s, join, pack_args(Member{kAttacker, join.src_endpoint, "joiner", MemberState::kAlive, NodeRole::kWorker}));
  }
  settle(s);
  // Each outbound socket costs the head about 3.5 descriptors (the connection, libzmq's mailboxes, its
  // monitor): 1,020 of them would pass the usual limit of 1,024; at most 32 to non-members stay open.
  EXPECT_LT(open_fds(), fds_before + 200);
  auto other = another_worker();  // the head still takes joins
  ASSERT_NE(other, nullptr);
}

TEST_F(Authorization, OneSenderCanLeaveAtMost64TaggedMessagesUnreceivedPerActor) {
  auto other = another_worker();
  ASSERT_NE(other, nullptr);
  const ActorHandle head_client{head->id(), head->endpoint(), 0};
  for (int i = 0; i < 200; ++i) other->client().send(head_client, 7, pack_args(i));
  auto echo = other->client().spawn("Echo", head->id(), Payload(), deadline_in(5s)).get();  // behind them
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  int received = 0;
  while (head->client().receive(7, deadline_in(100ms)).ok()) ++received;
  EXPECT_EQ(received, 64);
  other->client().send(head_client, 7, pack_args(1));  // room again once they were taken
  EXPECT_TRUE(head->client().receive(7, deadline_in(5s)).ok());
}

// A type with a spawn cap ("Capped": 2 live per spawner, as SubnetTrainer has 16): a member's third spawn
// on one node is refused naming the limit, another member still gets its own two, and a stopped actor
// makes room again.
TEST_F(Authorization, AMemberCanHaveOnlyTheCappedNumberOfLiveActorsOfATypeOnANode) {
  std::vector<ActorHandle> mine;
  for (int i = 0; i < 2; ++i) {
    auto a = head->client().spawn("Capped", worker->id(), Payload(), deadline_in(5s)).get();
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    mine.push_back(*a);
  }
  for (int i = 0; i < 20; ++i) {  // a flood: every one refused, none built
    auto refused = head->client().spawn("Capped", worker->id(), Payload(), deadline_in(5s)).get();
    ASSERT_EQ(refused.status().code(), ErrorCode::kInvalidArgument) << refused.status().to_string();
    EXPECT_NE(refused.status().message().find("already has 2 live Capped actors"), std::string::npos)
        << refused.status().message();
  }
  EXPECT_EQ(worker->actor_count(), 2u);
  auto other = another_worker();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->wait_for_members(3, deadline_in(5s)).ok());
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(other->client().spawn("Capped", worker->id(), Payload(), deadline_in(5s)).get().ok());
  }
  EXPECT_FALSE(other->client().spawn("Capped", worker->id(), Payload(), deadline_in(5s)).get().ok());
  ASSERT_TRUE(head->client().kill(mine[0], deadline_in(5s)).get().ok());
  // The killed actor's thread ends soon after the kill's reply: poll until its place is free.
  Result<ActorHandle> again = Status::timeout("not tried");
  for (const auto until = deadline_in(5s); Clock::now() < until;) {
    again = head->client().spawn("Capped", worker->id(), Payload(), deadline_in(5s)).get();
    if (again.ok()) break;
  }
  EXPECT_TRUE(again.ok()) << again.status().to_string();
}

}  // namespace
}  // namespace ist::rt
