// Multi-process: worker node processes started by LocalCluster (runtime_test_node), on loopback.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <functional>
#include <future>
#include <thread>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <zmq_addon.hpp>

#include "runtime/cluster_key.h"
#include "runtime/launcher.h"
#include "runtime/node.h"
#include "runtime/peer_socket.h"
#include "tests/runtime/test_actors.h"

namespace ist::rt {
namespace {

using namespace std::chrono_literals;

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::register_test_actors();
    head = start_head();
    ASSERT_NE(head, nullptr);
    cluster = std::make_unique<LocalCluster>(
        RT_TEST_NODE, std::vector<std::string>{"--head", head->endpoint(), "--heartbeat-ms", "50", "--deadline-ms",
                                               "500", "--head-lost-ms", "2000"});
  }
  void TearDown() override { cluster.reset(); }

  std::vector<Member> workers() {
    std::vector<Member> out;
    for (const Member& m : head->members()) {
      if (m.role == NodeRole::kWorker && m.state == MemberState::kAlive) out.push_back(m);
    }
    return out;
  }

  // A head at `bind` (e.g. the address of one that is gone), with the fixture's timings.
  static std::unique_ptr<Node> start_head(const std::string& bind = "tcp://127.0.0.1:*") {
    NodeOptions o;
    o.role = NodeRole::kHead;
    o.name = "head";
    o.bind = bind;
    o.heartbeat_interval = 50ms;
    o.death_deadline = 500ms;
    auto h = Node::start(o);
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return h.ok() ? std::move(h).value() : nullptr;
  }

  // A driver node in this process, with the workers' timings.
  std::unique_ptr<Node> start_driver() {
    NodeOptions o;
    o.role = NodeRole::kDriver;
    o.name = "driver";
    o.head_endpoint = head->endpoint();
    o.heartbeat_interval = 50ms;
    o.death_deadline = 500ms;
    o.head_lost_after = 2000ms;
    auto d = Node::start(o);
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    return d.ok() ? std::move(d).value() : nullptr;
  }

  ActorHandle spawn(const std::string& type, NodeId on) {
    auto h = head->client().spawn(type, on, Payload(), deadline_in(5s)).get();
    EXPECT_TRUE(h.ok()) << h.status().to_string();
    return h.ok() ? *h : ActorHandle{};
  }

  std::unique_ptr<Node> head;
  std::unique_ptr<LocalCluster> cluster;
};

TEST_F(Cluster, SpawnsOnARemoteWorkerProcessAndCallsIt) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  ActorHandle a = spawn("Echo", workers().at(0).id);
  auto pid = head->client().call(a, "pid", Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(pid.ok()) << pid.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*pid), cluster->pids().at(0));
}

TEST_F(Cluster, ActorsOnDifferentWorkersCallEachOtherAndExchangeTaggedMessages) {
  ASSERT_TRUE(cluster->start_and_wait(2, *head, deadline_in(10s)).ok());
  auto w = workers();
  ASSERT_EQ(w.size(), 2u);
  ActorHandle p1 = spawn("Peer", w[0].id);
  ActorHandle p2 = spawn("Peer", w[1].id);
  ActorHandle e2 = spawn("Echo", w[1].id);

  auto direct = head->client().call(p1, "call_peer", pack_args(e2, 41L), deadline_in(5s)).get();
  ASSERT_TRUE(direct.ok()) << direct.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*direct), 41);

  Blob big = Blob::make(3 << 20, [](std::span<std::byte> s) { std::fill(s.begin(), s.end(), std::byte{5}); });
  auto f1 = head->client().call(p1, "exchange", pack_args(p2, std::uint64_t{1}, 100L).with_blob(big), deadline_in(10s));
  auto f2 = head->client().call(p2, "exchange", pack_args(p1, std::uint64_t{1}, 200L), deadline_in(10s));
  auto r1 = f1.get();
  auto r2 = f2.get();
  ASSERT_TRUE(r1.ok()) << r1.status().to_string();
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*r1), 200);
  EXPECT_EQ(*unpack_one<long>(*r2), 100);
  ASSERT_EQ(r2->blobs.size(), 1u);
  EXPECT_EQ(r2->blobs[0].size(), big.size());
  EXPECT_EQ(r2->blobs[0].data()[12345], std::byte{5});
}

TEST_F(Cluster, KilledWorkerFailsPendingCallsWithinDeadlineAndIsAnnouncedDead) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  auto events = head->subscribe();
  const Member victim = workers().at(0);
  ActorHandle a = spawn("Echo", victim.id);
  auto pending = head->client().call(a, "sleep", pack_args(30000), deadline_in(20s));
  const auto start = Clock::now();
  ASSERT_TRUE(cluster->signal_worker(0, SIGKILL).ok());
  auto r = pending.get();
  EXPECT_EQ(r.status().code(), ErrorCode::kNodeDead) << r.status().to_string();
  EXPECT_LT(Clock::now() - start, 2s);  // death deadline 500 ms plus detection slack
  auto e = events->next(deadline_in(2s));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->change, MembershipChange::kDead);
  EXPECT_EQ(e->member.id, victim.id);
}

// Calls `actor` until it answers with an error or the deadline passes; returns the last outcome.
Result<Payload> echo_until_gone(Node& from, const ActorHandle& actor, Deadline deadline) {
  Result<Payload> outcome = Payload();
  while (outcome.ok() && Clock::now() < deadline) {
    outcome = from.client().call(actor, "echo", pack_args(1L), deadline_in(1s)).get();
  }
  return outcome;
}

TEST_F(Cluster, ActorsStopWhenTheNodeThatSpawnedThemLeaves) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  NodeOptions o;
  o.role = NodeRole::kDriver;
  o.name = "driver";
  o.head_endpoint = head->endpoint();
  auto driver = Node::start(o);
  ASSERT_TRUE(driver.ok()) << driver.status().to_string();
  auto echo = (*driver)->client().spawn("Echo", workers().at(0).id, Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  ASSERT_TRUE(head->client().call(*echo, "echo", pack_args(1L), deadline_in(5s)).get().ok()) << "alive while its driver is";
  driver->reset();  // the driver's run is over: its node leaves
  const auto gone = echo_until_gone(*head, *echo, deadline_in(5s));
  ASSERT_FALSE(gone.ok()) << "the actor outlived the node that spawned it";
  EXPECT_EQ(gone.status().code(), ErrorCode::kActorDied) << gone.status().to_string();
}

TEST_F(Cluster, ActorsStopWhenTheNodeThatSpawnedThemDies) {
  ASSERT_TRUE(cluster->start_and_wait(2, *head, deadline_in(10s)).ok());
  auto w = workers();
  ASSERT_EQ(w.size(), 2u);
  ActorHandle spawner = spawn("Peer", w[0].id);
  auto spawned = head->client().call(spawner, "spawn_echo", pack_args(w[1].id), deadline_in(5s)).get();
  ASSERT_TRUE(spawned.ok()) << spawned.status().to_string();
  const ActorHandle echo = unpack_one<ActorHandle>(*spawned).value();
  ASSERT_TRUE(head->client().call(echo, "echo", pack_args(1L), deadline_in(5s)).get().ok());
  ActorHandle probe = spawn("Echo", w[0].id);  // tells the spawner's process id
  auto pid = head->client().call(probe, "pid", Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(pid.ok());
  ASSERT_EQ(::kill(static_cast<pid_t>(*unpack_one<long>(*pid)), SIGKILL), 0);  // kill -9 of the spawner's node
  const auto gone = echo_until_gone(*head, echo, deadline_in(5s));
  ASSERT_FALSE(gone.ok()) << "the actor outlived the node that spawned it";
  EXPECT_EQ(gone.status().code(), ErrorCode::kActorDied) << gone.status().to_string();
}

TEST_F(Cluster, WorkerJoiningMidRunIsSeenBySubscribers) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  auto events = head->subscribe();
  ASSERT_TRUE(cluster->start_worker({"--name", "late"}).ok());
  auto e = events->next(deadline_in(10s));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->change, MembershipChange::kJoined);
  EXPECT_EQ(e->member.name, "late");
  ActorHandle a = spawn("Echo", e->member.id);
  EXPECT_TRUE(head->client().call(a, "add", pack_args(1L), deadline_in(5s)).get().ok());
}

TEST_F(Cluster, StopEndsEveryWorkerProcessAndAnnouncesThemLeft) {
  ASSERT_TRUE(cluster->start_and_wait(2, *head, deadline_in(10s)).ok());
  auto events = head->subscribe();
  const auto pids = cluster->pids();
  cluster->stop();
  for (pid_t p : pids) EXPECT_FALSE(cluster->running(p));
  for (pid_t p : pids) EXPECT_NE(::kill(p, 0), 0) << "pid " << p << " still exists";
  for (int i = 0; i < 2; ++i) {
    auto e = events->next(deadline_in(2s));
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    EXPECT_EQ(e->change, MembershipChange::kLeft);
  }
}

// Polls `condition` until it holds or `deadline` passes; for state that offers no wait of its own.
bool eventually(const std::function<bool()>& condition, Deadline deadline) {
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A head used to mean the end of its workers (they exited once it was silent for --head-lost-ms).
// Now they serve on and join a head started again at the same address, under their own ids.
TEST_F(Cluster, WorkerOutlivesItsHeadAndJoinsAHeadRestartedAtTheSameAddressUnderItsOwnId) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  const Member worker = workers().at(0);
  auto driver = start_driver();
  ASSERT_NE(driver, nullptr);
  // Spawned by the driver: actors the old head spawned end with it (its successor is another node).
  auto echo = driver->client().spawn("Echo", worker.id, Payload(), deadline_in(5s)).get().value();
  const std::string address = head->endpoint();
  head.reset();
  // The driver gives the head up after the same --head-lost-ms as the worker.
  ASSERT_TRUE(eventually([&] { return driver->head_lost(); }, deadline_in(5s)));
  EXPECT_TRUE(cluster->running(cluster->pids().at(0))) << "the worker exited when its head was lost";
  auto served = driver->client().call(echo, "add", pack_args(2L), deadline_in(5s)).get();
  ASSERT_TRUE(served.ok()) << "the worker stopped serving without its head: " << served.status().to_string();

  head = start_head(address);
  ASSERT_NE(head, nullptr);
  ASSERT_EQ(head->endpoint(), address);
  ASSERT_TRUE(head->wait_for_members(3, deadline_in(10s)).ok());  // head, worker, driver
  const auto back = workers();
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, worker.id);
  EXPECT_EQ(back[0].endpoint, worker.endpoint);
  auto after = driver->client().call(echo, "add", pack_args(3L), deadline_in(5s)).get();
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*after), 5) << "the actor lived through the head's absence";
}

TEST_F(Cluster, CallToAWorkerKilledAfterTheHeadFailsWithinSecondsWhileOtherWorkersStillAnswer) {
  ASSERT_TRUE(cluster->start_and_wait(2, *head, deadline_in(10s)).ok());
  auto driver = start_driver();
  ASSERT_NE(driver, nullptr);
  const auto w = workers();
  ASSERT_EQ(w.size(), 2u);
  std::vector<ActorHandle> echos;
  std::vector<pid_t> pids;
  for (const Member& m : w) {
    auto e = driver->client().spawn("Echo", m.id, Payload(), deadline_in(5s)).get();
    ASSERT_TRUE(e.ok()) << e.status().to_string();
    auto pid = driver->client().call(*e, "pid", Payload(), deadline_in(5s)).get();
    ASSERT_TRUE(pid.ok());
    echos.push_back(*e);
    pids.push_back(static_cast<pid_t>(*unpack_one<long>(*pid)));
  }
  head.reset();  // the head is gone: nobody will announce the worker's death
  auto pending = driver->client().call(echos[0], "sleep", pack_args(30000), deadline_in(60s));
  const auto killed = Clock::now();
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  auto r = pending.get();
  const auto took = Clock::now() - killed;
  EXPECT_EQ(r.status().code(), ErrorCode::kNodeDead) << r.status().to_string();
  EXPECT_LT(took, 3s) << "not the call's 60 s deadline";
  std::printf("call to a worker killed with no head failed after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  auto other = driver->client().call(echos[1], "echo", pack_args(7L), deadline_in(5s)).get();
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*other), 7);
}

// SIGSTOP past the death deadline: the head declares the worker dead and everyone forgets it. After
// SIGCONT the head tells it so, and the same process joins again as a new member (a fresh id); its old
// actors are gone.
TEST_F(Cluster, PausedWorkerIsToldItWasDeclaredDeadAndJoinsAgainAsANewMember) {
  ASSERT_TRUE(cluster->start_and_wait(1, *head, deadline_in(10s)).ok());
  const Member worker = workers().at(0);
  ActorHandle old_echo = spawn("Echo", worker.id);
  auto events = head->subscribe();
  ASSERT_TRUE(cluster->signal_worker(0, SIGSTOP).ok());
  auto dead = events->next(deadline_in(5s));
  ASSERT_TRUE(dead.ok()) << dead.status().to_string();
  EXPECT_EQ(dead->change, MembershipChange::kDead);
  EXPECT_EQ(dead->member.id, worker.id);
  ASSERT_TRUE(cluster->signal_worker(0, SIGCONT).ok());

  auto joined = events->next(deadline_in(10s));
  ASSERT_TRUE(joined.ok()) << joined.status().to_string();
  EXPECT_EQ(joined->change, MembershipChange::kJoined);
  EXPECT_NE(joined->member.id, worker.id) << "a node declared dead must come back as a new member";
  EXPECT_EQ(joined->member.role, NodeRole::kWorker);
  ActorHandle echo = spawn("Echo", joined->member.id);
  auto pid = head->client().call(echo, "pid", Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(pid.ok()) << pid.status().to_string();
  EXPECT_EQ(*unpack_one<long>(*pid), cluster->pids().at(0)) << "the same process, as a new member";
  auto old = head->client().call(old_echo, "echo", pack_args(1L), deadline_in(5s)).get();
  EXPECT_EQ(old.status().code(), ErrorCode::kNodeDead) << old.status().to_string();
}

}  // namespace
}  // namespace ist::rt

namespace ist::rt {
namespace {

long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A peer holding the cluster key (so CURVE lets it in) sends a worker process one 128 MiB frame while the
// worker's cap is 8 MiB: libzmq reads the frame's length, drops the connection there (ZMQ_MAXMSGSIZE,
// set from the cap on every socket) and never buffers the frame, so the worker's peak memory does not
// move; it stays up and serves calls.
TEST(SizeCap, AFrameOverTheCapFromAKeyedPeerIsDroppedAsItArrivesAndTheNodeKeepsItsMemory) {
  auto key = ClusterKey::generate();
  ASSERT_TRUE(key.ok()) << key.status().to_string();
  const std::string key_file = ::testing::TempDir() + "/size_cap_" + std::to_string(getpid()) + ".key";
  ASSERT_TRUE(key->write_file(key_file).ok());
  NodeOptions h;
  h.role = NodeRole::kHead;
  h.name = "head";
  h.cluster_key = *key;
  auto head = Node::start(h);
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  LocalCluster cluster(RT_TEST_NODE, {"--head", (*head)->endpoint(), "--key-file", key_file, "--max-message-bytes",
                                      std::to_string(8 << 20)});
  ASSERT_TRUE(cluster.start_and_wait(1, **head, deadline_in(20s)).ok());
  std::filesystem::remove(key_file);
  std::string worker_ep;
  NodeId worker_id = 0;
  for (const Member& m : (*head)->members()) {
    if (m.role == NodeRole::kWorker) worker_ep = m.endpoint, worker_id = m.id;
  }
  ASSERT_FALSE(worker_ep.empty());
  const pid_t worker = cluster.pids().front();
  const long peak_before = peak_rss_kib(worker);
  ASSERT_GT(peak_before, 0);

  zmq::context_t ctx;
  zmq::socket_t attacker(ctx, zmq::socket_type::dealer);
  attacker.set(zmq::sockopt::linger, 0);
  attacker.set(zmq::sockopt::routing_id, routing_id_of(4242));
  ASSERT_TRUE(key->make_client(attacker).ok());
  ASSERT_EQ(zmq_socket_monitor(attacker.handle(), "inproc://size-cap-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED), 0);
  zmq::socket_t events(ctx, zmq::socket_type::pair);
  events.connect("inproc://size-cap-monitor");
  attacker.connect(worker_ep);
  // The next monitor event within the deadline: its number, or 0.
  const auto next_event = [&events](std::chrono::milliseconds wait) -> int {
    zmq::pollitem_t item{events.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, wait) <= 0) return 0;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(events, std::back_inserter(frames)) || frames.empty() || frames[0].size() < 2) return 0;
    std::uint16_t event = 0;
    std::memcpy(&event, frames[0].data(), sizeof event);
    return event;
  };
  ASSERT_EQ(next_event(5000ms), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) << "the keyed peer was not let in";
  zmq::message_t big(std::size_t{128} << 20);
  ASSERT_TRUE(attacker.send(big, zmq::send_flags::dontwait));
  EXPECT_EQ(next_event(10000ms), ZMQ_EVENT_DISCONNECTED) << "the worker kept reading a frame over its cap";

  EXPECT_EQ(::kill(worker, 0), 0) << "the worker died";
  EXPECT_LT(peak_rss_kib(worker) - peak_before, 16 * 1024) << "the worker buffered the frame";
  testing::register_test_actors();
  auto echo = (*head)->client().spawn("Echo", worker_id, Payload(), deadline_in(5s)).get();
  ASSERT_TRUE(echo.ok()) << echo.status().to_string();
  auto answer = (*head)->client().call(*echo, "echo", pack_args(7), deadline_in(5s)).get();
  EXPECT_TRUE(answer.ok()) << answer.status().to_string();
}

// The launching process dies without stopping its workers: the kernel kills them (PR_SET_PDEATHSIG).
TEST(Launcher, WorkersDieWhenTheirLauncherDies) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);  // orphans come to us, so we can wait for them
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    LocalCluster cluster(RT_TEST_NODE, {"--head", "tcp://127.0.0.1:1"});
    auto pid = cluster.start_worker();
    const pid_t worker = pid.ok() ? *pid : -1;
    if (write(fds[1], &worker, sizeof worker) != sizeof worker) _exit(1);
    pause();  // until killed
    _exit(0);
  }
  close(fds[1]);
  pid_t worker = -1;
  ASSERT_EQ(read(fds[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
  close(fds[0]);
  ASSERT_GT(worker, 0);
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  ASSERT_EQ(waitpid(launcher, nullptr, 0), launcher);
  auto reaped = std::async(std::launch::async, [worker] {
    int status = 0;
    if (waitpid(worker, &status, 0) != worker) return false;
    // SIGKILL from the kernel; or, if the launcher died before the child's prctl, the child's own exit.
    return (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) || (WIFEXITED(status) && WEXITSTATUS(status) == 127);
  });
  ASSERT_EQ(reaped.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(reaped.get());
}

}  // namespace
}  // namespace ist::rt
