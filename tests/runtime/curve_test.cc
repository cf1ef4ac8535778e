// CURVE: nodes given the cluster key talk as usual; a peer without it (another key, or plain TCP) is refused
// at the handshake and cannot make a node do anything, not even answer a members query.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include <zmq_addon.hpp>

#include "runtime/cluster_key.h"
#include "runtime/envelope.h"
#include "runtime/log.h"
#include "runtime/member_query.h"
#include "runtime/node.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

ClusterKey fresh_key() {
  auto k = ClusterKey::generate();
  EXPECT_TRUE(k.ok()) << k.status().to_string();
  return *k;
}

NodeOptions secured(NodeRole role, const std::optional<ClusterKey>& key, const std::string& head = "") {
  NodeOptions o;
  o.role = role;
  o.name = role == NodeRole::kHead ? "head" : "worker";
  o.head_endpoint = head;
  o.cluster_key = key;
  o.join_timeout = 1500ms;
  return o;
}

TEST(ClusterKey, TextFormRoundTripsAndDerivesTheSamePublicKey) {
  const ClusterKey key = fresh_key();
  auto again = ClusterKey::from_text(key.text());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->secret_key(), key.secret_key());
  EXPECT_EQ(again->public_key(), key.public_key());
  EXPECT_NE(fresh_key().text(), key.text());
}

TEST(ClusterKey, MalformedTextIsRefusedWithoutEchoingIt) {
  for (const std::string& bad : {std::string(63, 'a'), std::string(64, 'g'), std::string()}) {
    auto k = ClusterKey::from_text(bad);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), ErrorCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_EQ(k.status().message().find(bad), std::string::npos) << k.status().message();
    }
  }
}

TEST(ClusterKey, AKeyFileIsWrittenForItsOwnerOnlyAndOneOthersMayReadIsRefused) {
  const std::string path = ::testing::TempDir() + "/curve_test_cluster.key";
  const ClusterKey key = fresh_key();
  ASSERT_TRUE(key.write_file(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ClusterKey::read_file(path);
  ASSERT_TRUE(read.ok()) << read.status().to_string();
  EXPECT_EQ(read->text(), key.text());

  ::chmod(path.c_str(), 0644);
  auto refused = ClusterKey::read_file(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("other users"), std::string::npos) << refused.status().message();
  std::filesystem::remove(path);
  EXPECT_EQ(ClusterKey::read_file(path).status().code(), ErrorCode::kNotFound);
}

TEST(CurveCluster, NodesWithTheClusterKeyJoinAndCallEachOther) {
  testing::register_test_actors();
  const ClusterKey key = fresh_key();
  auto head = Node::start(secured(NodeRole::kHead, key));
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  auto worker = Node::start(secured(NodeRole::kWorker, key, (*head)->endpoint()));
  ASSERT_TRUE(worker.ok()) << worker.status().to_string();
  auto echo = (*head)->client().spawn("Echo", (*worker)->id(), Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  auto r = (*head)->client().call(*echo, "echo", pack_args(std::string("secret")), deadline_in(5s)).get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(std::get<0>(*unpack_args<std::string>(*r)), "secret");
  auto table = query_members((*head)->endpoint(), deadline_in(5s), &key);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->size(), 2u);
}

TEST(CurveCluster, NodesWithAnotherKeyOrNoneAreRefusedAtTheHandshake) {
  const ClusterKey key = fresh_key();
  auto head = Node::start(secured(NodeRole::kHead, key));
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  const std::string at = (*head)->endpoint();

  auto foreign = Node::start(secured(NodeRole::kWorker, fresh_key(), at));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), ErrorCode::kTimeout) << foreign.status().to_string();
  auto plain = Node::start(secured(NodeRole::kWorker, std::nullopt, at));
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), ErrorCode::kTimeout) << plain.status().to_string();

  // A client that knows the head's public key (the server key) but presents its own key pair: the ZAP
  // handler refuses it.
  zmq::context_t ctx;
  zmq::socket_t knows_public(ctx, zmq::socket_type::dealer);
  knows_public.set(zmq::sockopt::linger, 0);
  const ClusterKey own = fresh_key();
  knows_public.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(key.public_key().data(), 32));
  knows_public.set(zmq::sockopt::curve_publickey, zmq::const_buffer(own.public_key().data(), 32));
  knows_public.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(own.secret_key().data(), 32));
  knows_public.connect(at);
  Header q;
  q.kind = Kind::kQueryMembers;
  q.request_id = 3;
  std::vector<zmq::message_t> frames = encode_envelope(Envelope{q, pack_args()});
  ASSERT_TRUE(zmq::send_multipart(knows_public, frames, zmq::send_flags::dontwait));
  zmq::pollitem_t item{knows_public.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, 500ms), 0) << "the head answered a client with its own key";

  const ClusterKey other = fresh_key();
  EXPECT_EQ(query_members(at, deadline_in(500ms), &other).status().code(), ErrorCode::kTimeout);
  EXPECT_EQ(query_members(at, deadline_in(500ms), nullptr).status().code(), ErrorCode::kTimeout);
  EXPECT_EQ((*head)->members().size(), 1u);
}

TEST(CurveCluster, APeerWithoutCurveIsLoggedOnceHoweverOftenItTries) {
  std::mutex mu;
  std::vector<std::string> lines;
  set_log_sink([&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    if (line.find("does not speak CURVE") != std::string::npos) lines.push_back(line);
  });
  const ClusterKey key = fresh_key();
  auto head = Node::start(secured(NodeRole::kHead, key));
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  zmq::context_t ctx;
  for (int attempt = 0; attempt < 6; ++attempt) {
    zmq::socket_t plain(ctx, zmq::socket_type::dealer);
    plain.set(zmq::sockopt::linger, 0);
    plain.connect((*head)->endpoint());
    Header q;
    q.kind = Kind::kQueryMembers;
    std::vector<zmq::message_t> frames = encode_envelope(Envelope{q, pack_args()});
    ASSERT_TRUE(zmq::send_multipart(plain, frames, zmq::send_flags::dontwait));
    zmq::pollitem_t item{plain.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&item, 1, 100ms), 0) << "a plain-TCP peer got an answer";
  }
  const auto until = deadline_in(3s);
  auto logged = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return lines.size();
  };
  while (logged() == 0 && Clock::now() < until) {
    EXPECT_TRUE(query_members((*head)->endpoint(), deadline_in(1s), &key).ok());  // a keyed peer still gets in
  }
  set_log_sink({});
  EXPECT_EQ(logged(), 1u);
}

// Forged messages on a plain connection (the attacks a peer on the network tried before CURVE) reach no
// handler: the head neither leaves, nor dies, nor answers; a keyed query afterwards sees it unchanged.
TEST(CurveCluster, AForgedMessageWithoutTheKeyDoesNothing) {
  const ClusterKey key = fresh_key();
  auto head = Node::start(secured(NodeRole::kHead, key));
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  auto worker = Node::start(secured(NodeRole::kWorker, key, (*head)->endpoint()));
  ASSERT_TRUE(worker.ok()) << worker.status().to_string();

  zmq::context_t ctx;
  zmq::socket_t attacker(ctx, zmq::socket_type::dealer);
  attacker.set(zmq::sockopt::linger, 0);
  attacker.connect((*head)->endpoint());
  for (Kind kind : {Kind::kLeave, Kind::kHeartbeatAck, Kind::kQueryMembers}) {
    Header h;
    h.kind = kind;
    h.src_node = (*worker)->id();
    h.dst_node = (*head)->id();
    h.request_id = 9;
    h.error = ErrorCode::kNodeDead;
    std::vector<zmq::message_t> frames = encode_envelope(Envelope{h, pack_args()});
    ASSERT_TRUE(zmq::send_multipart(attacker, frames, zmq::send_flags::dontwait));
  }
  zmq::pollitem_t item{attacker.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, 500ms), 0) << "a node answered a peer without the key";

  auto table = query_members((*head)->endpoint(), deadline_in(5s), &key);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  EXPECT_EQ(table->size(), 2u);
  EXPECT_FALSE((*worker)->head_lost());
  EXPECT_FALSE((*worker)->declared_dead());
}

}  // namespace
}  // namespace ist::rt
