// Node lifecycle, request bookkeeping, and the ActorContext calls (which all end in enqueue()).
#include "runtime/node.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <random>

#include "runtime/latency_probe.h"
#include "runtime/log.h"
#include "runtime/node_core.h"

namespace ist::rt {

namespace {

Result<Payload> as_payload(Result<Payload>&& r) { return std::move(r); }

Result<ActorHandle> as_handle(Result<Payload>&& r) {
  if (!r.ok()) return r.status();
  return unpack_one<ActorHandle>(r.value());
}

}  // namespace

NodeId fresh_node_id() {
  std::random_device rd;
  std::uint64_t x = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  x ^= static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) * 0x9E3779B97F4A7C15ull;
  x ^= static_cast<std::uint64_t>(getpid()) << 17;
  return x == 0 ? 1 : x;
}

NodeCore::NodeCore(NodeOptions opts)
    : options(std::move(opts)),
      id(fresh_node_id()),
      zctx_(1),
      next_request_id_(fresh_node_id()),  // random: a forged reply cannot guess which call it answers
      head_watch_(steady_time(), options.heartbeat_interval, options.head_lost_after, rejoin_interval()) {
  client_cell = std::make_shared<ActorCell>(this, 0, nullptr);
}

NodeCore::~NodeCore() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status NodeCore::start() {
  if (options.role != NodeRole::kHead && options.head_endpoint.empty()) {
    return Status::invalid_argument(std::string("a ") + role_name(options.role) +
                                    " node needs the head's endpoint");
  }
  if (options.heartbeat_interval.count() <= 0 || options.death_deadline <= options.heartbeat_interval) {
    return Status::invalid_argument("need 0 < heartbeat_interval < death_deadline");
  }
  if (options.cluster_key) {
    auto zap = ZapHandler::open(zctx_, *options.cluster_key, options.name.empty() ? "node" : options.name);
    if (!zap.ok()) return zap.status();
    zap_ = std::move(zap).value();
  }
  try {
    router_ = zmq::socket_t(zctx_, zmq::socket_type::router);
    if (options.cluster_key) {
      if (Status s = options.cluster_key->make_server(router_); !s.ok()) return s;
    }
    router_.set(zmq::sockopt::linger, 0);
    // Per connection: a peer that sends faster than this node reads is held back by TCP, not buffered.
    router_.set(zmq::sockopt::rcvhwm, kInboundQueueMessages);
    // libzmq refuses (and disconnects) a frame above the cap while it arrives, before buffering it;
    // a message whose frames are each below it but add up to more gets a kTooLarge reply (decode_envelope).
    router_.set(zmq::sockopt::maxmsgsize, max_frame_option(options.max_message_bytes));
    if (options.cluster_key) {
      auto watch = HandshakeWatch::open(zctx_, router_, "ist-router-monitor", options.name.empty() ? "node" : options.name);
      if (!watch.ok()) return watch.status();
      handshakes_ = std::move(watch).value();
    }
    router_.bind(options.bind);
    endpoint = router_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::io_error("binding " + options.bind + ": " + e.what());
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::io_error("eventfd failed");

  Member self{id, endpoint, options.name, MemberState::kAlive, options.role};
  {
    std::lock_guard<std::mutex> lock(members_mu);
    members[id] = self;
  }
  if (options.role == NodeRole::kHead) {
    head_.join(self);
    head_id_ = id;
    head_endpoint_ = endpoint;
  } else {
    head_endpoint_ = options.head_endpoint;
  }
  head_watch_.start();
  {
    std::lock_guard<std::mutex> lock(sockets_mu_);
    sockets_open_ = true;
  }
  io_thread_ = std::thread([this] { io_loop(); });

  if (options.role != NodeRole::kHead) IST_RETURN_IF_ERROR(join_head(self));
  log(LogLevel::kInfo, "node ", id, " (", options.name, ") up at ", endpoint);
  return Status();
}

void NodeCore::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (io_thread_.joinable()) {
    if (options.role != NodeRole::kHead) {
      tell_actors_leaving();
      drain(Clock::now() + options.drain_timeout);
      // Goodbye only to a head that took us in and still answers: one we never reached, or lost, would
      // only hold the leave (and this process) in the socket's linger.
      if (joined_ && !head_lost && !declared_dead) {
        post(Kind::kLeave, head_endpoint_, head_id_, 0, "", 0, Payload(), 0);  // queued behind the replies
      }
    }
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    io_thread_.join();
  }
  fail_pending(0, Status::cancelled("node stopped"));
  {
    std::lock_guard<std::mutex> lock(members_mu);
    for (auto& w : subscribers) {
      if (auto q = w.lock()) q->close();
    }
    subscribers.clear();
  }
  stop_actors();
}

void NodeCore::tell_actors_leaving() {
  draining_ = true;  // from now on an actor takes no queued message but its notice
  std::vector<std::shared_ptr<ActorCell>> cells;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    for (auto& [aid, c] : actors) {
      if (c->type != nullptr && !c->type->on_node_leaving.empty()) cells.push_back(c);
    }
  }
  for (auto& c : cells) {
    Envelope notice;
    notice.header.kind = Kind::kTell;
    notice.header.src_node = id;
    notice.header.src_endpoint = endpoint;
    notice.header.dst_node = id;
    notice.header.dst_actor = c->id;
    notice.header.method = c->type->on_node_leaving;
    std::lock_guard<std::mutex> lock(c->mu);
    // An actor still to be constructed (its spawn waits in the mailbox) has nothing to hand over.
    if (c->killed || (!c->mailbox.empty() && c->mailbox.front().header.kind == Kind::kSpawn)) continue;
    c->mailbox.push_front(std::move(notice));
    c->leaving_notice = true;
    c->mail_changed();
    c->cv.notify_all();
  }
}

void NodeCore::drain(Deadline deadline) {
  draining_ = true;
  std::vector<std::shared_ptr<ActorCell>> cells;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    for (auto& [aid, c] : actors) cells.push_back(c);
  }
  for (auto& c : cells) {
    std::unique_lock<std::mutex> lock(c->mu);
    if (!c->cv.wait_until(lock, deadline, [&] { return (!c->busy && !c->leaving_notice) || c->killed; })) {
      log(LogLevel::kWarn, "leaving with a handler still running after the drain timeout");
      return;
    }
  }
}

void NodeCore::enqueue(Outbound out) {
  if (try_send_now(out)) return;
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    was_empty = out_.empty();
    out_.push_back(std::move(out));
  }
  // One wake-up per batch: the I/O thread reads the eventfd before it takes the queue.
  if (was_empty) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

std::shared_ptr<CallState> NodeCore::request(Kind kind, const std::string& to_endpoint, NodeId dst_node,
                                             ActorId dst_actor, std::string method, std::uint64_t tag,
                                             Payload payload, Deadline deadline, ActorId src_actor) {
  const std::uint64_t rid = next_request_id_.fetch_add(1);
  IST_PROBE(rid, kCallMade);
  auto state = std::make_shared<CallState>(deadline);
  if (dst_node != 0 && dst_node == head_id_ && head_lost && options.role != NodeRole::kHead) {
    state->complete(Status::node_dead("lost the head at " + head_endpoint_ + "; waiting for it to come back"));
    return state;
  }
  if (dst_node != 0 && dst_node != id) {
    const auto state_of_dst = member_state(dst_node);
    if (state_of_dst && *state_of_dst != MemberState::kAlive) {
      state->complete(Status::node_dead("node " + std::to_string(dst_node) + " is gone"));
      return state;
    }
  }
  if (!calls_.add(rid, PendingCalls::Call{state, dst_node, kind, to_endpoint})) {
    state->complete(Status::cancelled("node stopped"));
    return state;
  }
  Outbound out = outbound(kind, to_endpoint, dst_node, dst_actor, std::move(method), tag, std::move(payload), src_actor);
  out.env.header.request_id = rid;
#ifdef IST_LATENCY_PROBES
  state->probe_id = rid;
#endif
  enqueue(std::move(out));
  IST_PROBE(rid, kCallQueued);
  return state;
}

Outbound NodeCore::outbound(Kind kind, const std::string& to_endpoint, NodeId dst_node, ActorId dst_actor,
                              std::string method, std::uint64_t tag, Payload payload, ActorId src_actor) const {
  Outbound out{to_endpoint, Envelope{}};
  Header& h = out.env.header;
  h.kind = kind;
  h.src_node = id;
  h.src_endpoint = endpoint;
  h.src_actor = src_actor;
  h.dst_node = dst_node;
  h.dst_actor = dst_actor;
  h.method = std::move(method);
  h.tag = tag;
  out.env.payload = std::move(payload);
  return out;
}

void NodeCore::post(Kind kind, const std::string& to_endpoint, NodeId dst_node, ActorId dst_actor,
                    std::string method, std::uint64_t tag, Payload payload, ActorId src_actor) {
  enqueue(outbound(kind, to_endpoint, dst_node, dst_actor, std::move(method), tag, std::move(payload), src_actor));
}

Envelope NodeCore::reply_envelope(const Header& req, Result<Payload> result) const {
  Envelope reply;
  Header& h = reply.header;
  h.kind = Kind::kReply;
  h.src_node = id;
  h.src_endpoint = endpoint;
  h.dst_node = req.src_node;
  h.dst_actor = req.src_actor;
  h.request_id = req.request_id;
  if (result.ok()) {
    reply.payload = std::move(result).value();
  } else {
    h.error = result.status().code();
    h.error_message = result.status().message();
  }
  return reply;
}

void NodeCore::reply_to(const Header& req, Result<Payload> result) {
  if (req.request_id == 0 || req.src_endpoint.empty()) return;  // nobody waits for an answer
  // A member is answered where it joined from, whatever its request says; others (a joiner) where they
  // ask to be (a connection to a non-member counts against kMaxStrangerSockets).
  std::string to = req.src_endpoint;
  if (req.src_node != id) {
    if (std::string joined_at = member_endpoint(req.src_node); !joined_at.empty()) to = std::move(joined_at);
  }
  enqueue(Outbound{std::move(to), reply_envelope(req, std::move(result))});
}

std::optional<Member> NodeCore::member(NodeId node) const {
  std::lock_guard<std::mutex> lock(members_mu);
  auto it = members.find(node);
  if (it == members.end()) return std::nullopt;
  return it->second;
}

std::optional<MemberState> NodeCore::member_state(NodeId node) const {
  std::lock_guard<std::mutex> lock(members_mu);
  auto it = members.find(node);
  if (it == members.end()) return std::nullopt;
  return it->second.state;
}

std::string NodeCore::member_endpoint(NodeId node) const {
  std::lock_guard<std::mutex> lock(members_mu);
  auto it = members.find(node);
  return it == members.end() ? std::string() : it->second.endpoint;
}

std::uint64_t NodeCore::fail_pending(NodeId node, const Status& status) {
  return node == 0 ? calls_.close(status) : calls_.fail(node, status);
}

// ---------------------------------------------------------------------------------------------------
// Node

Result<std::unique_ptr<Node>> Node::start(NodeOptions options) {
  auto core = std::make_unique<NodeCore>(std::move(options));
  IST_RETURN_IF_ERROR(core->start());
  return std::unique_ptr<Node>(new Node(std::move(core)));
}

Node::Node(std::unique_ptr<NodeCore> core) : core_(std::move(core)) {}
Node::~Node() = default;

NodeId Node::id() const { return core_->id; }
const std::string& Node::endpoint() const { return core_->endpoint; }
const NodeOptions& Node::options() const { return core_->options; }
ActorContext& Node::client() { return core_->client_cell->ctx; }
bool Node::head_lost() const { return core_->head_lost.load(); }
bool Node::declared_dead() const { return core_->declared_dead.load(); }

std::vector<Member> Node::members() const {
  std::lock_guard<std::mutex> lock(core_->members_mu);
  std::vector<Member> out;
  for (const auto& [id, m] : core_->members) out.push_back(m);
  return out;
}

Status Node::wait_for_members(std::size_t alive, Deadline deadline) {
  std::unique_lock<std::mutex> lock(core_->members_mu);
  auto count = [&] {
    std::size_t n = 0;
    for (const auto& [id, m] : core_->members) n += m.state == MemberState::kAlive ? 1 : 0;
    return n;
  };
  if (!core_->members_cv.wait_until(lock, deadline, [&] { return count() >= alive; })) {
    return Status::timeout(std::to_string(count()) + " of " + std::to_string(alive) + " members alive");
  }
  return Status();
}

std::shared_ptr<MembershipQueue> Node::subscribe() {
  auto q = std::make_shared<MembershipQueue>();
  std::lock_guard<std::mutex> lock(core_->members_mu);
  core_->subscribers.push_back(q);
  return q;
}

std::size_t Node::actor_count() const {
  std::lock_guard<std::mutex> lock(core_->actors_mu);
  return core_->actors.size();
}

// ---------------------------------------------------------------------------------------------------
// ActorContext

ActorHandle ActorContext::self() const { return ActorHandle{node_->id, node_->endpoint, self_}; }
NodeId ActorContext::node_id() const { return node_->id; }

std::optional<ActorHandle> ActorContext::caller() const {
  if (cell_ == nullptr) return std::nullopt;
  ActorHandle handle;
  {
    std::lock_guard<std::mutex> lock(cell_->mu);
    if (!cell_->running || cell_->running->kind != Kind::kCall) return std::nullopt;
    handle = ActorHandle{cell_->running->src_node, cell_->running->src_endpoint, cell_->running->src_actor};
  }
  // Where the calling node joined from, as replies go; the header's own word only for a non-member.
  if (std::string joined_from = node_->member_endpoint(handle.node_id); !joined_from.empty()) {
    handle.endpoint = std::move(joined_from);
  }
  return handle;
}

Future<ActorHandle> ActorContext::spawn(const std::string& type_name, NodeId node, Payload ctor_args,
                                        Deadline deadline) {
  auto m = node_->member(node);
  if (!m) return Future<ActorHandle>::failed(Status::not_found("unknown node " + std::to_string(node)), as_handle);
  return Future<ActorHandle>(
      node_->request(Kind::kSpawn, m->endpoint, node, 0, type_name, 0, std::move(ctor_args), deadline, self_),
      as_handle);
}

Future<Payload> ActorContext::call(const ActorHandle& to, const std::string& method, Payload args,
                                   Deadline deadline) {
  return Future<Payload>(node_->request(Kind::kCall, to.endpoint, to.node_id, to.actor_id, method, 0,
                                        std::move(args), deadline, self_),
                         as_payload);
}

void ActorContext::tell(const ActorHandle& to, const std::string& method, Payload args) {
  node_->post(Kind::kTell, to.endpoint, to.node_id, to.actor_id, method, 0, std::move(args), self_);
}

Future<Payload> ActorContext::kill(const ActorHandle& to, Deadline deadline) {
  return Future<Payload>(
      node_->request(Kind::kKill, to.endpoint, to.node_id, to.actor_id, "", 0, Payload(), deadline, self_),
      as_payload);
}

void ActorContext::send(const ActorHandle& to, std::uint64_t tag, Payload payload) {
  node_->post(Kind::kTagged, to.endpoint, to.node_id, to.actor_id, "", tag, std::move(payload), self_);
}

Result<Payload> ActorContext::receive(std::uint64_t tag, Deadline deadline) {
  IST_ASSIGN_OR_RETURN(auto message, node_->receive(cell_, {tag}, deadline));
  return std::move(message.second);
}

std::size_t ActorContext::drop_tagged(const std::function<bool(std::uint64_t)>& match) {
  return node_->drop_tagged(cell_, match);
}

Result<std::pair<std::uint64_t, Payload>> ActorContext::receive_either(std::uint64_t tag, std::uint64_t interrupt,
                                                                       Deadline deadline) {
  return node_->receive(cell_, {tag, interrupt}, deadline);
}

Future<Payload> ActorContext::register_name(const std::string& name, const ActorHandle& handle,
                                            Deadline deadline) {
  return Future<Payload>(node_->request(Kind::kRegisterName, node_->head_endpoint(), node_->head_id(), 0, "", 0,
                                        pack_args(name, handle), deadline, self_),
                         as_payload);
}

Future<ActorHandle> ActorContext::lookup_name(const std::string& name, Deadline deadline) {
  return Future<ActorHandle>(node_->request(Kind::kLookupName, node_->head_endpoint(), node_->head_id(), 0, "",
                                            0, pack_args(name), deadline, self_),
                             as_handle);
}

}  // namespace ist::rt
