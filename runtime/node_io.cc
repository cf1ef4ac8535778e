// The node's I/O thread: it moves outbound work from the queue to DEALER sockets (one per peer
// endpoint), reads the ROUTER, validates and dispatches inbound messages, sends heartbeats and, on the
// head, runs membership. The sockets are touched only under sockets_mu_: by this thread, which holds it
// except while it waits in poll, and by a caller or actor thread sending its own message then
// (try_send_now), when a connection is open and nothing is queued before it.
// One job despite its length: every function here runs on the socket side of that mutex; membership
// decisions, admission checks and the envelope format live in their own files.
#include <unistd.h>

#include <algorithm>
#include <iterator>

#include <zmq_addon.hpp>

#include "runtime/latency_probe.h"
#include "runtime/log.h"
#include "runtime/node_core.h"

namespace ist::rt {

namespace {

constexpr int kMaxInboundBatch = 256;  // then look at the outbound queue and timers again

bool expects_reply(Kind k) {
  return k == Kind::kCall || k == Kind::kSpawn || k == Kind::kKill || k == Kind::kJoin ||
         k == Kind::kRegisterName || k == Kind::kLookupName;
}

}  // namespace

void NodeCore::io_loop() {
  io_thread_id_ = std::this_thread::get_id();
  std::unique_lock<std::mutex> sockets(sockets_mu_);
  zmq::pollitem_t items[3] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                              {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                              {zap_ ? zap_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
  const int polled = zap_ ? 3 : 2;
  const auto tick = std::max<Clock::duration>(options.heartbeat_interval / 2, std::chrono::milliseconds(1));
  next_sweep_ = Clock::now();
  while (!stopping_.load()) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep_ - Clock::now());
    sockets.unlock();  // while it waits, a caller thread may send itself (try_send_now)
    try {
      zmq::poll(items, polled, std::max(wait, std::chrono::milliseconds(0)));
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) log(LogLevel::kError, "poll: ", e.what());
    }
    sockets.lock();
    if (items[1].revents & ZMQ_POLLIN) {
      std::uint64_t n;
      [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
    }
    if (zap_ && (items[2].revents & ZMQ_POLLIN)) zap_->serve_io();  // handshakes wait for this
    drain_outbound();
    if (items[0].revents & ZMQ_POLLIN) receive_io();
    drain_outbound();
    const auto now = Clock::now();
    if (now >= next_sweep_) {
      timers_io();
      next_sweep_ = now + tick;
    }
  }
  drain_outbound();  // e.g. the leave message
  sockets_open_ = false;  // from here on, everything goes through the queue (and is not sent)
  // A leaving node's last replies may still be queued (large tensors on a busy machine): let them out.
  // Not to a head that never accepted us or that we lost, nor to a peer whose connection has been down
  // past the grace, has dropped (its process exited, e.g. a worker of an embedded cluster that was just
  // stopped), or that is down and no longer a member: nothing there will take them, and libzmq would hold
  // this process in zmq_ctx_term for the whole linger waiting for a reconnect.
  watch_peers_io();  // the latest connection events: a peer that exited a moment ago is seen down
  const bool head_unreachable = !joined_ || head_lost || declared_dead;
  const auto gone = links_.down_longer_than(kPeerLostGrace);
  for (auto& [ep, s] : dealers_) {
    const bool peer_gone = std::find(gone.begin(), gone.end(), ep) != gone.end() || links_.dropped(ep) ||
                           (ep != head_endpoint_ && !links_.is_up(ep) && !is_member_endpoint(ep));
    const bool give_up = (ep == head_endpoint_ && head_unreachable) || peer_gone;
    s.close(give_up ? 0 : static_cast<int>(kLeaveGrace.count()));
  }
  dealers_.clear();
  if (handshakes_) handshakes_->close(router_);
  router_.close();
  if (zap_) zap_->close();
}

void NodeCore::drain_outbound() {
  // Local deliveries may enqueue more (e.g. a reply from the head to itself): loop until empty.
  for (int round = 0; round < 64; ++round) {
    std::vector<Outbound> batch;
    {
      std::lock_guard<std::mutex> lock(out_mu_);
      batch.swap(out_);
    }
    if (batch.empty()) return;
    for (Outbound& out : batch) send_io(out);
  }
}

zmq::socket_t* NodeCore::dealer_io(const std::string& to) {
  dealer_last_use_[to] = ++dealer_uses_;
  auto it = dealers_.find(to);
  if (it != dealers_.end()) return &it->second.dealer();
  evict_stranger_socket_io();  // makes room when kMaxStrangerSockets to non-members are open
  auto opened = PeerSocket::open(zctx_, to, "ist-peer-monitor-" + std::to_string(next_monitor_++),
                                 options.cluster_key ? &*options.cluster_key : nullptr, routing_id_of(id),
                                 options.max_message_bytes);
  if (!opened.ok()) {
    dealer_last_use_.erase(to);
    log(LogLevel::kError, opened.status().to_string());
    return nullptr;
  }
  links_.opened(to);
  return &dealers_.emplace(to, std::move(opened).value()).first->second.dealer();
}

bool NodeCore::is_member_endpoint(const std::string& ep) const {
  if (ep == head_endpoint_) return true;
  std::lock_guard<std::mutex> lock(members_mu);
  for (const auto& [nid, m] : members) {
    if (m.endpoint == ep && m.state == MemberState::kAlive) return true;
  }
  return false;
}

void NodeCore::evict_stranger_socket_io() {
  std::size_t strangers = 0;
  const std::string* oldest = nullptr;
  std::uint64_t oldest_use = 0;
  for (const auto& [ep, socket] : dealers_) {
    if (is_member_endpoint(ep)) continue;
    ++strangers;
    const std::uint64_t use = dealer_last_use_[ep];
    if (oldest == nullptr || use < oldest_use) oldest = &ep, oldest_use = use;
  }
  if (strangers < kMaxStrangerSockets || oldest == nullptr) return;
  const std::string victim = *oldest;
  if (!eviction_logged_) {
    eviction_logged_ = true;
    log(LogLevel::kWarn, "closing the connection to ", victim, ": ", strangers, " connections to non-members are open (at most ",
        kMaxStrangerSockets, "); further such closings are not logged");
  }
  calls_.fail_to(victim, Status::node_dead("the connection to " + victim + " was closed: too many non-member connections"));
  drop_dealer_io(victim);
}

void NodeCore::drop_dealer_io(const std::string& to) {
  dealer_last_use_.erase(to);
  auto it = dealers_.find(to);
  if (it == dealers_.end()) return;
  it->second.close(0);
  dealers_.erase(it);
  links_.closed(to);
}

void NodeCore::watch_peers_io() {
  for (auto& [peer_endpoint, peer] : dealers_) {
    const std::string& ep = peer_endpoint;  // clang 14 cannot capture a structured binding (C++20 allows it)
    peer.poll_events([this, &ep](PeerSocket::Event e) {
      if (e == PeerSocket::Event::kUp) links_.up(ep);
      if (e == PeerSocket::Event::kDown) links_.down(ep);
    });
  }
  for (const std::string& ep : links_.down_longer_than(kPeerLostGrace)) {
    if (ep == head_endpoint_) continue;  // the head's liveness is the HeadWatch's to judge
    // A node that left gracefully may still be flushing its last replies: kLeaveGrace decides.
    const bool leaving = std::any_of(departing_.begin(), departing_.end(),
                                     [&ep](const auto& d) { return d.second.second == ep; });
    if (leaving) continue;
    const auto n = calls_.fail_to(ep, Status::node_dead("no connection to " + ep + " for " +
                                                        std::to_string(kPeerLostGrace.count()) +
                                                        " ms: the node there is gone"));
    if (n > 0) log(LogLevel::kWarn, "failed ", n, " pending request(s) to ", ep, ": no connection");
  }
}

void NodeCore::send_io(Outbound& out) {
  if (out.endpoint == endpoint) {  // same node: no socket, no copy
    on_envelope(std::move(out.env));
    return;
  }
  if (out.env.header.kind == Kind::kReply) {
    IST_PROBE(out.env.header.request_id, kReplySendStart);
  } else {
    IST_PROBE(out.env.header.request_id, kSendStart);
  }
  zmq::socket_t* s = dealer_io(out.endpoint);
  const bool sent = s != nullptr && send_frames_io(*s, out.env, out.endpoint);
  if (!sent) {
    Status s_err = Status::io_error("could not send " + std::string(kind_name(out.env.header.kind)) + " to " +
                                    out.endpoint);
    log(LogLevel::kError, s_err.to_string());
    if (out.env.header.request_id != 0 && out.env.header.kind != Kind::kReply) {
      Envelope fake;
      fake.header.kind = Kind::kReply;
      fake.header.src_node = out.env.header.dst_node;  // as if from the node it was for
      fake.header.request_id = out.env.header.request_id;
      fake.header.error = s_err.code();
      fake.header.error_message = s_err.message();
      on_reply(fake);
    }
  }
}

bool NodeCore::send_frames_io(zmq::socket_t& socket, const Envelope& env, const std::string& to) {
  try {
    auto frames = encode_envelope(env);
    if (!zmq::send_multipart(socket, frames, zmq::send_flags::dontwait)) return false;
    if (env.header.kind == Kind::kReply) {
      IST_PROBE(env.header.request_id, kReplySent);
    } else {
      IST_PROBE(env.header.request_id, kSent);
    }
    return true;
  } catch (const zmq::error_t& e) {
    log(LogLevel::kError, "send to ", to, ": ", e.what());
    return false;
  }
}

bool NodeCore::try_send_now(Outbound& out) {
  // The I/O thread holds sockets_mu_ already (and sends what it queues within the same loop turn).
  if (out.endpoint == endpoint || io_thread_id_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
    return false;
  }
  std::unique_lock<std::mutex> sockets(sockets_mu_, std::try_to_lock);
  if (!sockets.owns_lock() || !sockets_open_) return false;
  {
    // Whatever was queued before (maybe by this same thread) goes first: per-sender order holds. The
    // I/O thread takes the queue and sends it while holding sockets_mu_, so nothing taken is unsent.
    std::lock_guard<std::mutex> lock(out_mu_);
    if (!out_.empty()) return false;
  }
  auto it = dealers_.find(out.endpoint);
  if (it == dealers_.end()) return false;  // opening a connection (and evicting) is the I/O thread's
  if (out.env.header.kind == Kind::kReply) {
    IST_PROBE(out.env.header.request_id, kReplySendStart);
  } else {
    IST_PROBE(out.env.header.request_id, kSendStart);
  }
  if (!send_frames_io(it->second.dealer(), out.env, out.endpoint)) return false;  // queued: the I/O thread reports
  dealer_last_use_[out.endpoint] = ++dealer_uses_;
  return true;
}

void NodeCore::receive_io() {
  std::vector<zmq::message_t> frames;  // reused: one allocation per batch, not per message
  for (int i = 0; i < kMaxInboundBatch; ++i) {
    frames.clear();
    try {
      auto n = zmq::recv_multipart(router_, std::back_inserter(frames), zmq::recv_flags::dontwait);
      if (!n) return;
    } catch (const zmq::error_t& e) {
      log(LogLevel::kError, "receive: ", e.what());
      return;
    }
    if (frames.empty()) continue;
    // The ROUTER's routing id: members' replies go by src_endpoint instead; a query is answered on it.
    zmq::message_t from = std::move(frames.front());
    frames.erase(frames.begin());
    on_frames(from, frames);
  }
}

void NodeCore::on_frames(const zmq::message_t& from, std::vector<zmq::message_t>& frames) {
  Decoded d = decode_envelope(frames, options.max_message_bytes);
  if (d.header && d.header->kind == Kind::kReply) {
    IST_PROBE(d.header->request_id, kReplyReceived);
  } else if (d.header) {
    IST_PROBE(d.header->request_id, kReceived);
  }
  const bool query = d.header && d.header->kind == Kind::kQueryMembers;
  if (!d.status.ok()) {
    log(LogLevel::kError, "rejected inbound message: ", d.status.to_string());
    if (query) {
      answer_on_connection_io(from, *d.header, d.status);
    } else if (d.header && expects_reply(d.header->kind) && from.to_string_view() == routing_id_of(d.header->src_node) &&
               is_alive_member(d.header->src_node)) {
      reply_to(*d.header, d.status);  // only a member, on its own connection, is worth a socket
    }
    return;
  }
  if (query) {
    head_on_query(from, *d.header);
    return;
  }
  Envelope env{std::move(*d.header), std::move(d.payload)};
  if (env.header.dst_node != 0 && env.header.dst_node != id) {
    Status s = Status::node_dead("node " + std::to_string(env.header.dst_node) + " is gone; " + endpoint +
                                 " is now node " + std::to_string(id));
    log(LogLevel::kWarn, "message for another node: ", s.message());
    if (expects_reply(env.header.kind) && is_alive_member(env.header.src_node)) reply_to(env.header, s);
    return;
  }
  switch (admit_io(from, env.header)) {
    case Admission::kAdmit: on_envelope(std::move(env)); return;
    case Admission::kHold: hold_io(std::move(env)); return;
    case Admission::kDrop: return;
  }
}

void NodeCore::answer_on_connection_io(const zmq::message_t& from, const Header& req,
                                       Result<Payload> result) {
  const Envelope reply = reply_envelope(req, std::move(result));
  try {
    std::vector<zmq::message_t> frames = encode_envelope(reply);
    frames.insert(frames.begin(), zmq::message_t(from.data(), from.size()));
    // dontwait: a ROUTER drops a message for a connection that is gone or full, and never blocks.
    zmq::send_multipart(router_, frames, zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    log(LogLevel::kError, "answering ", kind_name(req.kind), ": ", e.what());
  }
}

void NodeCore::on_envelope(Envelope env) {
  const Kind k = env.header.kind;
  switch (k) {
    case Kind::kCall:
    case Kind::kTell: deliver_io(env); return;
    case Kind::kSpawn: spawn_io(env); return;
    case Kind::kKill: kill_io(env); return;
    case Kind::kTagged: deliver_tagged(env); return;
    case Kind::kReply: on_reply(env); return;
    case Kind::kHeartbeatAck: on_heartbeat_ack_io(env.header); return;
    case Kind::kMembership: {
      auto e = unpack_one<MembershipEvent>(env.payload);
      if (!e.ok()) {
        log(LogLevel::kError, "bad membership event: ", e.status().to_string());
        return;
      }
      apply_membership(*e);
      return;
    }
    case Kind::kQueryMembers:  // answered in on_frames, where its connection is known
      log(LogLevel::kError, "members query without a connection to answer on");
      return;
    case Kind::kJoin:
    case Kind::kHeartbeat:
    case Kind::kLeave:
    case Kind::kRegisterName:
    case Kind::kLookupName:
      if (options.role != NodeRole::kHead) {
        log(LogLevel::kError, kind_name(k), " sent to a node that is not the head");
        if (expects_reply(k)) reply_to(env.header, Status::invalid_argument("this node is not the head"));
        return;
      }
      if (k == Kind::kJoin) head_on_join(env);
      if (k == Kind::kHeartbeat) head_on_heartbeat(env);
      if (k == Kind::kLeave) head_on_leave(env);
      if (k == Kind::kRegisterName || k == Kind::kLookupName) head_on_names(env);
      return;
  }
}

void NodeCore::on_reply(Envelope& env) {
  // Only the node the request went to answers it (request ids are random, so they are not guessed).
  auto taken = calls_.take_from(env.header.request_id, env.header.src_node);
  if (!taken) return;  // timed out, failed already (e.g. node declared dead), or not from its node
  PendingCalls::Call& p = *taken;
  Status s = env.header.status();
  if (p.kind == Kind::kJoin && s.ok()) {
    if (Status joined = on_joined_io(env); !joined.ok()) {
      p.state->complete(joined);
      return;
    }
  }
  if (p.kind == Kind::kJoin && s.code() == ErrorCode::kNodeDead && head_lost) {
    on_declared_dead_io("the head refused the rejoin: " + s.message());
  }
  if (s.ok()) {
    p.state->complete(std::move(env.payload));
  } else {
    p.state->complete(std::move(s));
  }
  IST_PROBE(env.header.request_id, kCompleted);
}

std::vector<std::shared_ptr<MembershipQueue>> NodeCore::live_subscribers_locked() {
  std::vector<std::shared_ptr<MembershipQueue>> subs;
  for (auto it = subscribers.begin(); it != subscribers.end();) {
    if (auto q = it->lock()) {
      subs.push_back(std::move(q));
      ++it;
    } else {
      it = subscribers.erase(it);
    }
  }
  return subs;
}

void NodeCore::notify_subscribers(const MembershipEvent& e) {
  std::vector<std::shared_ptr<MembershipQueue>> subs;
  {
    std::lock_guard<std::mutex> lock(members_mu);
    subs = live_subscribers_locked();
  }
  for (auto& q : subs) q->push(e);
}

void NodeCore::apply_membership(const MembershipEvent& e) {
  std::vector<std::shared_ptr<MembershipQueue>> subs;
  {
    // The table and the subscriber list under one lock: who subscribes after seeing the change in the
    // table is not told it again.
    std::lock_guard<std::mutex> lock(members_mu);
    Member m = e.member;
    m.state = e.change == MembershipChange::kJoined ? MemberState::kAlive
              : e.change == MembershipChange::kLeft ? MemberState::kLeft
                                                    : MemberState::kDead;
    members[m.id] = m;
    members_cv.notify_all();
    subs = live_subscribers_locked();
  }
  for (auto& q : subs) q->push(e);
  if (e.change == MembershipChange::kJoined) release_held_io(e.member.id);
  if (e.change != MembershipChange::kJoined && e.member.id != id) {
    // An actor lives as long as the node that spawned it: a driver's trainers end with its run, however
    // the run ends (normal end, error, kill -9 of the driver).
    if (const std::size_t n = stop_actors_owned_by_io(e.member.id); n > 0) {
      log(LogLevel::kInfo, "stopped ", n, " actor(s) spawned by node ", e.member.id, ", which ",
          e.change == MembershipChange::kLeft ? "left" : "died");
    }
  }
  if (e.change == MembershipChange::kLeft && e.member.id != id) {
    departing_[e.member.id] = {Clock::now() + kLeaveGrace, e.member.endpoint};
  } else if (e.change == MembershipChange::kDead && e.member.id != id) {
    fail_departed(e.member.id, e.member.endpoint, "died");
  }
}

void NodeCore::fail_departed(NodeId node, const std::string& node_endpoint, const char* how) {
  const auto n = fail_pending(node, Status::node_dead("node " + std::to_string(node) + " " + how));
  if (n > 0) log(LogLevel::kInfo, "failed ", n, " pending request(s) to node ", node);
  // A lost head's endpoint is where its successor answers: keep that connection. So is a connection that
  // is still up (the process there is paused, not gone): what we tell it next (it was declared dead) must
  // go on it, since its ROUTER, when it runs again, would refuse a second connection with our routing id
  // until it has noticed the first one closed.
  if (node_endpoint != head_endpoint_ && !links_.is_up(node_endpoint)) drop_dealer_io(node_endpoint);
}

void NodeCore::timers_io() {
  const auto now = Clock::now();
  if (options.role == NodeRole::kHead) {
    head_check_deadlines();
  } else {
    // To whichever head answers at head_endpoint (dst 0): a restarted one says it does not know us.
    if (head_watch_.heartbeat_due()) post(Kind::kHeartbeat, head_endpoint_, 0, 0, "", 0, Payload(), 0);
    if (head_watch_.head_silent_too_long()) {
      on_head_lost_io("silent for " + std::to_string(options.head_lost_after.count()) + " ms");
    }
    if (head_watch_.rejoin_due()) rejoin_io();
  }
  watch_peers_io();
  if (handshakes_) handshakes_->poll_io();
  for (auto it = departing_.begin(); it != departing_.end();) {
    if (now < it->second.first) {
      ++it;
      continue;
    }
    fail_departed(it->first, it->second.second, "left");
    it = departing_.erase(it);
  }
  calls_.expire(now);
  if (const std::size_t n = strangers_.expire(); n > 0) {
    log(LogLevel::kWarn, "dropped ", n, " message(s) from nodes that were never announced");
  }
  reap_actors(false);
}

}  // namespace ist::rt
