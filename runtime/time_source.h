// TimeSource: where liveness bookkeeping (heartbeats, death and head-lost detection) reads the time.
// Nodes use the steady clock; tests pass a ManualClock and move time by hand, so deadlines are tested
// without sleeping. Deadlines of calls and queues (types.h) stay on the steady clock: condition
// variables wait on it.
#pragma once

#include <atomic>

#include "runtime/types.h"

namespace ist::rt {

// @threadsafe
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual Clock::time_point now() const = 0;
};

// The real clock (std::chrono::steady_clock). The one instance lives as long as the process.
const TimeSource& steady_time();

// A clock that moves only when told to. Starts at `start` (default: the clock's epoch). @threadsafe
class ManualClock final : public TimeSource {
 public:
  explicit ManualClock(Clock::time_point start = Clock::time_point{})
      : ticks_(start.time_since_epoch().count()) {}

  Clock::time_point now() const override { return Clock::time_point(Clock::duration(ticks_.load())); }
  // REQUIRES: d >= 0 (time never goes backwards).
  void advance(Clock::duration d) { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<Clock::rep> ticks_;
};

}  // namespace ist::rt
