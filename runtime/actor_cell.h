// Internal: one hosted actor's thread, mailbox and tagged inbox. Not part of the public API.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "runtime/actor.h"
#include "runtime/envelope.h"

namespace ist::rt {

struct ActorCell {
  ActorCell(NodeCore* node, ActorId actor_id, std::shared_ptr<const ActorType> actor_type, NodeId owner_node = 0)
      : id(actor_id), owner(owner_node), type(std::move(actor_type)), ctx(node, this, actor_id) {}

  const ActorId id;
  // The node that spawned it: the actor stops when that node leaves or dies (its spawner's run is over).
  // This node's own id, or 0, for actors that live as long as this node.
  const NodeId owner;
  const std::shared_ptr<const ActorType> type;  // null for the client cell (id 0)
  std::unique_ptr<Actor> actor;                 // only the actor thread touches it
  ActorContext ctx;

  std::mutex mu;
  std::condition_variable cv;  // mailbox, inbox or killed changed
  std::deque<Envelope> mailbox;                                   // GUARDED_BY(mu)
  // Tagged messages not received yet, by tag, each with its sender; and how many each sender has here.
  std::unordered_map<std::uint64_t, std::deque<std::pair<NodeId, Payload>>> inbox;  // GUARDED_BY(mu)
  std::unordered_map<NodeId, std::size_t> inbox_from;                               // GUARDED_BY(mu)
  std::optional<Header> running;  // the call or spawn being handled; GUARDED_BY(mu)
  bool killed = false;            // GUARDED_BY(mu)
  bool busy = false;  // a message taken from the mailbox and not yet answered; GUARDED_BY(mu)
  // The node's leaving notice (ActorType::on_node_leaving) waits at the mailbox's front: the actor takes it
  // although the node drains, and the drain waits for it. GUARDED_BY(mu)
  bool leaving_notice = false;
  // killed || !mailbox.empty(), kept with them under mu and read without it: a thread that just handled
  // a message spins on it briefly before it sleeps on cv (see NodeCore::actor_main).
  std::atomic<bool> has_mail{false};
  // REQUIRES: mu held (or the actor thread not started), after killed or mailbox changed.
  void mail_changed() { has_mail.store(killed || !mailbox.empty(), std::memory_order_release); }

  std::thread thread;
  std::atomic<bool> finished{false};
};

}  // namespace ist::rt
