#include "runtime/membership.h"

namespace ist::rt {

Result<MembershipEvent> MembershipQueue::next(Deadline deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] { return !events_.empty() || closed_; })) {
    return Status::timeout("no membership event before the deadline");
  }
  if (events_.empty()) return Status::cancelled("node stopped");
  MembershipEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::size_t MembershipQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.size();
}

void MembershipQueue::push(const MembershipEvent& e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
  }
  cv_.notify_all();
}

void MembershipQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace ist::rt
