#include "runtime/stranger_queue.h"

#include <utility>

namespace ist::rt {

namespace {
std::size_t cost(const Envelope& env) {
  return env.payload.byte_size() + env.header.method.size() + env.header.src_endpoint.size() +
         env.header.error_message.size();
}
}  // namespace

bool StrangerQueue::hold(Envelope env) {
  const std::size_t n = cost(env);
  if (held_.size() >= limits_.max_messages || n > limits_.max_bytes - bytes_) return false;
  bytes_ += n;
  held_.push_back(Held{time_.now(), std::move(env)});
  return true;
}

std::vector<Envelope> StrangerQueue::release(NodeId node) {
  std::vector<Envelope> out;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->env.header.src_node != node) {
      ++it;
      continue;
    }
    bytes_ -= cost(it->env);
    out.push_back(std::move(it->env));
    it = held_.erase(it);
  }
  return out;
}

std::size_t StrangerQueue::expire() {
  const auto now = time_.now();
  std::size_t dropped = 0;
  while (!held_.empty() && now - held_.front().since > limits_.hold_for) {
    bytes_ -= cost(held_.front().env);
    held_.pop_front();
    ++dropped;
  }
  return dropped;
}

}  // namespace ist::rt
