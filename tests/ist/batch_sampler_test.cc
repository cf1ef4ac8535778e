// BatchSampler: the cursor is the whole state; epochs are permutations; the short tail is skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "ist/data.h"

namespace ist {
namespace {

// Row i has features (i, -i) and label i % 7, so a batch row tells which example it is.
Dataset numbered_rows(int n) {
  Dataset data;
  data.features.resize(n, 2);
  for (int i = 0; i < n; ++i) {
    data.features(i, 0) = static_cast<float>(i);
    data.features(i, 1) = -static_cast<float>(i);
    data.labels.push_back(i % 7);
  }
  data.num_classes = 7;
  return data;
}

std::vector<int> draw_rows(BatchSampler& sampler, int batch_size) {
  Matrix x;
  std::vector<std::int32_t> y;
  sampler.next(batch_size, x, y);
  EXPECT_EQ(x.rows(), batch_size);
  EXPECT_EQ(x.cols(), 2);
  std::vector<int> rows;
  for (Index i = 0; i < x.rows(); ++i) {
    const int row = static_cast<int>(x(i, 0));
    EXPECT_EQ(x(i, 1), -x(i, 0));
    EXPECT_EQ(y[static_cast<std::size_t>(i)], row % 7) << "label travels with its row";
    rows.push_back(row);
  }
  return rows;
}

TEST(BatchSampler, EqualCursorsGiveEqualBatches) {
  const Dataset data = numbered_rows(50);
  BatchSampler a(data, BatchCursor{5, 0, 0});
  for (int i = 0; i < 7; ++i) draw_rows(a, 8);  // into the second epoch
  BatchSampler b(data, a.cursor());               // a fresh sampler from the saved cursor
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(draw_rows(a, 8), draw_rows(b, 8)) << "batch " << i;
    EXPECT_EQ(a.cursor(), b.cursor());
  }
}

TEST(BatchSampler, EachEpochVisitsEveryRowExactlyOnce) {
  const Dataset data = numbered_rows(100);
  BatchSampler sampler(data, BatchCursor{1, 0, 0});
  for (std::int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int> rows;
    for (int b = 0; b < 10; ++b) {
      const std::vector<int> batch = draw_rows(sampler, 10);
      rows.insert(rows.end(), batch.begin(), batch.end());
    }
    std::sort(rows.begin(), rows.end());
    std::vector<int> all(100);
    for (int i = 0; i < 100; ++i) all[static_cast<std::size_t>(i)] = i;
    EXPECT_EQ(rows, all) << "epoch " << epoch;
    EXPECT_EQ(sampler.cursor(), (BatchCursor{1, epoch + 1, 0}));
  }
}

TEST(BatchSampler, SkipsTheTailThatCannotFillABatch) {
  const Dataset data = numbered_rows(103);
  BatchSampler sampler(data, BatchCursor{2, 0, 0});
  std::set<int> first_epoch;
  for (int b = 0; b < 10; ++b) {
    for (int row : draw_rows(sampler, 10)) EXPECT_TRUE(first_epoch.insert(row).second) << "row " << row << " twice";
  }
  EXPECT_EQ(sampler.cursor(), (BatchCursor{2, 0, 100}));
  draw_rows(sampler, 10);  // the 3 leftover rows are skipped: this batch opens epoch 1
  EXPECT_EQ(sampler.cursor(), (BatchCursor{2, 1, 10}));
}

TEST(BatchSampler, EpochsAndSeedsGiveDifferentOrders) {
  const Dataset data = numbered_rows(64);
  BatchSampler a(data, BatchCursor{1, 0, 0});
  BatchSampler other_seed(data, BatchCursor{2, 0, 0});
  const std::vector<int> epoch0 = draw_rows(a, 64);
  const std::vector<int> epoch1 = draw_rows(a, 64);
  EXPECT_NE(epoch0, epoch1);
  EXPECT_NE(epoch0, draw_rows(other_seed, 64));
}

TEST(BatchSamplerDeathTest, StopsLoudlyOnABatchLargerThanTheDataSet) {
  const Dataset data = numbered_rows(10);
  BatchSampler sampler(data, BatchCursor{});
  Matrix x;
  std::vector<std::int32_t> y;
  EXPECT_DEATH(sampler.next(11, x, y), "batch size 11 outside");
}

}  // namespace
}  // namespace ist
