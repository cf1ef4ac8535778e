// Hosting actors: spawning, mailbox delivery, tagged inboxes, kill, and each actor's thread.
#include <exception>
#include <functional>
#include <thread>

#include "runtime/latency_probe.h"
#include "runtime/log.h"
#include "runtime/node_core.h"

namespace ist::rt {

namespace {

Status missing_actor(ActorId aid, ActorId next_id) {
  // Ids are never reused, so an id below the next one belonged to an actor that is gone.
  if (aid != 0 && aid < next_id) return Status::actor_died("actor " + std::to_string(aid) + " is gone");
  return Status::not_found("no actor " + std::to_string(aid) + " on this node");
}

// Whether node `from` may make `cell` do `kind`: kill is its spawner's alone (this node's, for an actor
// it spawned itself); calls and tells too when its type is spawner_only.
bool may_command(const ActorCell& cell, NodeId self, NodeId from, Kind kind) {
  const NodeId spawner = cell.owner == 0 ? self : cell.owner;
  if (kind == Kind::kKill) return from == spawner;
  return !cell.type || !cell.type->spawner_only || from == spawner;
}

// A busy actor's next message often comes within microseconds of its last reply, and waking from the
// condition variable costs about as much as the whole message's trip through the node: after handling a
// message, an actor thread yields for up to kMailSpin to mail (or a kill) before it sleeps.
// 200 us covers a loopback round trip on a busy machine (bench/results/runtime_latency.txt).
constexpr auto kMailSpin = std::chrono::microseconds(200);

void wait_for_mail_briefly(const ActorCell& cell) {
  const auto until = Clock::now() + kMailSpin;
  while (!cell.has_mail.load(std::memory_order_acquire) && Clock::now() < until) std::this_thread::yield();
}

}  // namespace

void NodeCore::spawn_io(Envelope& env) {
  auto type = ActorTypeRegistry::global().find(env.header.method);
  if (!type) {
    log(LogLevel::kError, "spawn of unknown actor type '", env.header.method, "'");
    reply_to(env.header, Status::not_found("unknown actor type '" + env.header.method + "'"));
    return;
  }
  std::lock_guard<std::mutex> lock(actors_mu);
  const NodeId owner = env.header.src_node == id ? 0 : env.header.src_node;
  if (type->max_live_per_spawner > 0) {
    std::size_t live = 0;
    // Killed actors count until their thread ends: a factory still loading holds its memory.
    for (const auto& [actor_id, cell] : actors) {
      if (cell->owner == owner && cell->type == type && !cell->finished.load()) ++live;
    }
    if (live >= type->max_live_per_spawner) {
      const Status refused = Status::invalid_argument(
          "node " + std::to_string(env.header.src_node) + " already has " + std::to_string(live) + " live " +
          type->name + " actors here, the most one node may spawn on another");
      refuse_io(env.header, refused.message());
      reply_to(env.header, refused);
      return;
    }
  }
  const ActorId aid = next_actor_id++;
  auto cell = std::make_shared<ActorCell>(this, aid, std::move(type), owner);
  cell->mailbox.push_back(std::move(env));  // the factory runs first, on the actor's own thread
  cell->mail_changed();
  cell->thread = std::thread([this, c = cell.get()] { actor_main(c); });
  actors.emplace(aid, std::move(cell));
}

void NodeCore::deliver_io(Envelope& env) {
  const bool is_call = env.header.kind == Kind::kCall;
  std::shared_ptr<ActorCell> cell;
  Status missing;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    auto it = actors.find(env.header.dst_actor);
    if (it == actors.end()) {
      missing = missing_actor(env.header.dst_actor, next_actor_id);
    } else {
      cell = it->second;
    }
  }
  if (cell && !may_command(*cell, id, env.header.src_node, env.header.kind)) {
    // A member (admit_io let it through) is told why, at the address it joined from.
    const Status refused = Status::invalid_argument("only node " + std::to_string(cell->owner) +
                                                    ", which spawned actor " + std::to_string(cell->id) +
                                                    ", may call it");
    refuse_io(env.header, refused.message());
    if (is_call) reply_to(env.header, refused);
    return;
  }
  if (cell && cell->type->methods.count(env.header.method) == 0) {
    missing = Status::unknown_method("actor type " + cell->type->name + " has no method '" + env.header.method + "'");
  }
  if (!missing.ok()) {
    log(LogLevel::kError, kind_name(env.header.kind), " ", env.header.method, " rejected: ", missing.to_string());
    if (is_call) reply_to(env.header, missing);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(cell->mu);
    if (!cell->killed) {
      [[maybe_unused]] const std::uint64_t rid = env.header.request_id;
      cell->mailbox.push_back(std::move(env));
      cell->mail_changed();
      cell->cv.notify_all();
      IST_PROBE(rid, kDelivered);
      return;
    }
  }
  if (is_call) reply_to(env.header, Status::actor_died("actor was killed"));
}

void NodeCore::deliver_tagged(Envelope& env) {
  std::shared_ptr<ActorCell> cell;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    if (env.header.dst_actor == 0) {
      cell = client_cell;
    } else if (auto it = actors.find(env.header.dst_actor); it != actors.end()) {
      cell = it->second;
    }
  }
  if (!cell) {
    log(LogLevel::kWarn, "tagged message ", env.header.tag, " for missing actor ", env.header.dst_actor, " dropped");
    return;
  }
  std::lock_guard<std::mutex> lock(cell->mu);
  std::size_t& held = cell->inbox_from[env.header.src_node];
  if (held >= kMaxTaggedPerSender) {
    refuse_io(env.header, std::to_string(held) + " of its tagged messages to actor " + std::to_string(cell->id) +
                              " are not received yet (at most " + std::to_string(kMaxTaggedPerSender) + ")");
    return;
  }
  ++held;
  cell->inbox[env.header.tag].emplace_back(env.header.src_node, std::move(env.payload));
  cell->cv.notify_all();
}

void NodeCore::kill_io(Envelope& env) {
  std::shared_ptr<ActorCell> cell;
  Status missing;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    auto it = actors.find(env.header.dst_actor);
    if (it == actors.end()) {
      missing = missing_actor(env.header.dst_actor, next_actor_id);
    } else if (!may_command(*it->second, id, env.header.src_node, Kind::kKill)) {
      missing = Status::invalid_argument("only the node that spawned actor " + std::to_string(it->first) +
                                         " may kill it");
    } else {
      cell = std::move(it->second);
      actors.erase(it);
      graveyard.push_back(cell);
    }
  }
  if (missing.code() == ErrorCode::kInvalidArgument) {
    refuse_io(env.header, missing.message());
    reply_to(env.header, missing);
    return;
  }
  if (!cell) {
    // Killing what is already gone succeeds: the caller's wish holds.
    reply_to(env.header, missing.code() == ErrorCode::kActorDied ? Result<Payload>(Payload()) : missing);
    return;
  }
  stop_cell_io(*cell, "was killed");
  reply_to(env.header, Payload());
}

void NodeCore::stop_cell_io(ActorCell& cell, const char* why) {
  std::deque<Envelope> queued;
  std::optional<Header> running;
  {
    std::lock_guard<std::mutex> lock(cell.mu);
    cell.killed = true;
    queued.swap(cell.mailbox);
    running.swap(cell.running);
    cell.mail_changed();
    cell.cv.notify_all();
  }
  const Status died = Status::actor_died("actor " + std::to_string(cell.id) + " " + why);
  for (const Envelope& q : queued) reply_to(q.header, died);
  if (running) reply_to(*running, died);
}

std::size_t NodeCore::stop_actors_owned_by_io(NodeId owner) {
  return stop_actors_if_io([owner](const ActorCell& c) { return c.owner == owner; },
                           "stopped: the node that spawned it is gone");
}

std::size_t NodeCore::stop_all_actors_io(const char* why) {
  return stop_actors_if_io([](const ActorCell&) { return true; }, why);
}

std::size_t NodeCore::stop_actors_if_io(const std::function<bool(const ActorCell&)>& which, const char* why) {
  std::vector<std::shared_ptr<ActorCell>> owned;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    for (auto it = actors.begin(); it != actors.end();) {
      if (which(*it->second)) {
        owned.push_back(it->second);
        graveyard.push_back(std::move(it->second));
        it = actors.erase(it);
      } else {
        ++it;
      }
    }
  }
  // A handler that is running finishes first (its reply has nobody to go to); then the thread ends and
  // the actor's state is freed on it.
  for (auto& cell : owned) stop_cell_io(*cell, why);
  return owned.size();
}

void NodeCore::actor_main(ActorCell* cell) {
  for (bool handled_one = false;; handled_one = true) {
    if (handled_one) wait_for_mail_briefly(*cell);
    Envelope env;
    {
      std::unique_lock<std::mutex> lock(cell->mu);
      cell->cv.wait(lock, [&] {
        return cell->killed || (!cell->mailbox.empty() && (!draining_ || cell->leaving_notice));
      });
      if (cell->killed) break;
      env = std::move(cell->mailbox.front());
      cell->mailbox.pop_front();
      cell->leaving_notice = false;  // when set, the front was the notice: it is taken now
      cell->mail_changed();
      if (env.header.kind != Kind::kTell) cell->running = env.header;
      cell->busy = true;
    }
    IST_PROBE(env.header.request_id, kHandlerStart);
    const bool is_spawn = env.header.kind == Kind::kSpawn;
    Result<Payload> result = Status::internal("not run");
    try {
      if (is_spawn) {
        auto made = cell->type->factory(cell->ctx, env.payload);
        if (made.ok()) {
          cell->actor = std::move(made).value();
          result = pack_args(cell->ctx.self());
        } else {
          result = made.status();
        }
      } else {
        result = cell->actor == nullptr
                     ? Status::actor_died(cell->type->name + " was never constructed")
                     : cell->type->methods.at(env.header.method)(*cell->actor, cell->ctx, env.payload);
      }
    } catch (const std::exception& e) {
      result = Status::remote_failure(cell->type->name + "." + env.header.method + " threw: " + e.what());
    } catch (...) {
      result = Status::remote_failure(cell->type->name + "." + env.header.method + " threw a non-exception");
    }
    bool killed;
    std::deque<Envelope> orphans;  // calls queued behind a failed constructor
    {
      std::lock_guard<std::mutex> lock(cell->mu);
      killed = cell->killed;  // then kill_io already answered this request with kActorDied
      cell->running.reset();
      if (is_spawn && !result.ok()) {
        cell->killed = true;
        orphans.swap(cell->mailbox);
        cell->mail_changed();
      }
    }
    for (const Envelope& o : orphans) reply_to(o.header, Status::actor_died("actor constructor failed"));
    if (killed) break;
    if (is_spawn && !result.ok()) {
      std::lock_guard<std::mutex> lock(actors_mu);
      if (auto it = actors.find(cell->id); it != actors.end()) {
        graveyard.push_back(std::move(it->second));
        actors.erase(it);
      }
    }
    if (env.header.kind == Kind::kTell) {
      if (!result.ok()) log(LogLevel::kError, "tell ", env.header.method, " failed: ", result.status().to_string());
    } else {
      reply_to(env.header, std::move(result));
      IST_PROBE(env.header.request_id, kHandlerDone);
    }
    {
      // Only now is the reply queued for the I/O thread: a draining node waits for this.
      std::lock_guard<std::mutex> lock(cell->mu);
      cell->busy = false;
      cell->cv.notify_all();
    }
    if (is_spawn && !result.ok()) break;
  }
  cell->actor.reset();  // the actor's state dies on its own thread
  cell->finished = true;
}

Result<std::pair<std::uint64_t, Payload>> NodeCore::receive(ActorCell* cell, std::initializer_list<std::uint64_t> tags,
                                                            Deadline deadline) {
  std::unique_lock<std::mutex> lock(cell->mu);
  auto waiting = [&]() -> std::optional<std::uint64_t> {
    for (std::uint64_t tag : tags) {
      auto it = cell->inbox.find(tag);
      if (it != cell->inbox.end() && !it->second.empty()) return tag;
    }
    return std::nullopt;
  };
  if (!cell->cv.wait_until(lock, deadline, [&] { return waiting().has_value() || cell->killed; })) {
    return Status::timeout("no message with tag " + std::to_string(*tags.begin()) + " before the deadline");
  }
  const std::optional<std::uint64_t> tag = waiting();
  if (!tag) return Status::cancelled("actor stopped while receiving");
  auto it = cell->inbox.find(*tag);
  auto [sender, p] = std::move(it->second.front());
  it->second.pop_front();
  if (auto from = cell->inbox_from.find(sender); from != cell->inbox_from.end() && --from->second == 0) {
    cell->inbox_from.erase(from);
  }
  if (it->second.empty()) cell->inbox.erase(it);
  return std::make_pair(*tag, std::move(p));
}

std::size_t NodeCore::drop_tagged(ActorCell* cell, const std::function<bool(std::uint64_t)>& match) {
  std::lock_guard<std::mutex> lock(cell->mu);
  std::size_t dropped = 0;
  for (auto it = cell->inbox.begin(); it != cell->inbox.end();) {
    if (!match(it->first)) {
      ++it;
      continue;
    }
    for (const auto& [sender, payload] : it->second) {
      if (auto from = cell->inbox_from.find(sender); from != cell->inbox_from.end() && --from->second == 0) {
        cell->inbox_from.erase(from);
      }
      ++dropped;
    }
    it = cell->inbox.erase(it);
  }
  return dropped;
}

void NodeCore::reap_actors(bool all) {
  std::vector<std::shared_ptr<ActorCell>> done;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    for (auto it = graveyard.begin(); it != graveyard.end();) {
      if (all || (*it)->finished.load()) {
        done.push_back(std::move(*it));
        it = graveyard.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : done) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void NodeCore::stop_actors() {
  std::vector<std::shared_ptr<ActorCell>> cells;
  {
    std::lock_guard<std::mutex> lock(actors_mu);
    for (auto& [aid, c] : actors) graveyard.push_back(c);
    actors.clear();
    cells = graveyard;
  }
  cells.push_back(client_cell);
  for (auto& c : cells) {
    std::lock_guard<std::mutex> lock(c->mu);
    c->killed = true;
    c->mail_changed();
    c->cv.notify_all();
  }
  reap_actors(true);
}

}  // namespace ist::rt
