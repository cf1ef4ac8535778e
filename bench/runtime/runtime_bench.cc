// runtime_bench: prints the machine, then
//   1. round trip of a small call (64-byte request, 64-byte reply) from a client to an actor in another
//      process, median and p99 over many calls, against a bare ZeroMQ DEALER/ROUTER ping-pong of the
//      same 64 bytes between the same two processes (a thread of the worker echoes), measured
//      interleaved in blocks in the same run, and the ratio of the medians;
//   2. asynchronous calls per second, one caller, one remote actor, against raw ZeroMQ messages per
//      second over the same DEALER/ROUTER pair with the same window;
//   3. a 64 MiB blob from an actor in one worker process to an actor in another, median over repeats.
// Run without arguments (`--help` says this). With node flags (--head ...) it is a worker node (how it
// launches itself). To pin, run it under taskset: the worker processes inherit the affinity.
// `runtime_bench --curve-cost [ROUNDS]`: only the 64 MiB transfer, on a plain-TCP cluster and on a CURVE
// cluster (a fresh key), alternating ROUNDS times (default 3), to show what encryption costs.
#include <unistd.h>

#include <zmq_addon.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/machine_info.h"
#include "runtime/cluster_key.h"
#include "runtime/launcher.h"
#include "runtime/node.h"
#include "runtime/node_main.h"

namespace rt = ist::rt;
using namespace std::chrono_literals;

namespace {

class Echo : public rt::Actor {
 public:
  ist::Result<rt::Payload> echo(rt::ActorContext&, const rt::Payload& p) { return p; }
};

// A bare ZeroMQ echo in the worker's process: a thread with a ROUTER on loopback sends every message
// back as it came (the baseline the actor call is compared with). `start` returns its endpoint.
class ZmqEcho : public rt::Actor {
 public:
  ~ZmqEcho() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  ist::Result<rt::Payload> start(rt::ActorContext&, const rt::Payload&) {
    router_ = zmq::socket_t(ctx_, zmq::socket_type::router);
    router_.set(zmq::sockopt::sndhwm, 0);
    router_.set(zmq::sockopt::rcvhwm, 0);
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    const std::string ep = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      while (!stop_) {
        if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
        std::vector<zmq::message_t> frames;
        while (zmq::recv_multipart(router_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
          zmq::send_multipart(router_, frames);
          frames.clear();
        }
      }
      router_.close();
    });
    return rt::pack_args(ep);
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Receives blobs; reports its process's receive-side aligning copies.
class Sink : public rt::Actor {
 public:
  ist::Result<rt::Payload> take(rt::ActorContext&, const rt::Payload& p) {
    std::size_t n = 0;
    for (const auto& b : p.blobs) n += b.size();
    return rt::pack_args(static_cast<std::uint64_t>(n));
  }
  ist::Result<rt::Payload> copies(rt::ActorContext&, const rt::Payload&) {
    return rt::pack_args(rt::Blob::receive_copies());
  }
};

// Sends one blob of `bytes` to a Sink `reps` times, timing each call (send + transfer + small reply).
class Source : public rt::Actor {
 public:
  ist::Result<rt::Payload> push(rt::ActorContext& ctx, const rt::Payload& p) {
    IST_ASSIGN_OR_RETURN(auto args, (rt::unpack_args<rt::ActorHandle, std::uint64_t, int>(p)));
    auto& [sink, bytes, reps] = args;
    rt::Blob blob = rt::Blob::make(bytes, [](std::span<std::byte> s) { std::memset(s.data(), 3, s.size()); });
    std::vector<double> seconds;
    for (int i = 0; i < reps; ++i) {
      const auto t0 = rt::Clock::now();
      auto r = ctx.call(sink, "take", rt::Payload().with_blob(blob), rt::deadline_in(60s)).get();
      if (!r.ok()) return r.status();
      seconds.push_back(std::chrono::duration<double>(rt::Clock::now() - t0).count());
    }
    return rt::pack_args(seconds);
  }
};

void register_types() {
  auto check = [](ist::Status s) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      std::exit(2);
    }
  };
  using F = rt::ActorContext;
  check(rt::ActorTypeBuilder<Echo>("BenchEcho")
            .factory([](F&, const rt::Payload&) -> ist::Result<std::unique_ptr<Echo>> { return std::make_unique<Echo>(); })
            .method("echo", &Echo::echo)
            .register_type());
  check(rt::ActorTypeBuilder<ZmqEcho>("BenchZmqEcho")
            .factory([](F&, const rt::Payload&) -> ist::Result<std::unique_ptr<ZmqEcho>> { return std::make_unique<ZmqEcho>(); })
            .method("start", &ZmqEcho::start)
            .register_type());
  check(rt::ActorTypeBuilder<Sink>("BenchSink")
            .factory([](F&, const rt::Payload&) -> ist::Result<std::unique_ptr<Sink>> { return std::make_unique<Sink>(); })
            .method("take", &Sink::take)
            .method("copies", &Sink::copies)
            .register_type());
  check(rt::ActorTypeBuilder<Source>("BenchSource")
            .factory([](F&, const rt::Payload&) -> ist::Result<std::unique_ptr<Source>> { return std::make_unique<Source>(); })
            .method("push", &Source::push)
            .register_type());
}

// The machine, and how busy it is (the bench shares it): figures from a loaded machine are slower.
void print_machine() {
  ist::bench::print_machine();
  std::ifstream load("/proc/loadavg");
  std::string one;
  load >> one;
  std::printf("load average (1 min) at start: %s\n", one.c_str());
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

template <typename T>
T must(ist::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

}  // namespace

// A head in this process and two worker processes of this program, with CURVE when `key` is set.
struct BenchCluster {
  std::unique_ptr<rt::Node> head;
  std::unique_ptr<rt::LocalCluster> cluster;
  std::vector<rt::NodeId> workers;
};

BenchCluster start_bench_cluster(const std::optional<rt::ClusterKey>& key, const std::string& key_file) {
  BenchCluster c;
  rt::NodeOptions ho;
  ho.role = rt::NodeRole::kHead;
  ho.name = "bench-head";
  ho.cluster_key = key;
  c.head = must(rt::Node::start(ho), "head");
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) std::exit(1);
  self[n] = '\0';
  std::vector<std::string> args{"--head", c.head->endpoint()};
  if (key) args.insert(args.end(), {"--key-file", key_file});
  c.cluster = std::make_unique<rt::LocalCluster>(self, args);
  if (auto s = c.cluster->start_and_wait(2, *c.head, rt::deadline_in(20s)); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    std::exit(1);
  }
  for (const auto& m : c.head->members()) {
    if (m.role != rt::NodeRole::kHead) c.workers.push_back(m.id);
  }
  return c;
}

// Seconds per 64 MiB blob from an actor on worker 0 to one on worker 1, `reps` times.
std::vector<double> transfer_64mib(rt::ActorContext& client, const std::vector<rt::NodeId>& workers, int reps) {
  auto source = must(client.spawn("BenchSource", workers[0], {}, rt::deadline_in(5s)).get(), "spawn source");
  auto sink = must(client.spawn("BenchSink", workers[1], {}, rt::deadline_in(5s)).get(), "spawn sink");
  return must(rt::unpack_one<std::vector<double>>(must(
                  client.call(source, "push", rt::pack_args(sink, std::uint64_t{64} << 20, reps), rt::deadline_in(300s)).get(),
                  "push")),
              "push result");
}

int curve_cost(int rounds) {
  print_machine();
  const rt::ClusterKey key = must(rt::ClusterKey::generate(), "key");
  const std::string key_file = "/tmp/runtime_bench_" + std::to_string(getpid()) + ".key";
  if (!key.write_file(key_file).ok()) return 1;
  constexpr int kReps = 10;
  std::vector<double> plain, curve;
  for (int r = 0; r < rounds; ++r) {
    for (const bool secured : {false, true}) {
      BenchCluster c = start_bench_cluster(secured ? std::optional<rt::ClusterKey>(key) : std::nullopt, key_file);
      const double med = percentile(transfer_64mib(c.head->client(), c.workers, kReps), 0.5);
      (secured ? curve : plain).push_back(static_cast<double>(64ull << 20) / med / 1e9);
      std::printf("round %d, %s: 64 MiB actor -> actor, median of %d = %.3f GB/s\n", r + 1, secured ? "CURVE" : "plain TCP",
                  kReps, (secured ? curve : plain).back());
      c.cluster->stop();
    }
  }
  std::remove(key_file.c_str());
  std::printf("64 MiB transfer, median over %d interleaved rounds: plain TCP %.3f GB/s, CURVE %.3f GB/s (%.1fx slower)\n",
              rounds, percentile(plain, 0.5), percentile(curve, 0.5), percentile(plain, 0.5) / percentile(curve, 0.5));
  return 0;
}

int main(int argc, char** argv) {
  register_types();
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::printf("runtime_bench: small-call round trip against a bare ZeroMQ ping-pong, async call rate against\n"
                "raw ZeroMQ, 64 MiB actor-to-actor transfer; prints the figures and the machine.\n"
                "  runtime_bench                     the whole bench (pin with: taskset -c 0,1 runtime_bench)\n"
                "  runtime_bench --curve-cost [N]    64 MiB transfer, plain TCP vs CURVE, N interleaved rounds\n");
    return 0;
  }
  if (argc > 1 && std::string(argv[1]) == "--curve-cost") return curve_cost(argc > 2 ? std::atoi(argv[2]) : 3);
  if (argc > 1) {  // launched as a worker node
    auto opts = rt::parse_node_args(argc, argv);
    if (!opts.ok()) {
      std::fprintf(stderr, "%s\n", opts.status().to_string().c_str());
      return 2;
    }
    return rt::run_node_main(*opts);
  }
  print_machine();
  BenchCluster bench = start_bench_cluster(std::nullopt, "");
  const std::vector<rt::NodeId>& workers = bench.workers;
  rt::LocalCluster& cluster = *bench.cluster;
  auto& head = bench.head;
  auto& client = head->client();

  // 1. Round trip, 64-byte request and reply (a 64-byte msgpack bin in args), client -> remote actor,
  // interleaved in blocks with a bare ZeroMQ ping-pong of 64 bytes to a thread in the same worker process.
  auto echo = must(client.spawn("BenchEcho", workers[0], {}, rt::deadline_in(5s)).get(), "spawn echo");
  auto zecho = must(client.spawn("BenchZmqEcho", workers[0], {}, rt::deadline_in(5s)).get(), "spawn zmq echo");
  const std::string zmq_ep = must(rt::unpack_one<std::string>(must(client.call(zecho, "start", {}, rt::deadline_in(5s)).get(), "start")), "endpoint");
  zmq::context_t zctx(1);
  zmq::socket_t dealer(zctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::sndhwm, 0);
  dealer.set(zmq::sockopt::rcvhwm, 0);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(zmq_ep);
  const rt::Payload small = rt::pack_args(std::string(61, 'x'));  // 61 chars + headers = 64 bytes
  const std::string ping(small.args.size(), 'p');
  auto zmq_round_trip = [&] {
    dealer.send(zmq::buffer(ping));
    zmq::message_t back;
    if (!dealer.recv(back) || back.size() != ping.size()) std::exit(1);
  };
  std::vector<double> us, zmq_us;
  constexpr int kRoundTrips = 20000;
  constexpr int kBlock = 1000;
  constexpr int kWarmup = 2000;
  for (int i = 0; i < kWarmup; ++i) {
    must(client.call(echo, "echo", small, rt::deadline_in(5s)).get(), "echo");
    zmq_round_trip();
  }
  for (int block = 0; block < kRoundTrips / kBlock; ++block) {
    for (int i = 0; i < kBlock; ++i) {
      const auto t0 = rt::Clock::now();
      must(client.call(echo, "echo", small, rt::deadline_in(5s)).get(), "echo");
      us.push_back(std::chrono::duration<double, std::micro>(rt::Clock::now() - t0).count());
    }
    for (int i = 0; i < kBlock; ++i) {
      const auto t0 = rt::Clock::now();
      zmq_round_trip();
      zmq_us.push_back(std::chrono::duration<double, std::micro>(rt::Clock::now() - t0).count());
    }
  }
  std::printf("round trip, %zu-byte args each way, %d calls: median %.1f us, p99 %.1f us (the target is the ratio below)\n",
              small.args.size(), kRoundTrips, percentile(us, 0.5), percentile(us, 0.99));
  std::printf("bare ZeroMQ DEALER/ROUTER ping-pong, %zu bytes, same processes, interleaved in blocks of %d: "
              "median %.1f us, p99 %.1f us\n",
              ping.size(), kBlock, percentile(zmq_us, 0.5), percentile(zmq_us, 0.99));
  std::printf("round trip ratio, actor call / bare ZeroMQ (medians): %.2fx (target <= 1.3x)\n",
              percentile(us, 0.5) / percentile(zmq_us, 0.5));

  // 2. Async calls per second: one caller keeps up to kWindow calls in flight to one actor; the same with
  // raw messages over the bare DEALER/ROUTER pair. Interleaved runs.
  constexpr int kAsyncCalls = 200000;
  constexpr int kWindow = 10000;
  std::vector<double> rates, zmq_rates;
  for (int run = 0; run < 3; ++run) {
    auto t0 = rt::Clock::now();
    std::vector<rt::Future<rt::Payload>> inflight;
    inflight.reserve(kWindow);
    for (int done = 0; done < kAsyncCalls; done += kWindow) {
      inflight.clear();
      for (int i = 0; i < kWindow; ++i) inflight.push_back(client.call(echo, "echo", small, rt::deadline_in(60s)));
      for (auto& f : inflight) must(f.get(), "async echo");
    }
    rates.push_back(kAsyncCalls / std::chrono::duration<double>(rt::Clock::now() - t0).count());
    t0 = rt::Clock::now();
    for (int done = 0; done < kAsyncCalls; done += kWindow) {
      for (int i = 0; i < kWindow; ++i) dealer.send(zmq::buffer(ping));
      for (int i = 0; i < kWindow; ++i) {
        zmq::message_t back;
        if (!dealer.recv(back)) std::exit(1);
      }
    }
    zmq_rates.push_back(kAsyncCalls / std::chrono::duration<double>(rt::Clock::now() - t0).count());
  }
  std::printf("async calls, one caller, one actor, %d calls x 3 runs (window %d): median %.0f calls/s "
              "(target >= 500000)\n",
              kAsyncCalls, kWindow, percentile(rates, 0.5));
  std::printf("raw ZeroMQ messages through the same echo, same window, interleaved: median %.0f msgs/s\n",
              percentile(zmq_rates, 0.5));
  dealer.close();

  // 3. 64 MiB actor (worker 0) -> actor (worker 1).
  auto source = must(client.spawn("BenchSource", workers[0], {}, rt::deadline_in(5s)).get(), "spawn source");
  auto sink = must(client.spawn("BenchSink", workers[1], {}, rt::deadline_in(5s)).get(), "spawn sink");
  const std::uint64_t kBytes = 64ull << 20;
  const int kReps = 20;
  auto copies_before = must(rt::unpack_one<std::uint64_t>(must(client.call(sink, "copies", {}, rt::deadline_in(5s)).get(), "copies")), "copies");
  auto secs = must(rt::unpack_one<std::vector<double>>(
                       must(client.call(source, "push", rt::pack_args(sink, kBytes, kReps), rt::deadline_in(120s)).get(),
                            "push")),
                   "push result");
  auto copies_after = must(rt::unpack_one<std::uint64_t>(must(client.call(sink, "copies", {}, rt::deadline_in(5s)).get(), "copies")), "copies");
  const double med = percentile(secs, 0.5);
  std::printf("64 MiB blob actor -> actor across processes, %d reps: median %.2f ms = %.2f GB/s, best %.2f GB/s "
              "(target >= 1 GB/s)\n",
              kReps, med * 1e3, static_cast<double>(kBytes) / med / 1e9,
              static_cast<double>(kBytes) / percentile(secs, 0.0) / 1e9);
  std::printf("  copies in user space: sender 0 (zmq_msg_init_data on the blob), receiver %.2f per message "
              "(aligning copy; %llu over %d messages)\n",
              static_cast<double>(copies_after - copies_before) / kReps,
              static_cast<unsigned long long>(copies_after - copies_before), kReps);
  cluster.stop();
  return 0;
}
