// Internal: the head's tables (who is a member, when each was last heard, named actors). Plain data
// touched only by the head's I/O thread; NodeCore turns its answers into messages.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/handle.h"
#include "runtime/types.h"

namespace ist::rt {

class HeadRegistry {
 public:
  // Adds an alive member (or refreshes it); returns false if this id was already declared dead or
  // left (a node that comes back must use a fresh id).
  bool join(const Member& m, Clock::time_point now);
  enum class Heard { kAlive, kUnknown, kGone };
  // Records a heartbeat. kUnknown: never joined (e.g. a heartbeat overtook its join); kGone: declared
  // dead or left, so the sender must stop.
  Heard heartbeat(NodeId id, Clock::time_point now);
  // Marks a member gone (left or dead) and forgets its named actors. Returns the member if it was alive.
  std::optional<Member> remove(NodeId id, MemberState why);
  // Alive members (except `except`) silent for longer than `deadline`.
  std::vector<NodeId> overdue(Clock::time_point now, Clock::duration deadline, NodeId except) const;
  std::vector<Member> alive() const;

  // Names: register fails (false) if taken by a different handle.
  bool register_name(const std::string& name, const ActorHandle& h);
  std::optional<ActorHandle> lookup(const std::string& name) const;

 private:
  struct Entry {
    Member member;
    Clock::time_point last_seen;
  };
  std::unordered_map<NodeId, Entry> members_;
  std::unordered_map<std::string, ActorHandle> names_;
};

}  // namespace ist::rt
