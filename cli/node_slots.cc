#include "cli/node_slots.h"

#include <algorithm>

namespace ist::cli {

std::size_t NodeSlots::needed(int trainers) const {
  return std::clamp<std::size_t>(trainers > 0 ? static_cast<std::size_t>(trainers) : 1, 1, std::max<std::size_t>(total_, 1));
}

std::optional<std::vector<rt::NodeId>> NodeSlots::take(int trainers) {
  const std::size_t n = needed(trainers);
  if (free_.size() < n) return std::nullopt;
  std::vector<rt::NodeId> taken(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(n));
  free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(n));
  return taken;
}

void NodeSlots::give_back(const std::vector<rt::NodeId>& nodes) {
  free_.insert(free_.end(), nodes.begin(), nodes.end());
}

}  // namespace ist::cli
