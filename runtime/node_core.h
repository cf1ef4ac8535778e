// Internal: the implementation behind Node and ActorContext. Not part of the public API.
// Threads: the I/O thread runs io_loop() and everything named on_* / head_* / *_io; actor threads run
// actor_main(); any thread may call the @threadsafe members (enqueue, request, ...).
// Sockets: the I/O thread holds sockets_mu_ whenever it is not waiting in poll, so "I/O thread only"
// state is also safe for a thread that holds sockets_mu_: enqueue() uses that to send a message from
// the calling thread when the I/O thread is idle (try_send_now), one thread hand-off less.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "runtime/actor_cell.h"
#include "runtime/envelope.h"
#include "runtime/future.h"
#include "runtime/head_registry.h"
#include "runtime/handshake_watch.h"
#include "runtime/head_watch.h"
#include "runtime/membership.h"
#include "runtime/node.h"
#include "runtime/peer_links.h"
#include "runtime/peer_socket.h"
#include "runtime/pending_calls.h"
#include "runtime/stranger_queue.h"
#include "runtime/zap_handler.h"

namespace ist::rt {

struct Outbound {
  std::string endpoint;  // destination node's ROUTER endpoint; our own endpoint means local delivery
  Envelope env;
};

class NodeCore {
 public:
  explicit NodeCore(NodeOptions options);
  ~NodeCore();

  Status start();  // bind, start the I/O thread, join the head
  void stop();     // idempotent
  // Graceful leave (workers): no new mailbox messages; waits until running handlers have replied.
  void drain(Deadline deadline);
  // Puts the leaving notice (ActorType::on_node_leaving) at the front of the mailbox of every actor whose
  // type has one; drain() then waits for the notices to be handled too.
  void tell_actors_leaving();

  // --- @threadsafe ---
  // Sends `out` from this thread when try_send_now can; otherwise queues it and wakes the I/O thread.
  void enqueue(Outbound out);
  // Registers a pending request (unless the node stops or dst_node is known dead) and sends it.
  std::shared_ptr<CallState> request(Kind kind, const std::string& endpoint, NodeId dst_node,
                                     ActorId dst_actor, std::string method, std::uint64_t tag,
                                     Payload payload, Deadline deadline, ActorId src_actor);
  // Sends a one-way message (tell, tagged).
  void post(Kind kind, const std::string& endpoint, NodeId dst_node, ActorId dst_actor, std::string method,
            std::uint64_t tag, Payload payload, ActorId src_actor);
  // The envelope every request and post sends from this node (no request id yet).
  Outbound outbound(Kind kind, const std::string& to_endpoint, NodeId dst_node, ActorId dst_actor, std::string method,
                    std::uint64_t tag, Payload payload, ActorId src_actor) const;
  void reply_to(const Header& req, Result<Payload> result);
  // The reply to `req` carrying `result` (its value, or its error code and message), from this node.
  Envelope reply_envelope(const Header& req, Result<Payload> result) const;
  std::optional<Member> member(NodeId id) const;
  // What member() would say of the node's state and endpoint, without copying the rest (these run for
  // every message). nullopt / empty for a node not in the table.
  std::optional<MemberState> member_state(NodeId id) const;
  std::string member_endpoint(NodeId id) const;
  const std::string& head_endpoint() const { return head_endpoint_; }
  // How often a node that lost its head tries to join it again (and how long each try waits).
  Clock::duration rejoin_interval() const {
    return std::max<Clock::duration>(options.heartbeat_interval * 5, std::chrono::milliseconds(100));
  }
  NodeId head_id() const { return head_id_.load(); }

  const NodeOptions options;
  const NodeId id;
  std::string endpoint;  // set by start(), then constant

  // Members (shared with Node).
  mutable std::mutex members_mu;
  std::condition_variable members_cv;
  std::unordered_map<NodeId, Member> members;                   // GUARDED_BY(members_mu)
  std::vector<std::weak_ptr<MembershipQueue>> subscribers;     // GUARDED_BY(members_mu)
  // The head has been silent too long (or no longer knows this node): the node serves on and tries to
  // rejoin; cleared when a head at head_endpoint accepts it again.
  std::atomic<bool> head_lost{false};
  // The head declared this node dead: it is no member any more (its actors were stopped, its calls
  // failed); only a new node (a fresh id) can join again.
  std::atomic<bool> declared_dead{false};

  mutable std::mutex actors_mu;
  std::unordered_map<ActorId, std::shared_ptr<ActorCell>> actors;  // GUARDED_BY(actors_mu)
  std::vector<std::shared_ptr<ActorCell>> graveyard;  // killed, thread not joined; GUARDED_BY(actors_mu)
  ActorId next_actor_id = 1;                          // GUARDED_BY(actors_mu)
  std::shared_ptr<ActorCell> client_cell;             // id 0

 private:
  // I/O thread.
  void io_loop();
  void drain_outbound();
  void send_io(Outbound& out);
  // Encodes `env` and hands its frames to `socket` without blocking. Returns false if the socket
  // would block (nothing sent) or failed (logged).
  bool send_frames_io(zmq::socket_t& socket, const Envelope& env, const std::string& to);
  // Sends `out` from the calling thread if that keeps every order and needs nothing of the I/O thread:
  // not the I/O thread itself, a remote endpoint with a connection already open, the sockets free (the
  // I/O thread waits in poll), nothing queued before it. Returns false, having sent nothing, otherwise
  // (the caller queues it). @threadsafe
  bool try_send_now(Outbound& out);
  zmq::socket_t* dealer_io(const std::string& endpoint);  // null if the endpoint is unusable
  void drop_dealer_io(const std::string& endpoint);
  // Reads the DEALERs' connection events, and fails the pending calls to every endpoint (but the
  // head's, and those of nodes that left and are still in their leave grace) that has had no
  // connection for kPeerLostGrace: the process there is gone, whether or not a head is there to say so.
  void watch_peers_io();
  void receive_io();
  // `from` is the ROUTER routing id of the connection the frames came on.
  void on_frames(const zmq::message_t& from, std::vector<zmq::message_t>& frames);
  // Replies on the connection a request came in on (for askers that are not members). Drops the reply
  // if that connection is gone.
  void answer_on_connection_io(const zmq::message_t& from, const Header& req, Result<Payload> result);
  void on_envelope(Envelope env);
  void on_reply(Envelope& env);
  void on_heartbeat_ack_io(const Header& ack);
  void on_membership(const MembershipEvent& e);
  // Pushes `e` to every live subscriber (and forgets the gone ones).
  void notify_subscribers(const MembershipEvent& e);
  // The subscribers still listening; forgets the others. REQUIRES: members_mu held.
  std::vector<std::shared_ptr<MembershipQueue>> live_subscribers_locked();
  // The head as this node knows it (id, endpoint), for kHeadLost / kHeadRejoined events.
  Member head_member() const;
  void apply_membership(const MembershipEvent& e);
  void timers_io();
  // The head is unreachable: fail the calls only it could answer, stop heartbeats, start rejoining.
  void on_head_lost_io(const std::string& why);
  // Sends one join to head_endpoint on a fresh connection (nothing stale queued before it).
  void rejoin_io();
  // Node::start's join of the head: sent again every rejoin interval until one is answered (a head that
  // took this node in but died before its reply left, or one started again at the same address, answers a
  // later one) or join_timeout passes. Called from start(), not the I/O thread.
  Status join_head(const Member& self);
  // A join was accepted (the first one, or a rejoin after the head was lost): takes the head's member
  // table. Errors: the reply's payload is no member list.
  Status on_joined_io(const Envelope& reply);
  // The head says this node is dead: stop its actors, fail its calls, stop heartbeats and rejoins.
  void on_declared_dead_io(const std::string& why);

  // Authorisation (node_authorization.cc; I/O thread).
  enum class Admission { kAdmit, kHold, kDrop };
  // What to do with a decoded message that came on the connection with routing id `from`: handle it,
  // hold it until its sender is announced (kHold), or drop it (refused and logged once).
  Admission admit_io(const zmq::message_t& from, const Header& h);
  void refuse_io(const Header& h, const std::string& why);
  void hold_io(Envelope env);
  // Handles what was held from `node`, now that it is announced.
  void release_held_io(NodeId node);
  bool is_alive_member(NodeId node) const;  // @threadsafe

  // Head side (I/O thread).
  void head_on_join(Envelope& env);
  void head_on_heartbeat(Envelope& env);
  void head_on_leave(Envelope& env);
  void head_on_names(Envelope& env);
  // kQueryMembers: answers the alive member table on the asking connection; changes nothing.
  void head_on_query(const zmq::message_t& from, const Header& req);
  void head_announce(const MembershipEvent& e);
  void head_check_deadlines();

  // Actors (actor_cell.cc).
 public:
  void spawn_io(Envelope& env);
  void deliver_io(Envelope& env);
  void deliver_tagged(Envelope& env);
  void kill_io(Envelope& env);
  // Marks the actor killed, and fails its queued and running requests with kActorDied ("actor N <why>").
  void stop_cell_io(ActorCell& cell, const char* why);
  // Stops every actor that node `owner` spawned (it left or died). Returns how many.
  std::size_t stop_actors_owned_by_io(NodeId owner);
  // Stops every actor hosted here (with `why`). Returns how many.
  std::size_t stop_all_actors_io(const char* why);
  std::size_t stop_actors_if_io(const std::function<bool(const ActorCell&)>& which, const char* why);
  void actor_main(ActorCell* cell);
  void reap_actors(bool all);
  void stop_actors();
  // The oldest message with the first of `tags` that has one waiting (ActorContext::receive_either).
  Result<std::pair<std::uint64_t, Payload>> receive(ActorCell* cell, std::initializer_list<std::uint64_t> tags,
                                                    Deadline deadline);
  std::size_t drop_tagged(ActorCell* cell, const std::function<bool(std::uint64_t)>& match);

 private:
  std::uint64_t fail_pending(NodeId node, const Status& status);  // node 0: all
  // Fails the pending calls to a node that died or left, and closes our connection to it. I/O thread.
  void fail_departed(NodeId node, const std::string& node_endpoint, const char* how);
  // How long a leaver's queued messages may take to get out, and how long its callers wait for them.
  static constexpr std::chrono::milliseconds kLeaveGrace{3000};
  // How long an outbound connection may stay down before calls through it fail. A live peer reconnects
  // within libzmq's reconnect interval (100 ms); a dead one is refused at once.
  static constexpr std::chrono::milliseconds kPeerLostGrace{1000};

  std::string head_endpoint_;
  std::atomic<NodeId> head_id_{0};

  // Refusals logged so far, by (kind, sender): each is logged once. I/O thread only.
  static constexpr std::size_t kMaxRefusalsLogged = 1024;
 public:
  // Tagged messages one sender may have waiting, not received, in one actor's inbox; more are dropped.
  static constexpr std::size_t kMaxTaggedPerSender = 64;
 private:
  std::set<std::pair<std::uint8_t, NodeId>> refusals_logged_;
  std::atomic<std::uint64_t> refused_messages_{0};
  StrangerQueue strangers_{steady_time(), StrangerQueue::Limits{}};  // I/O thread only
  // Outbound sockets to endpoints that are no member's (a joiner's, a stranger's heartbeat): at most
  // kMaxStrangerSockets, the least recently used closed first. Members' sockets are never evicted.
  static constexpr std::size_t kMaxStrangerSockets = 32;
  std::unordered_map<std::string, std::uint64_t> dealer_last_use_;  // GUARDED_BY(sockets_mu_)
  std::uint64_t dealer_uses_ = 0;                                   // GUARDED_BY(sockets_mu_)
  bool eviction_logged_ = false;                                    // I/O thread only
  void evict_stranger_socket_io();
  bool is_member_endpoint(const std::string& endpoint) const;  // @threadsafe

  zmq::context_t zctx_;
  zmq::socket_t router_;
  std::optional<ZapHandler> zap_;  // with a cluster key: admits only its holders; I/O thread only
  std::optional<HandshakeWatch> handshakes_;  // with a cluster key: peers without CURVE; I/O thread only
  // I/O thread, or a thread sending in try_send_now; GUARDED_BY(sockets_mu_)
  std::unordered_map<std::string, PeerSocket> dealers_;
  PeerLinks links_{steady_time()};                       // I/O thread only
  std::uint64_t next_monitor_ = 1;                       // I/O thread only
  // Nodes that left gracefully: they drained first, so replies to our calls may still be in flight on
  // another connection than the head's announcement. Their pending calls fail after a grace period.
  std::unordered_map<NodeId, std::pair<Clock::time_point, std::string>> departing_;  // I/O thread only
  int wake_fd_ = -1;                                       // eventfd: outbound work is queued

  std::mutex out_mu_;
  std::vector<Outbound> out_;  // GUARDED_BY(out_mu_)

  PendingCalls calls_;  // requests waiting for a reply; @threadsafe
  std::atomic<std::uint64_t> next_request_id_;
  // Messages queued per inbound connection before libzmq stops reading it (ZMQ_RCVHWM).
  static constexpr int kInboundQueueMessages = 1024;

  // Liveness reads the steady clock here; tests drive HeadRegistry and HeadWatch with a ManualClock.
  HeadRegistry head_{steady_time()};  // head only; I/O thread only
  HeadWatch head_watch_;              // workers and clients; I/O thread only (after start())
  Clock::time_point next_sweep_{};
  // The head accepted our join (so a goodbye has someone to go to). Set by the I/O thread; stop() reads.
  std::atomic<bool> joined_{false};

  // Held by the I/O thread except while it waits in poll; a thread holding it may use the sockets.
  std::mutex sockets_mu_;
  bool sockets_open_ = false;  // the I/O loop runs and its sockets are open; GUARDED_BY(sockets_mu_)
  std::atomic<std::thread::id> io_thread_id_{};

  std::atomic<bool> stopping_{false};
  // Graceful leave: actor threads take no new mailbox message; running handlers finish and reply.
  std::atomic<bool> draining_{false};
  std::thread io_thread_;
  bool stopped_ = false;
};

NodeId fresh_node_id();

}  // namespace ist::rt
