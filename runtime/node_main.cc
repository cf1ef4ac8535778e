#include "runtime/node_main.h"

#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "runtime/log.h"

namespace ist::rt {

namespace {

Result<long> parse_number(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    long n = std::stol(v, &used);
    if (used != v.size() || n <= 0) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    return Status::invalid_argument(flag + " needs a positive number, got '" + v + "'");
  }
}

}  // namespace

Result<NodeOptions> parse_node_args(int argc, char** argv) {
  NodeOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Status::invalid_argument(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--head") {
      o.head_endpoint = v;
    } else if (flag == "--bind") {
      o.bind = v;
    } else if (flag == "--key-file") {
      auto key = ClusterKey::read_file(v);
      if (!key.ok()) return key.status().with_context("--key-file");
      o.cluster_key = std::move(key).value();
    } else if (flag == "--name") {
      o.name = v;
    } else if (flag == "--role") {
      if (v == "head") o.role = NodeRole::kHead;
      else if (v == "worker") o.role = NodeRole::kWorker;
      else if (v == "driver")
        o.role = NodeRole::kDriver;
      else if (v == "probe")
        o.role = NodeRole::kProbe;
      else
        return Status::invalid_argument("--role must be head, worker, driver or probe, got '" + v + "'");
    } else if (flag == "--heartbeat-ms" || flag == "--deadline-ms" || flag == "--head-lost-ms" ||
               flag == "--max-message-bytes") {
      IST_ASSIGN_OR_RETURN(long n, parse_number(flag, v));
      if (flag == "--heartbeat-ms") o.heartbeat_interval = std::chrono::milliseconds(n);
      if (flag == "--deadline-ms") o.death_deadline = std::chrono::milliseconds(n);
      if (flag == "--head-lost-ms") o.head_lost_after = std::chrono::milliseconds(n);
      if (flag == "--max-message-bytes") o.max_message_bytes = static_cast<std::size_t>(n);
    } else {
      return Status::invalid_argument("unknown flag " + flag);
    }
  }
  if (o.role != NodeRole::kHead && o.head_endpoint.empty()) {
    return Status::invalid_argument(std::string("--head ENDPOINT is required for a ") + role_name(o.role) +
                                    " node");
  }
  return o;
}

// A node's large buffers (a trainer's subnet, its momentum, received weight frames) are allocated and
// freed every round. glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB), so
// after the first round such blocks come from the heap, and what a round frees there stays resident
// beside the next round's: a trainer of 784-8192-8192-10 at S = 4 peaked at 145 MiB with it and at
// 113-130 MiB with the threshold fixed at 8 MiB (bench/results/memory_by_width.txt). Blocks above 8 MiB
// then cost fresh pages each round (about 2 ms per 8 MiB), small beside the round that uses them.
void keep_large_buffers_off_the_heap() {
  constexpr int kMmapThresholdBytes = 8 << 20;
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
}

int run_node_main(NodeOptions options) {
  keep_large_buffers_off_the_heap();
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread the node starts

  auto started = Node::start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "node failed to start: %s\n", started.status().to_string().c_str());
    return 2;
  }
  std::unique_ptr<Node> node = std::move(started).value();
  log(LogLevel::kInfo, "node ", node->id(), " serving at ", node->endpoint());
  const timespec tick{0, 100 * 1000 * 1000};
  for (;;) {
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    // A lost head is waited out (the node serves on and rejoins it); a head that declared this node
    // dead has told everyone so: a new node, with a fresh id, takes its place.
    if (!node->declared_dead()) continue;
    const auto old_id = node->id();
    node.reset();
    started = Node::start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "node %llu was declared dead and could not join again: %s\n",
                   static_cast<unsigned long long>(old_id), started.status().to_string().c_str());
      return 3;
    }
    node = std::move(started).value();
    log(LogLevel::kInfo, "node ", old_id, " was declared dead; joined again as node ", node->id(), " at ",
        node->endpoint());
  }
  return 0;
}

}  // namespace ist::rt
