// shard_indices: which examples a trainer owns. Every trainer computes the same seeded order from the
// labels alone and keeps its own contiguous part of it, so shards are disjoint and cover everything
// without any coordination.
#include <algorithm>
#include <numeric>
#include <string>

#include "ist/data.h"
#include "ist/random.h"

namespace ist {

Result<std::vector<std::int64_t>> shard_indices(const std::vector<std::int32_t>& labels, const ShardSpec& spec) {
  const auto n = static_cast<std::int64_t>(labels.size());
  if (spec.num_shards < 1) {
    return Status::invalid_argument("shard spec: num_shards must be at least 1, got " +
                                    std::to_string(spec.num_shards));
  }
  if (spec.shard < 0 || spec.shard >= spec.num_shards) {
    return Status::invalid_argument("shard spec: shard " + std::to_string(spec.shard) + " is outside [0, " +
                                    std::to_string(spec.num_shards) + ")");
  }
  if (spec.num_shards > n) {
    return Status::invalid_argument("shard spec: " + std::to_string(spec.num_shards) + " shards but only " +
                                    std::to_string(n) + " examples");
  }

  // The order depends on the seed and the labels only, never on W or the shard, so all trainers agree.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  Rng rng(derive_seed(spec.seed, {kSeedShard}));
  shuffle_in_place(order, rng);
  if (spec.policy == ShardPolicy::kLabelSkew) {
    // Stable: examples of one label keep their seeded random order.
    std::stable_sort(order.begin(), order.end(), [&labels](std::int64_t a, std::int64_t b) {
      return labels[static_cast<std::size_t>(a)] < labels[static_cast<std::size_t>(b)];
    });
  }

  // The first n % W parts get one extra example.
  const std::int64_t w = spec.num_shards;
  const std::int64_t s = spec.shard;
  const std::int64_t base = n / w;
  const std::int64_t extra = n % w;
  const std::int64_t begin = s * base + std::min(s, extra);
  const std::int64_t end = begin + base + (s < extra ? 1 : 0);
  std::vector<std::int64_t> part(order.begin() + begin, order.begin() + end);
  std::sort(part.begin(), part.end());
  return part;
}

}  // namespace ist
