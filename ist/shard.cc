// shard_indices: which examples a trainer owns. Every trainer computes the same seeded order from the
// labels alone and keeps its own contiguous part of it, so shards are disjoint and cover everything
// without any coordination. A holdout (data.holdout) is taken out first, by its own seed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "ist/data.h"
#include "ist/random.h"

namespace ist {

namespace {

struct HoldoutParts {
  std::vector<std::int64_t> held_out;  // ascending
  std::vector<std::int64_t> kept;      // ascending
};

std::string fraction_text(double fraction) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", fraction);
  return text;
}

// A seeded random round(fraction x n) of the n examples are held out; the order depends on the seed only.
Result<HoldoutParts> split_holdout(std::int64_t n, const Holdout& holdout) {
  if (!(holdout.fraction > 0.0 && holdout.fraction < 1.0)) {
    return Status::invalid_argument("data.holdout: must be a fraction between 0 and 1 (exclusive), got " +
                                    fraction_text(holdout.fraction));
  }
  const auto held = static_cast<std::int64_t>(std::llround(holdout.fraction * static_cast<double>(n)));
  if (held < 1 || held > n - 1) {
    return Status::invalid_argument("data.holdout: " + fraction_text(holdout.fraction) + " of " + std::to_string(n) +
                                    " examples holds out " + std::to_string(held) +
                                    "; the test and the training part each need at least one example");
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  Rng rng(derive_seed(holdout.seed, {kSeedHoldout}));
  shuffle_in_place(order, rng);
  HoldoutParts parts;
  parts.held_out.assign(order.begin(), order.begin() + held);
  parts.kept.assign(order.begin() + held, order.end());
  std::sort(parts.held_out.begin(), parts.held_out.end());
  std::sort(parts.kept.begin(), parts.kept.end());
  return parts;
}

}  // namespace

Result<std::vector<std::int64_t>> shard_indices(const std::vector<std::int32_t>& labels, const ShardSpec& spec) {
  const auto n = static_cast<std::int64_t>(labels.size());
  if (spec.holdout.fraction != 0.0) {
    IST_ASSIGN_OR_RETURN(HoldoutParts parts, split_holdout(n, spec.holdout));
    if (spec.holdout.held_out_part) return std::move(parts.held_out);
    // The shards of the kept examples, as if the file held only them; indices mapped back to the file's.
    std::vector<std::int32_t> kept_labels;
    kept_labels.reserve(parts.kept.size());
    for (std::int64_t i : parts.kept) kept_labels.push_back(labels[static_cast<std::size_t>(i)]);
    ShardSpec without = spec;
    without.holdout = Holdout{};
    IST_ASSIGN_OR_RETURN(std::vector<std::int64_t> part, shard_indices(kept_labels, without));
    for (std::int64_t& i : part) i = parts.kept[static_cast<std::size_t>(i)];
    return part;  // ascending: both kept and part are
  }
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
