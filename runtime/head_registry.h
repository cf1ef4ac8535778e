// Internal: the head's tables (who is a member, when each was last heard, named actors) and the rule
// that declares a silent member dead. Plain data touched only by the head's I/O thread (not
// @threadsafe); NodeCore turns its answers into messages. Time comes from a TimeSource, so tests
// drive death detection with a ManualClock.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/handle.h"
#include "runtime/time_source.h"
#include "runtime/types.h"

namespace ist::rt {

class HeadRegistry {
 public:
  // `time` must outlive the registry.
  explicit HeadRegistry(const TimeSource& time) : time_(time) {}

  // Adds an alive member (or refreshes it), heard now; returns false if this id was already declared
  // dead or left (a node that comes back must use a fresh id).
  bool join(const Member& m);
  enum class Heard { kAlive, kUnknown, kGone };
  // Records a heartbeat. kUnknown: never joined this head (e.g. the head restarted since), so the
  // sender should join again; kGone: declared dead or left, so the sender must stop.
  Heard heartbeat(NodeId id);
  // Marks a member gone (left or dead) and forgets its named actors. Returns the member if it was alive.
  std::optional<Member> remove(NodeId id, MemberState why);
  // Declares dead, one at a time, every alive member (except `except`, the head itself) silent for
  // longer than `deadline`: removes it as remove(id, kDead) does, then calls on_dead with its kDead
  // event (members not declared yet are still alive when it runs). A member is declared dead once,
  // and stays dead whatever it sends later.
  void declare_silent_dead(Clock::duration deadline, NodeId except,
                           const std::function<void(const MembershipEvent&)>& on_dead);
  std::vector<Member> alive() const;

  // Names: register fails (false) if taken by a different handle.
  bool register_name(const std::string& name, const ActorHandle& h);
  std::optional<ActorHandle> lookup(const std::string& name) const;

 private:
  struct Entry {
    Member member;
    Clock::time_point last_seen;
  };
  const TimeSource& time_;
  std::unordered_map<NodeId, Entry> members_;
  std::unordered_map<std::string, ActorHandle> names_;
};

}  // namespace ist::rt
