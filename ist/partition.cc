#include "ist/partition.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "ist/random.h"

namespace ist {

std::vector<std::vector<std::int32_t>> SubnetPlan::neurons_of(int subnet) const {
  std::vector<std::vector<std::int32_t>> neurons;
  neurons.reserve(groups.size());
  for (const auto& layer_groups : groups) neurons.push_back(layer_groups[static_cast<std::size_t>(subnet)]);
  return neurons;
}

Result<SubnetPlan> make_partition(const std::vector<int>& hidden_widths, int num_subnets, std::uint64_t seed,
                                  std::int64_t round) {
  if (hidden_widths.empty()) {
    return Status::invalid_argument("IST needs at least one hidden layer to partition");
  }
  if (num_subnets < 1) {
    return Status::invalid_argument("the number of subnets must be at least 1, got " +
                                    std::to_string(num_subnets));
  }
  SubnetPlan plan;
  plan.round = round;
  plan.num_subnets = num_subnets;
  for (std::size_t l = 0; l < hidden_widths.size(); ++l) {
    const int width = hidden_widths[l];
    if (num_subnets > width) {
      return Status::invalid_argument("cannot cut hidden layer " + std::to_string(l + 1) + " of " +
                                      std::to_string(width) + " neurons into " + std::to_string(num_subnets) +
                                      " subnets (S must not exceed H)");
    }
    std::vector<std::int32_t> order(static_cast<std::size_t>(width));
    std::iota(order.begin(), order.end(), 0);
    Rng rng(derive_seed(seed, {kSeedPartition, static_cast<std::uint64_t>(round), l}));
    shuffle_in_place(order, rng);
    std::vector<std::vector<std::int32_t>> layer_groups(static_cast<std::size_t>(num_subnets));
    const int base = width / num_subnets;
    const int larger = width % num_subnets;  // the first `larger` groups get one extra neuron
    auto next = order.begin();
    for (int s = 0; s < num_subnets; ++s) {
      const int size = base + (s < larger ? 1 : 0);
      auto& group = layer_groups[static_cast<std::size_t>(s)];
      group.assign(next, next + size);
      std::sort(group.begin(), group.end());
      next += size;
    }
    plan.groups.push_back(std::move(layer_groups));
  }
  return plan;
}

}  // namespace ist
