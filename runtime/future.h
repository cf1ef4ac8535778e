// Future<T>: the eventual answer to a request (call, spawn, kill, lookup), with the deadline the request
// was made with. The node's I/O thread completes it; any thread may wait on it.
// Every outcome is a Result: the reply's value, the remote error (kUnknownMethod, kRemoteFailure, ...),
// kNodeDead / kActorDied when the destination dies, kTimeout when the deadline passes, kCancelled when
// the local node stops.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "base/status.h"
#include "runtime/payload.h"
#include "runtime/types.h"

namespace ist::rt {

// Shared between the waiting Future and the node's table of pending requests. @threadsafe
class CallState {
 public:
  explicit CallState(Deadline deadline) : deadline_(deadline) {}

  // Completes the request; later completions are ignored (first one wins). Returns true if it won.
  bool complete(Result<Payload> r);
  // Blocks until completed or the deadline passes; on timeout completes the state with kTimeout.
  // Yield-spins a little first (future.cc says why and how long).
  Result<Payload>& wait();
  // Blocks until completed or `until` (whichever is first), without completing it: true when completed.
  bool wait_until(Deadline until);
  bool ready() const {
    std::lock_guard<std::mutex> lock(mu_);
    return result_.has_value();
  }
  Deadline deadline() const { return deadline_; }
#ifdef IST_LATENCY_PROBES
  std::uint64_t probe_id = 0;  // the request id, for the kCallerWoke mark
#endif

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<Payload>> result_;  // GUARDED_BY(mu_)
  std::atomic<bool> done_{false};          // result_ is set (lets wait() spin without the lock)
  const Deadline deadline_;
};

template <typename T>
class Future {
 public:
  using Convert = Result<T> (*)(Result<Payload>&&);

  Future(std::shared_ptr<CallState> state, Convert convert) : state_(std::move(state)), convert_(convert) {}

  // A future that already holds `status` (e.g. the destination is known dead).
  static Future failed(Status status, Convert convert) {
    auto s = std::make_shared<CallState>(Clock::now());
    s->complete(std::move(status));
    return Future(std::move(s), convert);
  }

  // Blocks until the reply or the deadline. Returns the outcome; may be called repeatedly (each call
  // returns a copy of the same outcome; Blob copies share their bytes). @threadsafe
  Result<T> get() const { return convert_(Result<Payload>(state_->wait())); }
  // Like get(), keeping only the status.
  Status wait() const { return state_->wait().status(); }
  // True once an outcome exists (never blocks).
  bool ready() const { return state_->ready(); }

 private:
  std::shared_ptr<CallState> state_;
  Convert convert_;
};

}  // namespace ist::rt
