// Which worker nodes of a started cluster each run of a sweep gets, so that runs go side by side without
// sharing a node: a run of W trainers takes min(W, all workers) free nodes, and gives them back when it
// ends. Plain values, no I/O; one thread.
#pragma once

#include <optional>
#include <vector>

#include "runtime/handle.h"

namespace ist::cli {

class NodeSlots {
 public:
  // workers: the cluster's alive worker nodes, in the order runs should take them.
  explicit NodeSlots(std::vector<rt::NodeId> workers) : free_(std::move(workers)), total_(free_.size()) {}

  // The nodes a run of `trainers` trainers takes: min(trainers, every worker); at least one.
  std::size_t needed(int trainers) const;
  // Takes needed(trainers) free nodes (the first free ones), or nothing when fewer are free.
  std::optional<std::vector<rt::NodeId>> take(int trainers);
  // Returns nodes taken earlier.
  void give_back(const std::vector<rt::NodeId>& nodes);
  std::size_t free() const { return free_.size(); }

 private:
  std::vector<rt::NodeId> free_;
  std::size_t total_;
};

}  // namespace ist::cli
