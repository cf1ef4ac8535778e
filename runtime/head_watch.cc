#include "runtime/head_watch.h"

namespace ist::rt {

void HeadWatch::joined() {
  heard();
  state_ = State::kJoined;
  next_heartbeat_ = time_.now();
}

void HeadWatch::lost() {
  if (state_ == State::kGone) return;
  state_ = State::kLost;
  next_rejoin_ = time_.now();
}

bool HeadWatch::heartbeat_due() {
  const auto now = time_.now();
  if (state_ != State::kJoined || now < next_heartbeat_) return false;
  next_heartbeat_ = now + heartbeat_interval_;
  return true;
}

bool HeadWatch::rejoin_due() {
  const auto now = time_.now();
  if (state_ != State::kLost || now < next_rejoin_) return false;
  next_rejoin_ = now + rejoin_interval_;
  return true;
}

}  // namespace ist::rt
