#include "runtime/pending_calls.h"

#include <utility>
#include <vector>

namespace ist::rt {

bool PendingCalls::add(std::uint64_t request_id, Call call) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  calls_.emplace(request_id, std::move(call));
  return true;
}

std::optional<PendingCalls::Call> PendingCalls::take(std::uint64_t request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(request_id);
  if (it == calls_.end()) return std::nullopt;
  Call c = std::move(it->second);
  calls_.erase(it);
  return c;
}

std::optional<PendingCalls::Call> PendingCalls::take_from(std::uint64_t request_id, NodeId from) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(request_id);
  if (it == calls_.end() || (it->second.dst_node != 0 && it->second.dst_node != from)) return std::nullopt;
  Call c = std::move(it->second);
  calls_.erase(it);
  return c;
}

// Completes outside the lock: a completion wakes waiters, which may at once register new calls.
template <typename Pred>
std::size_t PendingCalls::complete_if(Pred pred, const Status& status) {
  std::vector<std::shared_ptr<CallState>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = calls_.begin(); it != calls_.end();) {
      if (pred(it->second)) {
        done.push_back(std::move(it->second.state));
        it = calls_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : done) s->complete(status);
  return done.size();
}

std::size_t PendingCalls::fail(NodeId node, const Status& status) {
  return complete_if([node](const Call& c) { return c.dst_node == node; }, status);
}

std::size_t PendingCalls::fail_to(const std::string& endpoint, const Status& status) {
  return complete_if([&endpoint](const Call& c) { return c.endpoint == endpoint; }, status);
}

std::size_t PendingCalls::close(const Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  return complete_if([](const Call&) { return true; }, status);
}

std::size_t PendingCalls::expire(Clock::time_point now) {
  return complete_if([now](const Call& c) { return c.state->deadline() < now; },
                     Status::timeout("no reply before the deadline"));
}

std::size_t PendingCalls::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_.size();
}

}  // namespace ist::rt
