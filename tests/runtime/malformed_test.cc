// Bad input on the wire, sent from raw ZeroMQ sockets by a peer that joined as a member (node kPeer, on a
// connection with its routing id): each is rejected (with an error reply, since a member asked), and the
// node keeps serving other traffic.
#include <gtest/gtest.h>

#include <zmq_addon.hpp>

#include "runtime/envelope.h"
#include "runtime/node.h"
#include "runtime/peer_socket.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

constexpr NodeId kPeer = 777;
constexpr NodeId kJoiner = 778;

// A fake peer: a DEALER that talks to the node, and a ROUTER where the node's replies arrive.
class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::register_test_actors();
    NodeOptions o;
    o.role = NodeRole::kHead;
    o.max_message_bytes = 64 * 1024;
    o.death_deadline = std::chrono::milliseconds(60000);  // the fake peer sends no heartbeats
    auto n = Node::start(o);
    ASSERT_TRUE(n.ok());
    node = std::move(n).value();
    auto a = node->client().spawn("Echo", node->id(), Payload(), deadline_in(2s)).get();
    ASSERT_TRUE(a.ok());
    echo = *a;
    inbox.set(zmq::sockopt::linger, 0);
    inbox.bind("tcp://127.0.0.1:*");
    inbox_endpoint = inbox.get(zmq::sockopt::last_endpoint);
    out.set(zmq::sockopt::linger, 0);
    out.set(zmq::sockopt::routing_id, routing_id_of(kPeer));
    out.connect(node->endpoint());
    joiner.set(zmq::sockopt::linger, 0);
    joiner.set(zmq::sockopt::routing_id, routing_id_of(kJoiner));
    joiner.connect(node->endpoint());
    Header join = call_header("peer");
    join.kind = Kind::kJoin;
    join.dst_node = 0;
    join.dst_actor = 0;
    join.request_id = 9;
    send_raw({encode_header(join), pack_args(Member{kPeer, inbox_endpoint, "peer", MemberState::kAlive, NodeRole::kWorker}).args});
    auto joined = next_reply();
    ASSERT_TRUE(joined.has_value());
    ASSERT_EQ(joined->error, ErrorCode::kOk) << joined->error_message;
  }

  Header call_header(const std::string& method) {
    Header h;
    h.kind = Kind::kCall;
    h.src_node = kPeer;
    h.src_endpoint = inbox_endpoint;
    h.dst_node = node->id();
    h.dst_actor = echo.actor_id;
    h.method = method;
    h.request_id = 1;
    return h;
  }

  void send_raw(std::vector<std::string> frames, zmq::socket_t* via = nullptr) {
    std::vector<zmq::message_t> msgs;
    for (auto& f : frames) msgs.emplace_back(f.data(), f.size());
    ASSERT_TRUE(zmq::send_multipart(via ? *via : out, msgs));
  }

  // The next reply the node sends to our inbox (membership announcements skipped), or nullopt after `wait`.
  std::optional<Header> next_reply(std::chrono::milliseconds wait = 2000ms) {
    const auto until = deadline_in(wait);
    while (Clock::now() < until) {
      zmq::pollitem_t item{inbox.handle(), 0, ZMQ_POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (zmq::poll(&item, 1, std::max(left, 1ms)) <= 0) return std::nullopt;
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(inbox, std::back_inserter(frames))) return std::nullopt;
      if (frames.size() < 2) return std::nullopt;
      auto h = decode_header(frames[1].data(), frames[1].size());
      if (!h.ok()) return std::nullopt;
      if (h->kind == Kind::kReply) return *h;
    }
    return std::nullopt;
  }

  // The next message on our DEALER `out` (answers to a members query come back on the asking
  // connection), or nullopt after 2 s.
  std::optional<Header> next_answer_on_out() {
    zmq::pollitem_t item{out.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 2000ms) <= 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(out, std::back_inserter(frames))) return std::nullopt;
    if (frames.empty()) return std::nullopt;
    auto h = decode_header(frames[0].data(), frames[0].size());
    if (!h.ok()) return std::nullopt;
    return *h;
  }

  Header query_header() {
    Header h;
    h.kind = Kind::kQueryMembers;
    h.request_id = 5;
    return h;
  }

  // A join from kJoiner (not a member yet), on its own connection `joiner`.
  Header join_header() {
    Header h = call_header("");
    h.src_node = kJoiner;
    h.kind = Kind::kJoin;
    h.dst_node = 0;
    h.dst_actor = 0;
    return h;
  }

  // The node still answers a well-formed call promptly.
  void expect_node_still_serves() {
    auto r = node->client().call(echo, "add", pack_args(1L), deadline_in(2s)).get();
    EXPECT_TRUE(r.ok()) << r.status().to_string();
  }

  std::unique_ptr<Node> node;
  ActorHandle echo;
  zmq::context_t zctx{1};
  zmq::socket_t inbox{zctx, zmq::socket_type::router};
  zmq::socket_t out{zctx, zmq::socket_type::dealer};
  zmq::socket_t joiner{zctx, zmq::socket_type::dealer};
  std::string inbox_endpoint;
};

TEST_F(MalformedTest, GarbageBytesAreDroppedAndTrafficContinues) {
  send_raw({"\xff\xfe garbage", "more garbage", "and more"});
  send_raw({""});
  send_raw({std::string("\xdd\xff\xff\xff\xff", 5), ""});
  expect_node_still_serves();
}

TEST_F(MalformedTest, TruncatedMessageGetsADecodeFailureReply) {
  send_raw({encode_header(call_header("echo"))});  // header without its args frame
  auto h = next_reply();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kind, Kind::kReply);
  EXPECT_EQ(h->error, ErrorCode::kDecodeFailure);
  expect_node_still_serves();
}

TEST_F(MalformedTest, TruncatedHeaderIsDroppedAndTrafficContinues) {
  std::string header = encode_header(call_header("echo"));
  send_raw({header.substr(0, header.size() - 3), ""});
  expect_node_still_serves();
}

TEST_F(MalformedTest, WrongProtocolVersionGetsAProtocolMismatchReply) {
  Header h = call_header("echo");
  h.version = 99;
  send_raw({encode_header(h), ""});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kProtocolMismatch);
  expect_node_still_serves();
}

TEST_F(MalformedTest, MessageOfSmallFramesAddingUpPastTheCapGetsATooLargeReply) {
  send_raw({encode_header(call_header("echo")), "", std::string(40 * 1024, 'x'), std::string(40 * 1024, 'y')});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kTooLarge);
  expect_node_still_serves();
}

TEST_F(MalformedTest, AFrameLargerThanTheCapIsRefusedWhileItArrivesWithoutAReply) {
  send_raw({encode_header(call_header("echo")), "", std::string(100 * 1024, 'x')});
  EXPECT_FALSE(next_reply(300ms).has_value());  // libzmq cut the connection: nothing was decoded
  expect_node_still_serves();
}

TEST_F(MalformedTest, UnknownActorGetsANotFoundReply) {
  Header h = call_header("echo");
  h.dst_actor = 424242;
  send_raw({encode_header(h), ""});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kNotFound);
  expect_node_still_serves();
}

TEST_F(MalformedTest, UnknownMethodGetsAnUnknownMethodReply) {
  send_raw({encode_header(call_header("nope")), ""});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kUnknownMethod);
  EXPECT_EQ(r->request_id, 1u);
  expect_node_still_serves();
}

TEST_F(MalformedTest, BadArgumentsGetADecodeFailureReply) {
  send_raw({encode_header(call_header("add")), "\xc1"});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kDecodeFailure);
  expect_node_still_serves();
}

TEST_F(MalformedTest, MembersQueryWithAWrongProtocolVersionGetsAMismatchOnItsOwnConnection) {
  Header h = query_header();
  h.version = 99;
  send_raw({encode_header(h), ""});
  auto r = next_answer_on_out();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, Kind::kReply);
  EXPECT_EQ(r->error, ErrorCode::kProtocolMismatch);
  EXPECT_EQ(r->request_id, 5u);
  expect_node_still_serves();
}

TEST_F(MalformedTest, TruncatedMembersQueryGetsADecodeFailureOnItsOwnConnection) {
  send_raw({encode_header(query_header())});  // header without its args frame
  auto r = next_answer_on_out();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kDecodeFailure);
  expect_node_still_serves();
}

TEST_F(MalformedTest, MembersQueryWithGarbageArgumentsIsStillAnswered) {
  send_raw({encode_header(query_header()), "\xc1\xc1 not msgpack"});  // a query has no arguments to read
  auto r = next_answer_on_out();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kOk);
  expect_node_still_serves();
}

TEST_F(MalformedTest, JoinClaimingToBeAHeadIsRefusedAndChangesNoMembership) {
  auto events = node->subscribe();
  send_raw({encode_header(join_header()),
            pack_args(Member{0, "", "imposter", MemberState::kAlive, NodeRole::kHead}).args},
           &joiner);
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kInvalidArgument);
  EXPECT_EQ(node->members().size(), 2u);  // the head and the fake peer
  EXPECT_EQ(events->size(), 0u);
  expect_node_still_serves();
}

TEST_F(MalformedTest, JoinWithARoleNumberNobodyKnowsIsRefused) {
  const auto unknown = static_cast<NodeRole>(kMaxNodeRole + 1);
  send_raw(
      {encode_header(join_header()), pack_args(Member{0, "", "future", MemberState::kAlive, unknown}).args},
      &joiner);
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kInvalidArgument);
  EXPECT_EQ(node->members().size(), 2u);
  expect_node_still_serves();
}

TEST_F(MalformedTest, MessageForAPreviousIncarnationGetsNodeDead) {
  Header h = call_header("echo");
  h.dst_node = node->id() + 1;
  send_raw({encode_header(h), ""});
  auto r = next_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error, ErrorCode::kNodeDead);
}

}  // namespace
}  // namespace ist::rt
