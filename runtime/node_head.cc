// The head's side of the protocol: joins, heartbeats, leaves, death by silence, named actors, and the
// read-only members query.
// Runs on the head's I/O thread only.
#include "runtime/log.h"
#include "runtime/node_core.h"
#include "runtime/utf8.h"

namespace ist::rt {

namespace {
constexpr std::size_t kMaxNameBytes = 256;
}  // namespace

void NodeCore::head_on_join(Envelope& env) {
  auto m = unpack_one<Member>(env.payload);
  if (!m.ok()) {
    reply_to(env.header, m.status());
    return;
  }
  Member member = std::move(m).value();
  member.id = env.header.src_node;
  member.endpoint = env.header.src_endpoint;
  // The role is the joiner's word, recorded as given; only a value we cannot name, or a second head,
  // is refused (a head never joins another).
  if (static_cast<std::uint8_t>(member.role) > kMaxNodeRole || member.role == NodeRole::kHead) {
    reply_to(env.header,
             Status::invalid_argument("a joining node must be a worker, driver or probe, not role " +
                                      std::to_string(static_cast<int>(member.role))));
    return;
  }
  if (!is_valid_utf8(member.name) || member.name.size() > kMaxNameBytes || member.endpoint.empty()) {
    reply_to(env.header, Status::invalid_argument("a joining node needs an endpoint and a UTF-8 name of at most " +
                                                  std::to_string(kMaxNameBytes) + " bytes"));
    return;
  }
  // One endpoint per member, and a member keeps the endpoint it joined with (a rejoin brings the same).
  for (const Member& other : head_.alive()) {
    if ((other.endpoint == member.endpoint) != (other.id == member.id)) {
      reply_to(env.header, Status::invalid_argument(other.id == member.id
                                                        ? "node " + std::to_string(other.id) + " is a member at " + other.endpoint
                                                        : "endpoint " + member.endpoint + " belongs to node " + std::to_string(other.id)));
      return;
    }
  }
  if (!head_.join(member)) {
    reply_to(env.header, Status::node_dead("node id " + std::to_string(member.id) +
                                           " was declared dead; restart with a fresh identity"));
    return;
  }
  log(LogLevel::kInfo, "node ", member.id, " (", member.name, ") joined from ", member.endpoint);
  reply_to(env.header, pack_args(head_.alive()));
  head_announce(MembershipEvent{MembershipChange::kJoined, member});
}

void NodeCore::head_on_heartbeat(Envelope& env) {
  // A member is answered where it joined from; a stranger where it says (it should join again).
  const auto known = member(env.header.src_node);
  Outbound out{known ? known->endpoint : env.header.src_endpoint, Envelope{}};
  Header& h = out.env.header;
  h.kind = Kind::kHeartbeatAck;
  h.src_node = id;
  h.src_endpoint = endpoint;
  h.dst_node = env.header.src_node;
  switch (head_.heartbeat(env.header.src_node)) {
    case HeadRegistry::Heard::kAlive: break;
    case HeadRegistry::Heard::kGone:
      h.error = ErrorCode::kNodeDead;
      h.error_message = "node " + std::to_string(env.header.src_node) + " was declared dead or left";
      break;
    case HeadRegistry::Heard::kUnknown:  // e.g. this head was restarted: the node should join again
      h.error = ErrorCode::kNotFound;
      h.error_message = "node " + std::to_string(env.header.src_node) + " is not a member of this head";
      break;
  }
  if (!out.endpoint.empty()) enqueue(std::move(out));
}

void NodeCore::head_on_leave(Envelope& env) {
  if (auto m = head_.remove(env.header.src_node, MemberState::kLeft)) {
    log(LogLevel::kInfo, "node ", m->id, " (", m->name, ") left");
    head_announce(MembershipEvent{MembershipChange::kLeft, *m});
  }
}

void NodeCore::head_on_query(const zmq::message_t& from, const Header& req) {
  if (options.role != NodeRole::kHead) {
    answer_on_connection_io(from, req, Status::invalid_argument("node at " + endpoint + " is not the head"));
    return;
  }
  answer_on_connection_io(from, req, pack_args(head_.alive()));
}

void NodeCore::head_check_deadlines() {
  head_.declare_silent_dead(options.death_deadline, id, [this](const MembershipEvent& e) {
    log(LogLevel::kWarn, "node ", e.member.id, " (", e.member.name, ") missed its heartbeat deadline: dead");
    head_announce(e);
  });
}

void NodeCore::head_announce(const MembershipEvent& e) {
  Payload p = pack_args(e);
  for (const Member& m : head_.alive()) {
    if (m.id != id) post(Kind::kMembership, m.endpoint, m.id, 0, "", 0, p, 0);
  }
  apply_membership(e);
}

void NodeCore::head_on_names(Envelope& env) {
  if (env.header.kind == Kind::kRegisterName) {
    auto args = unpack_args<std::string, ActorHandle>(env.payload);
    if (!args.ok()) {
      reply_to(env.header, args.status());
      return;
    }
    auto& [name, handle] = *args;
    if (!head_.register_name(name, handle)) {
      reply_to(env.header, Status::invalid_argument("name '" + name + "' is taken"));
      return;
    }
    reply_to(env.header, Payload());
    return;
  }
  auto name = unpack_one<std::string>(env.payload);
  if (!name.ok()) {
    reply_to(env.header, name.status());
    return;
  }
  auto handle = head_.lookup(*name);
  if (!handle) {
    reply_to(env.header, Status::not_found("no actor named '" + *name + "'"));
    return;
  }
  reply_to(env.header, pack_args(*handle));
}

}  // namespace ist::rt
