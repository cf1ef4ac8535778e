#include "runtime/peer_links.h"

namespace ist::rt {

void PeerLinks::opened(const std::string& endpoint) {
  links_[endpoint] = Link{false, false, time_.now()};
}

void PeerLinks::up(const std::string& endpoint) {
  auto it = links_.find(endpoint);
  if (it != links_.end()) it->second.up = it->second.was_up = true;
}

void PeerLinks::down(const std::string& endpoint) {
  auto it = links_.find(endpoint);
  if (it == links_.end() || !it->second.up) return;
  it->second = Link{false, true, time_.now()};
}

void PeerLinks::closed(const std::string& endpoint) {
  links_.erase(endpoint);
}

std::vector<std::string> PeerLinks::down_longer_than(Clock::duration grace) const {
  const auto now = time_.now();
  std::vector<std::string> out;
  for (const auto& [ep, link] : links_) {
    if (!link.up && now - link.down_since > grace) out.push_back(ep);
  }
  return out;
}

bool PeerLinks::is_up(const std::string& endpoint) const {
  auto it = links_.find(endpoint);
  return it != links_.end() && it->second.up;
}

bool PeerLinks::dropped(const std::string& endpoint) const {
  auto it = links_.find(endpoint);
  return it != links_.end() && it->second.was_up && !it->second.up;
}

}  // namespace ist::rt
