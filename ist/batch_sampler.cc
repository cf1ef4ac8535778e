// BatchSampler: seeded epochs over a data set. The permutation of an epoch is a pure function of
// (cursor.seed, epoch), so the cursor alone is the sampler's state.
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "ist/data.h"
#include "ist/random.h"

namespace ist {

BatchSampler::BatchSampler(const Dataset& data, BatchCursor start) : data_(data), cursor_(start) {}

void BatchSampler::next(int batch_size, Matrix& x, std::vector<std::int32_t>& y) {
  const std::int64_t n = data_.size();
  if (batch_size <= 0 || batch_size > n) {
    // A broken REQUIRES would read past the permutation; stop loudly instead.
    std::fprintf(stderr, "BatchSampler::next: batch size %d outside [1, %lld]\n", batch_size,
                 static_cast<long long>(n));
    std::abort();
  }
  // The tail that cannot fill a batch is skipped: every batch of an epoch has distinct rows.
  if (cursor_.position < 0) cursor_.position = 0;
  if (cursor_.position + batch_size > n) {
    ++cursor_.epoch;
    cursor_.position = 0;
  }
  if (permutation_epoch_ != cursor_.epoch) {
    permutation_.resize(static_cast<std::size_t>(n));
    std::iota(permutation_.begin(), permutation_.end(), std::int64_t{0});
    Rng rng(derive_seed(cursor_.seed, {kSeedBatchOrder, static_cast<std::uint64_t>(cursor_.epoch)}));
    shuffle_in_place(permutation_, rng);
    permutation_epoch_ = cursor_.epoch;
  }
  x.resize(batch_size, data_.feature_count());
  y.resize(static_cast<std::size_t>(batch_size));
  for (int i = 0; i < batch_size; ++i) {
    const std::int64_t row = permutation_[static_cast<std::size_t>(cursor_.position + i)];
    x.row(i) = data_.features.row(row);
    y[static_cast<std::size_t>(i)] = data_.labels[static_cast<std::size_t>(row)];
  }
  cursor_.position += batch_size;
  // An epoch used up exactly moves on now, so cursor().epoch counts finished epochs.
  if (cursor_.position == n) {
    ++cursor_.epoch;
    cursor_.position = 0;
  }
}

}  // namespace ist
