#include "runtime/future.h"

#include <algorithm>
#include <thread>

#include "runtime/latency_probe.h"

namespace ist::rt {

namespace {

// A loopback reply often lands within tens of microseconds, about 100 on a busy 2-core machine: the
// waiter yield-spins this long before it sleeps on the condition variable, whose wake-up (futex wake,
// then the scheduler) cost about 17 us of a 105 us call there (bench/results/runtime_latency.txt; 50 us
// of spinning was too short on that machine). Yielding lets other threads of the machine run meanwhile.
constexpr auto kSpin = std::chrono::microseconds(200);

}  // namespace

bool CallState::complete(Result<Payload> r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_.has_value()) return false;
    result_.emplace(std::move(r));
    done_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  return true;
}

bool CallState::wait_until(Deadline until) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, std::min(until, deadline_), [&] { return result_.has_value(); });
}

Result<Payload>& CallState::wait() {
  const auto spin_until = std::min(deadline_, Clock::now() + kSpin);
  while (!done_.load(std::memory_order_acquire) && Clock::now() < spin_until) std::this_thread::yield();
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline_, [&] { return result_.has_value(); })) {
    result_.emplace(Status::timeout("no reply before the deadline"));
  }
  IST_PROBE(probe_id, kCallerWoke);
  return *result_;
}

}  // namespace ist::rt
