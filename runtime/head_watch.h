// Internal: a node's view of its head: when the next heartbeat is due, whether the head has been silent
// too long, and, once the node gave up on it, when to try joining it again. Pure bookkeeping, no
// sockets: NodeCore sends the heartbeats and joins, logs and sets head_lost. Touched only by the node's
// I/O thread (not @threadsafe), except that start() runs before the I/O thread does.
//   joining --joined()--> joined --lost()--> lost --joined()--> joined ...
//   any --gone()--> gone (the head declared this node dead: it never heartbeats or rejoins again)
#pragma once

#include "runtime/time_source.h"
#include "runtime/types.h"

namespace ist::rt {

class HeadWatch {
 public:
  // `time` must outlive the watch. REQUIRES: heartbeat_interval > 0, rejoin_interval > 0.
  HeadWatch(const TimeSource& time, Clock::duration heartbeat_interval, Clock::duration head_lost_after,
            Clock::duration rejoin_interval)
      : time_(time),
        heartbeat_interval_(heartbeat_interval),
        head_lost_after_(head_lost_after),
        rejoin_interval_(rejoin_interval) {}

  // The node starts: silence is counted from now.
  void start() { last_heard_ = time_.now(); }
  // The head accepted a join (the first, or a rejoin): it was heard now, heartbeats start (the first one
  // is due at once) and rejoins stop.
  void joined();
  // Any answer from the head (e.g. a heartbeat ack, even one that says this node is dead).
  void heard() { last_heard_ = time_.now(); }
  // The node gave up on its head (silent too long, or it no longer knows this node): heartbeats stop;
  // a rejoin is due at once, then one per rejoin interval until joined().
  void lost();
  // The head declared this node dead: no heartbeat and no rejoin is ever due again.
  void gone() { state_ = State::kGone; }

  // True if a heartbeat should be sent now; then the next one is due one interval later. Only while
  // joined.
  bool heartbeat_due();
  // True if a join should be sent now; then the next one is due one rejoin interval later. Only while
  // lost.
  bool rejoin_due();
  // True while joined and the head has been silent for longer than head_lost_after.
  bool head_silent_too_long() const {
    return state_ == State::kJoined && time_.now() - last_heard_ > head_lost_after_;
  }
  // True if nothing was heard from the head for longer than `d` (whatever the state).
  bool silent_for(Clock::duration d) const { return time_.now() - last_heard_ > d; }
  bool is_joined() const { return state_ == State::kJoined; }

 private:
  enum class State { kJoining, kJoined, kLost, kGone };
  const TimeSource& time_;
  const Clock::duration heartbeat_interval_;
  const Clock::duration head_lost_after_;
  const Clock::duration rejoin_interval_;
  Clock::time_point last_heard_{};
  Clock::time_point next_heartbeat_{};
  Clock::time_point next_rejoin_{};
  State state_ = State::kJoining;
};

}  // namespace ist::rt
