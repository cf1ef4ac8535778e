// A peer that holds the cluster key (so CURVE lets it in) attacks a started cluster while a run trains
// on it: each attack of issue 10 is refused, no process dies, and the run ends with the very model an
// undisturbed run of the same config makes. The attacker uses the project's own envelope code over raw
// ZeroMQ sockets (to forge what the runtime would never send) and a member node of its own (role probe,
// so the driver gives it no trainer) for what any member may try. Real processes, real Fashion-MNIST.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <zmq_addon.hpp>

#include "actors/wire.h"
#include "cli/cluster_state.h"
#include "ist/model_io.h"
#include "runtime/envelope.h"
#include "runtime/member_query.h"
#include "runtime/node.h"
#include "runtime/peer_socket.h"
#include "tests/cli/ist_process.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ist_process::Outcome;
using ist_process::run_ist;

constexpr rt::NodeId kForger = 0x4242;

std::size_t count_in(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::size_t lines_of(const std::string& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

class HostilePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_hostile_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Slow steps (a scripted delay, no change to the numbers) keep the run going while it is attacked.
    config_ = path("run.toml");
    std::ofstream(config_) << "name = \"hostile\"\nseed = 11\n[model]\nwidths = [784, 24, 10]\n[algorithm]\n"
                              "local_steps = 4\nbatch_size = 32\nrounds = 24\neval_every = 24\nwarmup_epochs = 0\n"
                              "[cluster]\nworkers = 2\n"
                              "[[events]]\nround = 1\naction = \"slow\"\nworker = 0\ndelay_ms = 25\nrounds = 24\n";
  }
  void TearDown() override {
    run_ist({"stop"}, {"IST_STATE_DIR=" + path("state")});
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A raw DEALER to `endpoint`, a CURVE client with the cluster's key, announcing routing id `as`.
  zmq::socket_t connect_as(rt::NodeId as, const std::string& endpoint) {
    zmq::socket_t s(zctx_, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 0);
    s.set(zmq::sockopt::routing_id, rt::routing_id_of(as));
    EXPECT_TRUE(key_->make_client(s).ok());
    s.connect(endpoint);
    return s;
  }
  static void send(zmq::socket_t& s, const rt::Header& h, rt::Payload p = rt::pack_args()) {
    auto frames = rt::encode_envelope(rt::Envelope{h, std::move(p)});
    ASSERT_TRUE(zmq::send_multipart(s, frames, zmq::send_flags::dontwait));
  }
  static rt::Header forged(rt::Kind kind, rt::NodeId src, rt::NodeId dst) {
    rt::Header h;
    h.kind = kind;
    h.src_node = src;
    h.dst_node = dst;
    return h;
  }
  // A members query behind what was sent on `s`: its answer means everything before it was handled.
  static void settle(zmq::socket_t& s) {
    rt::Header q;
    q.kind = rt::Kind::kQueryMembers;
    q.request_id = 77;
    send(s, q);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    ASSERT_GT(zmq::poll(&item, 1, 5000ms), 0) << "no answer to the members query";
    std::vector<zmq::message_t> frames;
    ASSERT_TRUE(zmq::recv_multipart(s, std::back_inserter(frames)));
  }

  fs::path dir_;
  std::string config_;
  zmq::context_t zctx_{1};
  std::optional<rt::ClusterKey> key_;
};

TEST_F(HostilePeer, EveryAttackByAKeyedPeerIsRefusedAndTheRunEndsWithTheModelItWouldHaveHad) {
  const Outcome reference = run_ist({"run", config_, "--embedded", "--out", path("reference"), "--quiet"});
  ASSERT_EQ(reference.exit_code, 0) << reference.output;

  const std::string state_env = "IST_STATE_DIR=" + path("state");
  const std::string port = std::to_string(ist_process::free_port());
  const Outcome started = run_ist({"start", "--head", "--port", port, "--workers", "2"}, {state_env});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  auto key = rt::ClusterKey::read_file(path("state/cluster.key"));
  ASSERT_TRUE(key.ok()) << key.status().to_string();
  key_ = *key;
  setenv("IST_STATE_DIR", path("state").c_str(), 1);
  auto state = load_cluster_state();
  const pid_t driver = ist_process::spawn_ist({"run", config_, "--address", "127.0.0.1:" + port, "--out", path("run"), "--quiet"},
                                              path("run.log"));
  unsetenv("IST_STATE_DIR");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  const std::string head_ep = "tcp://127.0.0.1:" + port;
  const auto until = rt::deadline_in(60s);
  while (lines_of(path("run/metrics.jsonl")) < 2 && rt::Clock::now() < until) usleep(20000);  // polling pace
  ASSERT_GE(lines_of(path("run/metrics.jsonl")), 2u) << ist_process::file_text(path("run.log"));

  auto table = rt::query_members(head_ep, rt::deadline_in(5s), &*key_);
  ASSERT_TRUE(table.ok()) << table.status().to_string();
  std::vector<rt::Member> workers;
  std::optional<rt::Member> driver_member;
  for (const rt::Member& m : *table) {
    if (m.role == rt::NodeRole::kWorker) workers.push_back(m);
    if (m.role == rt::NodeRole::kDriver) driver_member = m;
  }
  ASSERT_EQ(workers.size(), 2u);
  ASSERT_TRUE(driver_member.has_value());
  std::vector<pid_t> pids;
  for (const StartedProcess& p : state->processes) pids.push_back(p.identity.pid);
  const pid_t head_pid = pids.front();
  const std::size_t head_fds = count_in("/proc/" + std::to_string(head_pid) + "/fd");
  std::vector<long> rss_before;
  for (pid_t p : pids) rss_before.push_back(rss_kib(p));
  int attacks = 0;

  // A member of its own (probe: the driver gives it no trainer), for what any member may try.
  rt::NodeOptions probe;
  probe.role = rt::NodeRole::kProbe;
  probe.name = "attacker";
  probe.head_endpoint = head_ep;
  probe.cluster_key = *key_;
  auto member = rt::Node::start(probe);
  ASSERT_TRUE(member.ok()) << member.status().to_string();
  rt::ActorContext& me = (*member)->client();

  zmq::socket_t to_head = connect_as(kForger, head_ep);
  // 1. A leave in a worker's name, on the forger's connection, and on one claiming the worker's routing id.
  send(to_head, forged(rt::Kind::kLeave, workers[0].id, 0)), ++attacks;
  zmq::socket_t as_worker = connect_as(workers[0].id, head_ep);
  send(as_worker, forged(rt::Kind::kLeave, workers[0].id, 0)), ++attacks;
  // 2. A heartbeat-ack "you are dead" to the head, and to each worker.
  rt::Header ack = forged(rt::Kind::kHeartbeatAck, kForger, 0);
  ack.error = ErrorCode::kNodeDead;
  send(to_head, ack), ++attacks;
  std::vector<zmq::socket_t> to_workers;
  for (const rt::Member& w : workers) to_workers.push_back(connect_as(kForger, w.endpoint));
  for (auto& s : to_workers) send(s, ack);
  ++attacks;
  // 3. Membership "dead" events, to the driver and to a worker about the other.
  zmq::socket_t to_driver = connect_as(kForger, driver_member->endpoint);
  const auto dead = [](const rt::Member& m) { return rt::pack_args(rt::MembershipEvent{rt::MembershipChange::kDead, m}); };
  send(to_driver, forged(rt::Kind::kMembership, kForger, driver_member->id), dead(workers[0])), ++attacks;
  send(to_workers[0], forged(rt::Kind::kMembership, kForger, workers[0].id), dead(workers[1])), ++attacks;
  // 4. Kills of the trainers: forged in the driver's name, and asked for by a member that did not spawn them.
  for (std::size_t w = 0; w < workers.size(); ++w) {
    for (rt::ActorId actor = 1; actor <= 3; ++actor) {
      rt::Header kill = forged(rt::Kind::kKill, driver_member->id, workers[w].id);
      kill.dst_actor = actor;
      kill.request_id = 99;
      send(to_workers[w], kill);
      auto refused = me.kill(rt::ActorHandle{workers[w].id, workers[w].endpoint, actor}, rt::deadline_in(5s)).get();
      EXPECT_FALSE(refused.ok());
    }
  }
  attacks += 2;
  // 5. Work for a trainer from a member that did not spawn it: cursor -1, steps 2^31-1, a crash flag.
  for (const rt::Member& w : workers) {
    actors::IstTrainRequest bad;
    bad.cursor.position = -1;
    bad.options.steps = std::numeric_limits<int>::max();
    bad.options.batch_size = 32;
    const rt::ActorHandle trainer{w.id, w.endpoint, 1};
    auto r = me.call(trainer, "train_ist", rt::pack_args(bad), rt::deadline_in(5s)).get();
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().to_string();
    actors::FaultPlan crash;
    crash.crash_midway = true;
    auto armed = me.call(trainer, "arm_fault", rt::pack_args(crash), rt::deadline_in(5s)).get();
    EXPECT_EQ(armed.status().code(), ErrorCode::kInvalidArgument) << armed.status().to_string();
  }
  attacks += 2;
  // 6. Spawns of data-loading trainers in the driver's name.
  actors::TrainerSpec spec;
  spec.data.path = "/usr/share/datasets/fashion-mnist";
  for (int i = 0; i < 3; ++i) {
    rt::Header spawn = forged(rt::Kind::kSpawn, driver_member->id, workers[0].id);
    spawn.method = "SubnetTrainer";
    spawn.request_id = 100 + i;
    send(to_workers[0], spawn, rt::pack_args(spec));
  }
  ++attacks;
  // 7. A join whose endpoint is not UTF-8.
  rt::Header join = forged(rt::Kind::kJoin, kForger, 0);
  join.src_endpoint = "tcp://\xff\xfe:1";
  join.request_id = 5;
  send(to_head, join, rt::pack_args(rt::Member{kForger, join.src_endpoint, "x", rt::MemberState::kAlive, rt::NodeRole::kWorker})),
      ++attacks;
  // 8. 1,020 requests naming distinct reply addresses: from a non-member, and joins of one id.
  for (int i = 0; i < 1020; ++i) {
    rt::Header lookup = forged(rt::Kind::kLookupName, kForger, 0);
    lookup.request_id = 1000 + i;
    lookup.src_endpoint = "tcp://127.0.0.1:" + std::to_string(30000 + i);
    send(to_head, lookup, rt::pack_args(std::string("trainer")));
    rt::Header rejoin = forged(rt::Kind::kJoin, kForger, 0);
    rejoin.request_id = 5000 + i;
    rejoin.src_endpoint = lookup.src_endpoint;
    send(to_head, rejoin, rt::pack_args(rt::Member{kForger, lookup.src_endpoint, "x", rt::MemberState::kAlive, rt::NodeRole::kProbe}));
  }
  attacks += 2;
  // 9. 200 tagged messages of 1 MiB to a trainer, which never receives them.
  for (int i = 0; i < 200; ++i) {
    me.send(rt::ActorHandle{workers[1].id, workers[1].endpoint, 1}, 1u << 20,
            rt::Payload{}.with_blob(rt::Blob::make(1 << 20, [](std::span<std::byte> b) { std::fill(b.begin(), b.end(), std::byte{1}); })));
  }
  ++attacks;
  settle(to_head);
  for (auto& s : to_workers) settle(s);
  settle(to_driver);
  EXPECT_EQ(attacks, 15);
  EXPECT_LT(lines_of(path("run/metrics.jsonl")), 24u) << "the run ended before the attacks were done";

  // Nothing died, nothing grew without bound, the head still answers and takes members.
  for (pid_t p : pids) EXPECT_EQ(kill(p, 0), 0) << "process " << p << " died";
  EXPECT_LT(count_in("/proc/" + std::to_string(head_pid) + "/fd"), head_fds + 200) << "the head opened a socket per reply address";
  for (std::size_t i = 1; i < pids.size(); ++i) {
    EXPECT_LT(rss_kib(pids[i]) - rss_before[i], 100 * 1024) << "worker " << pids[i] << " holds the untaken tagged messages";
  }
  auto after = rt::query_members(head_ep, rt::deadline_in(5s), &*key_);
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  member->reset();

  EXPECT_EQ(ist_process::wait_exit(driver, 120s), 0) << ist_process::file_text(path("run.log"));
  auto model = load_model(path("run/model.safetensors"));
  auto expected = load_model(path("reference/model.safetensors"));
  ASSERT_TRUE(model.ok() && expected.ok());
  EXPECT_EQ(parameter_hash(*model), parameter_hash(*expected)) << "the attacks changed the model";
  std::ifstream metrics(path("run/metrics.jsonl"));
  for (std::string line; std::getline(metrics, line);) {
    EXPECT_EQ(line.find("\"lost\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"live_workers\":2"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace ist::cli
