// Actors, their context, and the process-wide registry of actor types.
//
// An actor type is registered once per process, by name, with a factory (constructor arguments arrive
// as a Payload) and named methods. Each actor instance lives on one node, runs on its own thread and
// handles one mailbox message (call or tell) at a time. A handler that throws produces a kRemoteFailure
// reply; the actor keeps running.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/future.h"
#include "runtime/handle.h"
#include "runtime/payload.h"

namespace ist::rt {

class NodeCore;
struct ActorCell;

// Base class of every actor type. Actors hold their state as ordinary members: only the actor's own
// thread runs its methods, so no locking is needed inside.
class Actor {
 public:
  virtual ~Actor() = default;
};

// The runtime as seen by one actor (or, for actor id 0, by a non-actor client such as a driver's main
// thread: Node::client()). Everything here is cheap to call; requests return futures.
// Thread rules: call/tell/spawn/kill/send/register_name/lookup_name are @threadsafe.
// receive() may only be called by the actor's own thread (for the client context: any thread, but two
// threads must not wait on the same tag).
class ActorContext {
 public:
  ActorContext(NodeCore* node, ActorCell* cell, ActorId self) : node_(node), cell_(cell), self_(self) {}

  // This actor's handle (node id, node endpoint, actor id). Pass it to peers inside payloads.
  ActorHandle self() const;
  NodeId node_id() const;

  // Creates an actor of registered type `type_name` on node `node` (this node or any alive member), with
  // `ctor_args` given to the type's factory. Errors: kNotFound (unknown node or type), kNodeDead,
  // kTimeout, or the factory's own error.
  Future<ActorHandle> spawn(const std::string& type_name, NodeId node, Payload ctor_args, Deadline deadline);
  // Runs `method` on the actor and returns its reply. Errors: kUnknownMethod, kActorDied (killed or never
  // existed), kNotFound, kNodeDead, kRemoteFailure (the handler threw or returned an error), kTimeout.
  // Calling your own handle from inside a handler waits for yourself: it can only time out.
  Future<Payload> call(const ActorHandle& to, const std::string& method, Payload args, Deadline deadline);
  // Fire and forget: the method runs in order with other mailbox messages; errors are only logged.
  void tell(const ActorHandle& to, const std::string& method, Payload args);
  // Stops the actor after its current message; queued and running calls to it fail with kActorDied.
  Future<Payload> kill(const ActorHandle& to, Deadline deadline);

  // Point-to-point tagged channel, bypassing the mailbox: delivered to `to`'s tagged inbox, where
  // receive(tag) picks it up, even while `to` is inside a handler. Per (sender, receiver) pair, messages
  // arrive in send order. Fire and forget: a message to a dead actor is dropped (logged).
  void send(const ActorHandle& to, std::uint64_t tag, Payload payload);
  // The actor that sent the call being handled, or nullopt (in a tell, a spawn, or outside a handler).
  // Only the actor's own thread may ask.
  std::optional<ActorHandle> caller() const;
  // Takes the oldest message with `tag` from this actor's tagged inbox, waiting until the deadline.
  // Messages that arrived before the call are buffered and returned first. Errors: kTimeout; kCancelled
  // when the actor is killed or the node stops.
  Result<Payload> receive(std::uint64_t tag, Deadline deadline);
  // Like receive(tag, deadline), but a message with tag `interrupt` ends the wait too: returns the tag of
  // the message taken (`tag` first when both wait) and the message.
  Result<std::pair<std::uint64_t, Payload>> receive_either(std::uint64_t tag, std::uint64_t interrupt,
                                                           Deadline deadline);
  // Drops every message waiting in this actor's tagged inbox whose tag `match`es (e.g. those of an
  // exchange that was abandoned, which nobody will receive); returns how many. Same thread rules as receive.
  std::size_t drop_tagged(const std::function<bool(std::uint64_t tag)>& match);

  // Named actors, held by the head. register_name fails with kInvalidArgument if the name is taken.
  Future<Payload> register_name(const std::string& name, const ActorHandle& handle, Deadline deadline);
  Future<ActorHandle> lookup_name(const std::string& name, Deadline deadline);

 private:
  NodeCore* node_;
  ActorCell* cell_;
  ActorId self_;
};

// Method handler of an erased actor type. Returns the reply payload or an error travelling to the caller.
// The arguments are the call's own: nobody reads them after the handler, so it may take them over.
using MethodFn = std::function<Result<Payload>(Actor&, ActorContext&, Payload&)>;
using FactoryFn = std::function<Result<std::unique_ptr<Actor>>(ActorContext&, const Payload&)>;

struct ActorType {
  std::string name;
  FactoryFn factory;
  std::unordered_map<std::string, MethodFn> methods;
  // Only the node that spawned an actor of this type may call or tell it (e.g. a trainer takes work
  // only from its driver). Kill is always the spawner's alone; tagged messages come from any member.
  bool spawner_only = false;
  // At most this many live actors of this type per spawning node on one node (0: no limit), so a member
  // cannot make a node build (e.g. load data for) one actor after another: a further spawn is refused
  // with kInvalidArgument naming the limit until one of its actors stops.
  std::size_t max_live_per_spawner = 0;
  // A method the node tells each actor of this type when the node leaves gracefully (stopped by SIGTERM
  // or Node::stop), after the handler running then and instead of any other queued message (an actor
  // whose spawn is still queued gets none): its last chance to hand its state over. Tagged messages it
  // sends are queued before the node's leave and are taken by their receiver even when the news of the
  // leave (through the head) comes first; what has not crossed within the leave's grace is lost.
  // Empty: none.
  std::string on_node_leaving;
};

// Process-wide actor types. Register at start-up, before starting nodes. @threadsafe
class ActorTypeRegistry {
 public:
  static ActorTypeRegistry& global();
  // Errors: kInvalidArgument if the name is empty, already registered, or the factory is missing.
  Status add(ActorType type);
  // Null if unknown. The pointer stays valid for the life of the process.
  std::shared_ptr<const ActorType> find(const std::string& name) const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const ActorType>> types_;  // GUARDED_BY(mu_)
};

// Typed registration:
//   ActorTypeBuilder<Counter>("Counter")
//       .factory([](ActorContext&, const Payload& p) -> Result<std::unique_ptr<Counter>> {...})
//       .method("add", &Counter::add)   // Result<Payload> Counter::add(ActorContext&, const Payload&)
//       .register_type();
template <typename T>
class ActorTypeBuilder {
 public:
  using Method = Result<Payload> (T::*)(ActorContext&, const Payload&);
  using Factory = std::function<Result<std::unique_ptr<T>>(ActorContext&, const Payload&)>;

  explicit ActorTypeBuilder(std::string name) { type_.name = std::move(name); }

  ActorTypeBuilder& factory(Factory f) {
    type_.factory = [f = std::move(f)](ActorContext& ctx, const Payload& p) -> Result<std::unique_ptr<Actor>> {
      auto r = f(ctx, p);
      if (!r.ok()) return r.status();
      return std::unique_ptr<Actor>(std::move(r).value());
    };
    return *this;
  }
  ActorTypeBuilder& method(const std::string& name, Method m) {
    type_.methods[name] = [m](Actor& a, ActorContext& ctx, Payload& p) { return (static_cast<T&>(a).*m)(ctx, p); };
    return *this;
  }
  // A method that takes its arguments over (e.g. to drop large frames as soon as it has read them).
  using TakingMethod = Result<Payload> (T::*)(ActorContext&, Payload&&);
  ActorTypeBuilder& method(const std::string& name, TakingMethod m) {
    type_.methods[name] = [m](Actor& a, ActorContext& ctx, Payload& p) {
      return (static_cast<T&>(a).*m)(ctx, std::move(p));
    };
    return *this;
  }
  // The method told to each actor of this type when its node leaves gracefully (ActorType::on_node_leaving).
  ActorTypeBuilder& on_node_leaving(const std::string& method_name) {
    type_.on_node_leaving = method_name;
    return *this;
  }
  // Calls and tells only from the node that spawned the actor (ActorType::spawner_only).
  ActorTypeBuilder& spawner_only() {
    type_.spawner_only = true;
    return *this;
  }
  // At most `n` live actors of this type per spawning node on one node (ActorType::max_live_per_spawner).
  ActorTypeBuilder& max_live_per_spawner(std::size_t n) {
    type_.max_live_per_spawner = n;
    return *this;
  }
  Status register_type(ActorTypeRegistry& registry = ActorTypeRegistry::global()) {
    return registry.add(std::move(type_));
  }

 private:
  ActorType type_;
};

}  // namespace ist::rt
