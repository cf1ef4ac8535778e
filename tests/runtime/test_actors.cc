#include "tests/runtime/test_actors.h"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "runtime/actor.h"

namespace ist::rt::testing {

namespace {

class Echo : public Actor {
 public:
  Result<Payload> echo(ActorContext&, const Payload& p) { return p; }
  Result<Payload> sleep(ActorContext&, const Payload& p) {
    IST_ASSIGN_OR_RETURN(int ms, unpack_one<int>(p));
    // Stands in for minutes of computation: the node's I/O thread must keep going meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return pack_args(ms);
  }
  Result<Payload> throw_error(ActorContext&, const Payload&) { throw std::runtime_error("boom"); }
  Result<Payload> fail(ActorContext&, const Payload&) { return Status::invalid_argument("asked to fail"); }
  Result<Payload> add(ActorContext&, const Payload& p) {
    IST_ASSIGN_OR_RETURN(long n, unpack_one<long>(p));
    total_ += n;
    return pack_args(total_);
  }
  Result<Payload> pid(ActorContext&, const Payload&) { return pack_args(static_cast<long>(getpid())); }

 private:
  long total_ = 0;
};

// Remembers who called "remember" (ActorContext::caller) and, when its node leaves gracefully, says
// farewell there: a tagged message (kFarewellTag) with the number of calls it handled.
class Farewell : public Actor {
 public:
  Result<Payload> remember(ActorContext& ctx, const Payload&) {
    caller_ = ctx.caller();
    if (!caller_) return Status::invalid_argument("no caller");
    ++handled_;
    return Payload();
  }
  Result<Payload> sleep(ActorContext& ctx, const Payload& p) {
    IST_ASSIGN_OR_RETURN(int ms, unpack_one<int>(p));
    if (auto caller = ctx.caller()) ctx.send(*caller, kSleepingTag, Payload());
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ++handled_;
    return pack_args(ms);
  }
  Result<Payload> farewell(ActorContext& ctx, const Payload&) {
    if (caller_) ctx.send(*caller_, kFarewellTag, pack_args(handled_));
    return Payload();
  }

 private:
  std::optional<ActorHandle> caller_;
  int handled_ = 0;
};

class Peer : public Actor {
 public:
  Result<Payload> exchange(ActorContext& ctx, const Payload& p) {
    IST_ASSIGN_OR_RETURN(auto args, (unpack_args<ActorHandle, std::uint64_t, long>(p)));
    auto& [peer, tag, value] = args;
    Payload out = pack_args(value);
    out.blobs = p.blobs;
    ctx.send(peer, tag, std::move(out));
    return ctx.receive(tag, deadline_in(std::chrono::seconds(10)));
  }
  Result<Payload> call_peer(ActorContext& ctx, const Payload& p) {
    IST_ASSIGN_OR_RETURN(auto args, (unpack_args<ActorHandle, long>(p)));
    return ctx.call(std::get<0>(args), "echo", pack_args(std::get<1>(args)), deadline_in(std::chrono::seconds(10)))
        .get();
  }
  // Spawns an Echo on node `on` (this actor's node becomes its owner); replies with its handle.
  Result<Payload> spawn_echo(ActorContext& ctx, const Payload& p) {
    IST_ASSIGN_OR_RETURN(NodeId on, unpack_one<NodeId>(p));
    IST_ASSIGN_OR_RETURN(ActorHandle echo, ctx.spawn("Echo", on, Payload(), deadline_in(std::chrono::seconds(10))).get());
    return pack_args(echo);
  }
};

}  // namespace

void register_test_actors() {
  static std::once_flag once;
  std::call_once(once, [] {
    Status s = ActorTypeBuilder<Echo>("Echo")
                   .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Echo>> {
                     return std::make_unique<Echo>();
                   })
                   .method("echo", &Echo::echo)
                   .method("sleep", &Echo::sleep)
                   .method("throw", &Echo::throw_error)
                   .method("fail", &Echo::fail)
                   .method("add", &Echo::add)
                   .method("pid", &Echo::pid)
                   .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
    s = ActorTypeBuilder<Peer>("Peer")
            .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Peer>> {
              return std::make_unique<Peer>();
            })
            .method("exchange", &Peer::exchange)
            .method("call_peer", &Peer::call_peer)
            .method("spawn_echo", &Peer::spawn_echo)
            .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
    s = ActorTypeBuilder<Echo>("Guarded")
            .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Echo>> {
              return std::make_unique<Echo>();
            })
            .method("add", &Echo::add)
            .spawner_only()
            .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
    s = ActorTypeBuilder<Echo>("Capped")
            .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Echo>> {
              return std::make_unique<Echo>();
            })
            .method("add", &Echo::add)
            .max_live_per_spawner(2)
            .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
    s = ActorTypeBuilder<Farewell>("Farewell")
            .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Farewell>> {
              return std::make_unique<Farewell>();
            })
            .method("remember", &Farewell::remember)
            .method("sleep", &Farewell::sleep)
            .method("farewell", &Farewell::farewell)
            .on_node_leaving("farewell")
            .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
    s = ActorTypeBuilder<Echo>("Unbuildable")
            .factory([](ActorContext&, const Payload&) -> Result<std::unique_ptr<Echo>> {
              return Status::invalid_argument("cannot build this");
            })
            .register_type();
    if (!s.ok()) throw std::logic_error(s.to_string());
  });
}

}  // namespace ist::rt::testing
