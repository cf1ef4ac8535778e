// MembershipQueue: how a subscriber hears that nodes joined, left or died.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "base/status.h"
#include "runtime/handle.h"
#include "runtime/types.h"

namespace ist::rt {

// Events in the order the node learned them. The node's I/O thread pushes; any thread may call next().
// @threadsafe
class MembershipQueue {
 public:
  // The oldest unread event, waiting until the deadline (kTimeout) or until the node stops (kCancelled).
  Result<MembershipEvent> next(Deadline deadline);
  // Non-blocking: the number of unread events.
  std::size_t size() const;

  // Runtime internals.
  void push(const MembershipEvent& e);
  void close();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MembershipEvent> events_;  // GUARDED_BY(mu_)
  bool closed_ = false;                 // GUARDED_BY(mu_)
};

}  // namespace ist::rt
