// Authorisation beyond the handshake: what an admitted peer may make this node do. The cluster key (or
// an --insecure network) lets a peer talk; these rules bound what it can make happen:
//   - a node speaks only for its own id: the connection a message came on must carry the routing id of
//     the node id in its header (routing_id_of; every node's outbound connections announce it, and a
//     ROUTER refuses a second live connection with a routing id it already has);
//   - only the head announces membership and answers heartbeats, and the head takes neither; a
//     "join again" answer from another head counts only once this node's head has gone quiet (a head
//     restarted at the same address answers so);
//   - leaves and names come only from members; actors take requests only from members (a node the head
//     announced and that has not left or died); requests from a node not announced yet are held, within
//     fixed bounds, until its announcement arrives (StrangerQueue), and otherwise dropped; a request
//     from a member that left or was declared dead is answered kNodeDead (so a paused node learns it);
//   - only the node that spawned an actor may kill it, and only it may call an actor whose type says so
//     (ActorType::spawner_only; actor_cell.cc checks both).
// Refusals are dropped without an answer (no socket is opened for them) and logged once per kind and
// sender. Runs on the I/O thread only.
#include "runtime/log.h"
#include "runtime/node_core.h"

namespace ist::rt {

void NodeCore::refuse_io(const Header& h, const std::string& why) {
  ++refused_messages_;
  if (refusals_logged_.size() < kMaxRefusalsLogged &&
      refusals_logged_.insert({static_cast<std::uint8_t>(h.kind), h.src_node}).second) {
    log(LogLevel::kWarn, options.name.empty() ? "node" : options.name, ": refused ", kind_name(h.kind),
        " from node ", h.src_node, ": ", why, " (logged once per kind and sender)");
  }
}

bool NodeCore::is_alive_member(NodeId node) const {
  return member_state(node) == MemberState::kAlive;
}

NodeCore::Admission NodeCore::admit_io(const zmq::message_t& from, const Header& h) {
  const auto drop = [&](const std::string& why) {
    refuse_io(h, why);
    return Admission::kDrop;
  };
  if (from.to_string_view() != routing_id_of(h.src_node)) {
    return drop("its connection does not belong to node " + std::to_string(h.src_node));
  }
  const bool head = options.role == NodeRole::kHead;
  switch (h.kind) {
    case Kind::kReply:  // on_reply takes it only from the node the request went to
    case Kind::kJoin:   // anyone with the key may join; head_on_join checks what it says
    case Kind::kHeartbeat:  // a stranger is told to join (a restarted head does not know its nodes)
    case Kind::kQueryMembers:
      return Admission::kAdmit;
    case Kind::kMembership:
      if (head) return drop("only the head announces membership");
      if (h.src_node != head_id_.load()) return drop("node " + std::to_string(h.src_node) + " is not this node's head");
      return Admission::kAdmit;
    case Kind::kHeartbeatAck:
      if (head) return drop("a head takes no heartbeat acks");
      if (h.src_node == head_id_.load()) return Admission::kAdmit;
      // A head restarted at head_endpoint (another id) tells us to join again; believed only once our
      // own head has missed a few acks, so nobody can make a node with a live head drop it.
      if (h.error == ErrorCode::kNotFound && head_watch_.silent_for(options.heartbeat_interval * 3)) {
        return Admission::kAdmit;
      }
      return drop("node " + std::to_string(h.src_node) + " is not this node's head");
    case Kind::kLeave:
    case Kind::kRegisterName:
    case Kind::kLookupName:
      if (!is_alive_member(h.src_node)) return drop("node " + std::to_string(h.src_node) + " is no member");
      return Admission::kAdmit;
    case Kind::kCall:
    case Kind::kTell:
    case Kind::kSpawn:
    case Kind::kKill:
    case Kind::kTagged: {
      if (h.src_node == id) return Admission::kAdmit;
      const auto state = member_state(h.src_node);
      if (!state) return Admission::kHold;  // maybe joined, and its announcement is still on its way
      // A node that left gracefully said what it had to say before its leave (e.g. a trainer handing its
      // model shard over): over its own connection that may arrive after the head's news of the leave.
      if (*state == MemberState::kLeft && h.kind == Kind::kTagged) return Admission::kAdmit;
      if (*state != MemberState::kAlive) {
        // A member declared dead while it was paused learns it from this answer at once (it goes to the
        // address it joined from, one socket at most, counted as a non-member's).
        const Status gone = Status::node_dead("node " + std::to_string(h.src_node) + " is no member any more (" +
                                              (*state == MemberState::kLeft ? "it left" : "declared dead") + ")");
        if (h.kind == Kind::kCall || h.kind == Kind::kSpawn || h.kind == Kind::kKill) reply_to(h, gone);
        return drop(gone.message());
      }
      return Admission::kAdmit;
    }
  }
  return drop("unknown kind");
}

void NodeCore::hold_io(Envelope env) {
  const Header h = env.header;
  if (!strangers_.hold(std::move(env))) refuse_io(h, "not a member, and too much is held for non-members already");
}

void NodeCore::release_held_io(NodeId node) {
  for (Envelope& env : strangers_.release(node)) on_envelope(std::move(env));
}

}  // namespace ist::rt
