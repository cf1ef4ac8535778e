// Node: one process's membership in a cluster. A node owns one ROUTER socket (inbound), an I/O thread
// (the only thread that touches ZeroMQ sockets), and the actors spawned on it.
//   head:   holds the member table, named actors, watches heartbeats, announces joined/left/dead.
//   worker, driver, probe: join a head by address, heartbeat, can host actors. The role (handle.h) is
//   announced on join and recorded in the member table: it says what the node is for, e.g. only workers
//   get trainers. Tools that only read the table use query_members (member_query.h) and never join.
// Every node, head included, is a member and can host actors; Node::client() is the non-actor caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/actor.h"
#include "runtime/cluster_key.h"
#include "runtime/handle.h"
#include "runtime/membership.h"
#include "runtime/types.h"

namespace ist::rt {

class NodeCore;

struct NodeOptions {
  NodeRole role = NodeRole::kWorker;
  std::string name;                          // for logs, e.g. "worker-2"
  std::string bind = "tcp://127.0.0.1:*";    // '*' port: the OS chooses; endpoint() tells which
  std::string head_endpoint;                 // REQUIRES: set unless role == kHead
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds death_deadline{1000};   // head declares a silent node dead after this
  std::chrono::milliseconds head_lost_after{5000};  // then a node gives up on a silent head and rejoins
  std::chrono::milliseconds join_timeout{10000};
  // On stop, a worker first lets running handlers finish and send their replies (up to this long), then
  // tells the head it leaves: a graceful leave finishes the work in hand (e.g. a training round).
  std::chrono::milliseconds drain_timeout{30000};
  std::size_t max_message_bytes = std::size_t{1} << 30;  // larger inbound messages are rejected
  // The cluster's credential: with it, every socket of this node speaks CURVE (encrypted, and only
  // holders of the key get past the handshake); without it, plain TCP (a trusted network, or tests that
  // forge messages). The `ist` program always sets it unless told --insecure.
  std::optional<ClusterKey> cluster_key;
};

class Node {
 public:
  // Binds, starts the I/O thread and (unless head) joins the head, waiting up to join_timeout; the join is
  // sent again every rejoin interval until one is answered (a head that died before its reply left, or one
  // started again at the same address, answers a later one).
  // Errors: kInvalidArgument (options), kIoError (bind), kTimeout (no join reply), or the head's refusal.
  static Result<std::unique_ptr<Node>> start(NodeOptions options);
  // Tells the head it leaves, stops the I/O thread, fails pending requests with kCancelled, stops every
  // actor and joins their threads (waits for running handlers to return).
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  NodeId id() const;
  const std::string& endpoint() const;  // the bound ROUTER endpoint, e.g. tcp://127.0.0.1:40123
  const NodeOptions& options() const;

  // The calling context of non-actor code (actor id 0): spawn, call, tell, send, receive, names.
  ActorContext& client();

  // The member table as this node knows it (a snapshot). @threadsafe
  std::vector<Member> members() const;
  // Waits until at least `alive` members are alive. Errors: kTimeout. @threadsafe
  Status wait_for_members(std::size_t alive, Deadline deadline);
  // A queue that receives every membership event from now on, and this node's own standing: head lost,
  // head joined again, declared dead (MembershipChange). @threadsafe
  std::shared_ptr<MembershipQueue> subscribe();
  // True while the head is unreachable: silent for head_lost_after, or restarted and not knowing this
  // node yet. The node serves on (actors, peer-to-peer calls; calls to a peer whose process is gone
  // fail within about a second) and rejoins the head at head_endpoint, under its own id, once one
  // answers there; until then no node can join, and names cannot be registered or looked up. @threadsafe
  bool head_lost() const;
  // True once the head declared this node dead (e.g. it was paused past the death deadline): every
  // other member has forgotten it and stopped the actors it spawned, so it stopped the actors it hosts
  // (kActorDied) and sends no more heartbeats. It never rejoins under this id: the owner should drop it
  // and start a new Node (a new member), as run_node_main does. @threadsafe
  bool declared_dead() const;
  // Number of live actors hosted here. @threadsafe
  std::size_t actor_count() const;

 private:
  explicit Node(std::unique_ptr<NodeCore> core);
  std::unique_ptr<NodeCore> core_;
};

}  // namespace ist::rt
