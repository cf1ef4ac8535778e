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

struct Member {
  NodeId id = 0;
  std::string endpoint;
  std::string name;  // for logs only, e.g. "worker-3"
  MemberState state = MemberState::kAlive;
  bool is_head = false;
  MSGPACK_DEFINE(id, endpoint, name, state, is_head)
};

enum class MembershipChange : std::uint8_t { kJoined = 0, kLeft = 1, kDead = 2 };

struct MembershipEvent {
  MembershipChange change = MembershipChange::kJoined;
  Member member;
  MSGPACK_DEFINE(change, member)
};

}  // namespace ist::rt

MSGPACK_ADD_ENUM(ist::rt::MemberState);
MSGPACK_ADD_ENUM(ist::rt::MembershipChange);
