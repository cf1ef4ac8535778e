#include "runtime/head_watch.h"

namespace ist::rt {

void HeadWatch::joined() {
  heard();
  joined_ = true;
}

bool HeadWatch::heartbeat_due() {
  const auto now = time_.now();
  if (!joined_ || now < next_heartbeat_) return false;
  next_heartbeat_ = now + heartbeat_interval_;
  return true;
}

}  // namespace ist::rt
