// Internal: a node's view of its head's liveness: when the next heartbeat is due, and whether the head
// has been silent too long. Pure bookkeeping, no sockets: NodeCore sends the heartbeats, logs and sets
// head_lost. Touched only by the node's I/O thread (not @threadsafe), except that start() runs before
// the I/O thread does.
#pragma once

#include "runtime/time_source.h"
#include "runtime/types.h"

namespace ist::rt {

class HeadWatch {
 public:
  // `time` must outlive the watch. REQUIRES: heartbeat_interval > 0.
  HeadWatch(const TimeSource& time, Clock::duration heartbeat_interval, Clock::duration head_lost_after)
      : time_(time), heartbeat_interval_(heartbeat_interval), head_lost_after_(head_lost_after) {}

  // The node starts: silence is counted from now.
  void start() { last_heard_ = time_.now(); }
  // The head accepted the join: it was heard now, and heartbeats start (the first one is due at once).
  void joined();
  // Any answer from the head (e.g. a heartbeat ack, even one that says this node is dead).
  void heard() { last_heard_ = time_.now(); }

  // True if a heartbeat should be sent now; then the next one is due one interval later. Never true
  // before joined().
  bool heartbeat_due();
  // True while the head has been silent for longer than head_lost_after.
  bool head_silent_too_long() const { return time_.now() - last_heard_ > head_lost_after_; }

 private:
  const TimeSource& time_;
  const Clock::duration heartbeat_interval_;
  const Clock::duration head_lost_after_;
  Clock::time_point last_heard_{};
  Clock::time_point next_heartbeat_{};
  bool joined_ = false;
};

}  // namespace ist::rt
