#include "runtime/head_registry.h"

namespace ist::rt {

bool HeadRegistry::join(const Member& m) {
  auto it = members_.find(m.id);
  if (it != members_.end() && it->second.member.state != MemberState::kAlive) return false;
  Entry e{m, time_.now()};
  e.member.state = MemberState::kAlive;
  members_[m.id] = std::move(e);
  return true;
}

HeadRegistry::Heard HeadRegistry::heartbeat(NodeId id) {
  auto it = members_.find(id);
  if (it == members_.end()) return Heard::kUnknown;
  if (it->second.member.state != MemberState::kAlive) return Heard::kGone;
  it->second.last_seen = time_.now();
  return Heard::kAlive;
}

std::optional<Member> HeadRegistry::remove(NodeId id, MemberState why) {
  auto it = members_.find(id);
  if (it == members_.end() || it->second.member.state != MemberState::kAlive) return std::nullopt;
  it->second.member.state = why;
  for (auto n = names_.begin(); n != names_.end();) {
    n = n->second.node_id == id ? names_.erase(n) : std::next(n);
  }
  return it->second.member;
}

void HeadRegistry::declare_silent_dead(Clock::duration deadline, NodeId except,
                                       const std::function<void(const MembershipEvent&)>& on_dead) {
  const auto now = time_.now();
  std::vector<NodeId> silent;
  for (const auto& [id, e] : members_) {
    const bool alive = e.member.state == MemberState::kAlive;
    if (id != except && alive && now - e.last_seen > deadline) silent.push_back(id);
  }
  for (NodeId id : silent) {
    if (auto m = remove(id, MemberState::kDead)) on_dead(MembershipEvent{MembershipChange::kDead, *m});
  }
}

std::vector<Member> HeadRegistry::alive() const {
  std::vector<Member> out;
  for (const auto& [id, e] : members_) {
    if (e.member.state == MemberState::kAlive) out.push_back(e.member);
  }
  return out;
}

bool HeadRegistry::register_name(const std::string& name, const ActorHandle& h) {
  auto [it, inserted] = names_.emplace(name, h);
  return inserted || it->second == h;
}

std::optional<ActorHandle> HeadRegistry::lookup(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ist::rt
