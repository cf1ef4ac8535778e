// The per-round partition of hidden neurons (IST step 1): for every hidden layer separately, a uniform
// random permutation of its H neurons cut into S groups whose sizes differ by at most one. Any H and any
// 1 <= S <= H. Groups are stored sorted, so with S = 1 the only subnet is the full net in its own order.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace ist {

struct SubnetPlan {
  std::int64_t round = 0;
  int num_subnets = 0;
  // groups[l][s]: the neurons of hidden layer l given to subnet s, ascending.
  std::vector<std::vector<std::vector<std::int32_t>>> groups;

  // neurons[l] for subnet s.
  std::vector<std::vector<std::int32_t>> neurons_of(int subnet) const;
};

// A fresh plan for one round, a pure function of (hidden_widths, num_subnets, seed, round).
// Errors: invalid_argument if num_subnets < 1 or exceeds some hidden layer's width (naming the layer),
// or if there are no hidden layers.
Result<SubnetPlan> make_partition(const std::vector<int>& hidden_widths, int num_subnets, std::uint64_t seed,
                                  std::int64_t round);

}  // namespace ist
