// Internal: the node's table of requests waiting for a reply (call, spawn, kill, join, names), keyed by
// request id. Every entry ends exactly once: its reply (take), its deadline (expire: kTimeout), its
// destination's death or departure (fail), its destination's endpoint unreachable (fail_to), or the
// node stopping (close). A reply that arrives after any of these finds no entry and is dropped.
// @threadsafe
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "runtime/envelope.h"
#include "runtime/future.h"
#include "runtime/types.h"

namespace ist::rt {

class PendingCalls {
 public:
  struct Call {
    std::shared_ptr<CallState> state;
    NodeId dst_node = 0;  // 0: not addressed to a node yet (a join)
    Kind kind = Kind::kCall;
    std::string endpoint;  // where the request went (the destination node's ROUTER endpoint)
  };

  // Registers `call` under `request_id` (REQUIRES: an id not in the table). Returns false, and
  // registers nothing, once close() has run: the caller completes the call itself.
  bool add(std::uint64_t request_id, Call call);
  // Removes and returns the call waiting for this reply; nullopt if there is none (unknown id, or the
  // call timed out or failed already). The caller completes it.
  std::optional<Call> take(std::uint64_t request_id);
  // As take(), but only if the call went to `from` (or to no node yet, as a join): a reply from any other
  // node leaves the call waiting and returns nullopt.
  std::optional<Call> take_from(std::uint64_t request_id, NodeId from);
  // Completes every call to `node` with `status` and forgets them. Returns how many.
  std::size_t fail(NodeId node, const Status& status);
  // Completes every call sent to `endpoint` with `status` and forgets them. Returns how many.
  std::size_t fail_to(const std::string& endpoint, const Status& status);
  // Completes every call with `status`, and refuses later add()s. Returns how many.
  std::size_t close(const Status& status);
  // Completes with kTimeout every call whose deadline is before `now`. Returns how many.
  std::size_t expire(Clock::time_point now);
  std::size_t size() const;

 private:
  template <typename Pred>
  std::size_t complete_if(Pred pred, const Status& status);

  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, Call> calls_;  // GUARDED_BY(mu_)
  bool closed_ = false;                            // GUARDED_BY(mu_)
};

}  // namespace ist::rt
