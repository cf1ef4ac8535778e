// A node's joining of its head: the first join (sent again until answered), and its side of losing the
// head: giving it up, serving on without it, joining it again when a head answers at the same address, and
// being told by the head that this node was declared dead. All but join_head run on the I/O thread only.
#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/log.h"
#include "runtime/node_core.h"

namespace ist::rt {

void NodeCore::on_heartbeat_ack_io(const Header& ack) {
  // A leaving node's last heartbeats may be answered after its leave: that is no death.
  if (declared_dead || draining_) return;
  // A head's word that this node is dead holds even after we gave the head up (e.g. an ack that was in
  // flight): every other member has been told so already.
  if (ack.error == ErrorCode::kNodeDead) {
    on_declared_dead_io(ack.error_message);
    return;
  }
  if (head_lost) return;  // an ack from before the loss: the rejoin decides now
  head_watch_.heard();
  if (ack.error == ErrorCode::kNotFound) {  // a head restarted at the same address: join it again
    on_head_lost_io("the head there does not know this node: " + ack.error_message);
  }
}

void NodeCore::on_head_lost_io(const std::string& why) {
  head_watch_.lost();
  if (head_lost.exchange(true)) return;
  log(LogLevel::kError, "lost the head at ", head_endpoint_, " (", why,
      "); serving on, and joining it again when it answers");
  notify_subscribers(MembershipEvent{MembershipChange::kHeadLost, head_member()});
  // Actors on the head, names: nobody else can answer these.
  const auto n =
      calls_.fail(head_id_, Status::node_dead("lost the head at " + head_endpoint_ + " (" + why + ")"));
  if (n > 0) log(LogLevel::kInfo, "failed ", n, " pending request(s) to the head");
}

Status NodeCore::join_head(const Member& self) {
  // A join this node could not even send (its connection refused for now) is tried again too; only the
  // head's answer, or the timeout, decides. A head takes the same id and endpoint again.
  const Deadline give_up = deadline_in(options.join_timeout);
  std::vector<std::shared_ptr<CallState>> attempts;
  for (;;) {
    const Deadline next_try = std::min(give_up, Clock::now() + rejoin_interval());
    attempts.push_back(request(Kind::kJoin, head_endpoint_, 0, 0, options.name, 0, pack_args(self), give_up, 0));
    attempts.back()->wait_until(next_try);
    for (auto it = attempts.begin(); it != attempts.end();) {
      if (!(*it)->ready()) {
        ++it;
        continue;
      }
      const Status s = (*it)->wait().status();
      if (s.ok()) return s;
      if (s.code() != ErrorCode::kIoError) return s.with_context("joining head at " + head_endpoint_);
      it = attempts.erase(it);
    }
    if (Clock::now() >= give_up) {
      return Status::timeout("no reply before the deadline").with_context("joining head at " + head_endpoint_);
    }
    std::this_thread::sleep_until(next_try);  // the pace of retrying a join that could not be sent
  }
}

void NodeCore::rejoin_io() {
  // Heartbeats and joins queued for the lost head would reach a new one in a burst: drop them.
  drop_dealer_io(head_endpoint_);
  const Member self{id, endpoint, options.name, MemberState::kAlive, options.role};
  request(Kind::kJoin, head_endpoint_, 0, 0, options.name, 0, pack_args(self),
          Clock::now() + rejoin_interval(), 0);
}

Status NodeCore::on_joined_io(const Envelope& reply) {
  auto list = unpack_one<std::vector<Member>>(reply.payload);
  if (!list.ok()) return list.status();
  const bool rejoin = head_lost.load();
  const NodeId old_head = head_id_.load();
  const NodeId new_head = reply.header.src_node;
  head_watch_.joined();
  joined_ = true;
  head_id_ = new_head;
  {
    std::lock_guard<std::mutex> lock(members_mu);
    for (const Member& m : *list) {
      // First join: events seen before the reply win. Rejoin: the head's table is newer than ours, and
      // its events to us start only after this reply.
      if (rejoin) {
        members[m.id] = m;
      } else {
        members.emplace(m.id, m);
      }
    }
    members_cv.notify_all();
  }
  if (!rejoin) return Status();
  head_lost = false;
  log(LogLevel::kInfo, "joined the head at ", head_endpoint_, " again (head node ", new_head, ") as node ",
      id);
  notify_subscribers(MembershipEvent{MembershipChange::kHeadRejoined, head_member()});
  if (old_head != 0 && old_head != new_head) {
    // A new head process: the old one is gone, with the actors it spawned and calls to it.
    if (auto m = member(old_head); m && m->state == MemberState::kAlive) {
      apply_membership(MembershipEvent{MembershipChange::kDead, *m});
    }
  }
  return Status();
}

void NodeCore::on_declared_dead_io(const std::string& why) {
  if (declared_dead.exchange(true)) return;
  head_watch_.gone();
  log(LogLevel::kError, "the head declared this node dead (", why,
      "): its actors stop; only a new node can join in its place");
  // Every member was told this node died: its actors' spawners count them lost, callers failed.
  const auto n = stop_all_actors_io("stopped: its node was declared dead");
  if (n > 0) log(LogLevel::kInfo, "stopped ", n, " actor(s)");
  notify_subscribers(MembershipEvent{MembershipChange::kSelfDeclaredDead,
                                     Member{id, endpoint, options.name, MemberState::kDead, options.role}});
}

Member NodeCore::head_member() const {
  const NodeId head = head_id_.load();
  if (auto m = member(head)) return *m;
  return Member{head, head_endpoint_, "head", MemberState::kAlive, NodeRole::kHead};
}

}  // namespace ist::rt
