#include <gtest/gtest.h>

#include "ist/random.h"
#include "ist/ring_allreduce.h"

namespace ist {
namespace {

TEST(RingAllreduce, EveryWorkerEndsWithTheSum) {
  for (int workers : {1, 2, 3, 4, 7}) {
    for (int length : {1, 5, 64, 1001}) {
      std::vector<std::vector<float>> data(static_cast<std::size_t>(workers));
      std::vector<double> expected(static_cast<std::size_t>(length), 0.0);
      Rng rng(static_cast<std::uint64_t>(workers * 1000 + length));
      std::vector<std::vector<float>*> buffers;
      for (auto& d : data) {
        for (int i = 0; i < length; ++i) {
          d.push_back(static_cast<float>(rng.uniform_below(100)));  // integers: sums are exact
          expected[static_cast<std::size_t>(i)] += d.back();
        }
        buffers.push_back(&d);
      }
      ring_allreduce_sum_in_process(buffers);
      for (const auto& d : data) {
        for (int i = 0; i < length; ++i) {
          ASSERT_EQ(d[static_cast<std::size_t>(i)], expected[static_cast<std::size_t>(i)])
              << "W=" << workers << " length=" << length << " i=" << i;
        }
      }
    }
  }
}

TEST(RingAllreduce, ChunksCoverTheBufferAndDifferByAtMostOne) {
  std::int64_t next = 0;
  for (int c = 0; c < 4; ++c) {
    ChunkRange r = ring_chunk(10, 4, c);
    EXPECT_EQ(r.begin, next);
    EXPECT_TRUE(r.size() == 2 || r.size() == 3);
    next = r.end;
  }
  EXPECT_EQ(next, 10);
}

TEST(RingAllreduce, EachWorkerSendsTwiceWMinusOneOverWOfTheBuffer) {
  EXPECT_EQ(ring_floats_sent_per_worker(4000, 4, 0), 2 * 3 * 1000);
  EXPECT_EQ(ring_floats_sent_per_worker(4000, 1, 0), 0);
}

}  // namespace
}  // namespace ist
