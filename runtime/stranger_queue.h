// Internal: messages from a node this node does not know as a member yet, held briefly and bounded.
// A driver that just joined may spawn on a worker before the head's "joined" announcement reaches that
// worker (two connections, no order between them): its messages wait here and are handed back when the
// announcement comes. Everything else that waits here (an attacker's, a departed node's) is dropped when
// it expires or when the queue is full: the queue never holds more than `max_messages` envelopes nor
// more than `max_bytes` payload bytes, whoever sends them, and nothing it drops is answered.
// Pure bookkeeping, no sockets; time comes from a TimeSource. I/O thread only (not @threadsafe).
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "runtime/envelope.h"
#include "runtime/time_source.h"
#include "runtime/types.h"

namespace ist::rt {

class StrangerQueue {
 public:
  struct Limits {
    std::size_t max_messages = 64;
    std::size_t max_bytes = std::size_t{4} << 20;
    Clock::duration hold_for = std::chrono::seconds(3);
  };

  // `time` must outlive the queue.
  StrangerQueue(const TimeSource& time, Limits limits) : time_(time), limits_(limits) {}

  // Holds `env` (from env.header.src_node) until released or expired. Returns false, holding nothing,
  // when the message would exceed either limit.
  bool hold(Envelope env);
  // Takes every held message from `node`, in arrival order.
  std::vector<Envelope> release(NodeId node);
  // Drops the messages held longer than hold_for. Returns how many.
  std::size_t expire();
  std::size_t size() const { return held_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  struct Held {
    Clock::time_point since;
    Envelope env;
  };
  const TimeSource& time_;
  const Limits limits_;
  std::deque<Held> held_;  // oldest first
  std::size_t bytes_ = 0;
};

}  // namespace ist::rt
