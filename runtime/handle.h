// ActorHandle and membership values: small, copyable, serializable (they travel inside payloads, which
// is how an actor learns about its peers).
#pragma once

#include <cstdint>
#include <string>

#include <msgpack.hpp>

#include "runtime/types.h"

namespace ist::rt {

// Addresses one actor anywhere in the cluster. Valid as long as the actor lives; calling a dead one
// fails with kActorDied (actor killed) or kNodeDead (its node died or left).
struct ActorHandle {
  NodeId node_id = 0;
  std::string endpoint;  // the node's ROUTER endpoint, e.g. "tcp://127.0.0.1:40123"
  ActorId actor_id = 0;

  bool valid() const { return node_id != 0 && !endpoint.empty(); }
  friend bool operator==(const ActorHandle&, const ActorHandle&) = default;
  MSGPACK_DEFINE(node_id, endpoint, actor_id)
};

enum class MemberState : std::uint8_t { kAlive = 0, kLeft = 1, kDead = 2 };

// What a node is for. A node announces its role when it joins and the head records it; the role, not
// the name, says which members host work. Numbers travel on the wire: append only.
//   head:   holds the member table (a driver started without a cluster is the head too).
//   worker: hosts actors spawned on it, e.g. subnet trainers.
//   driver: a node that runs an experiment and spawns on workers; it hosts no trainers.
//   probe:  a tool node that joins only to watch membership; hosts nothing. (`ist status` and `ist start`
//           need no node at all: they read the table with query_members.)
enum class NodeRole : std::uint8_t { kHead = 0, kWorker = 1, kDriver = 2, kProbe = 3 };
inline constexpr std::uint8_t kMaxNodeRole = 3;

// "head", "worker", "driver", "probe" (the spelling `--role` takes), or "unknown".
inline const char* role_name(NodeRole r) {
  switch (r) {
    case NodeRole::kHead: return "head";
    case NodeRole::kWorker: return "worker";
    case NodeRole::kDriver: return "driver";
    case NodeRole::kProbe: return "probe";
  }
  return "unknown";
}

struct Member {
  NodeId id = 0;
  std::string endpoint;
  std::string name;  // for logs only, e.g. "worker-3"
  MemberState state = MemberState::kAlive;
  NodeRole role = NodeRole::kWorker;  // as announced when it joined (validated by the head)
  MSGPACK_DEFINE(id, endpoint, name, state, role)
};

// kJoined, kLeft, kDead: what the head announces about `member`. The others are this node's own standing,
// told only to its own subscribers (never sent): kHeadLost (member: the head it lost), kHeadRejoined
// (member: the head it joined again), kSelfDeclaredDead (member: this node; the head declared it dead, its
// actors and the actors it spawned elsewhere are stopped).
enum class MembershipChange : std::uint8_t {
  kJoined = 0,
  kLeft = 1,
  kDead = 2,
  kHeadLost = 3,
  kHeadRejoined = 4,
  kSelfDeclaredDead = 5,
};

struct MembershipEvent {
  MembershipChange change = MembershipChange::kJoined;
  Member member;
  MSGPACK_DEFINE(change, member)
};

}  // namespace ist::rt

MSGPACK_ADD_ENUM(ist::rt::MemberState);
MSGPACK_ADD_ENUM(ist::rt::NodeRole);
MSGPACK_ADD_ENUM(ist::rt::MembershipChange);
