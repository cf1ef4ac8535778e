#include "ist/ring_allreduce.h"

namespace ist {

namespace {
int mod(int a, int m) { return ((a % m) + m) % m; }
}  // namespace

ChunkRange ring_chunk(std::int64_t length, int workers, int chunk) {
  const std::int64_t base = length / workers;
  const std::int64_t larger = length % workers;
  const std::int64_t begin = chunk * base + (chunk < larger ? chunk : larger);
  return {begin, begin + base + (chunk < larger ? 1 : 0)};
}

int ring_send_chunk(int rank, int workers, int step) { return mod(rank - step, workers); }

int ring_gather_chunk(int rank, int workers, int step) { return mod(rank + 1 - step, workers); }

void ring_allreduce_sum_in_process(std::vector<std::vector<float>*>& buffers) {
  const int workers = static_cast<int>(buffers.size());
  if (workers <= 1) return;
  const auto length = static_cast<std::int64_t>(buffers[0]->size());
  std::vector<std::vector<float>> incoming(static_cast<std::size_t>(workers));  // reused by every step
  for (int step = 0; step + 1 < workers; ++step) {
    // All sends of a step happen "at once": compute every incoming chunk from the pre-step state.
    for (int rank = 0; rank < workers; ++rank) {
      const ChunkRange r = ring_chunk(length, workers, ring_send_chunk(rank, workers, step));
      const auto& src = *buffers[static_cast<std::size_t>(rank)];
      incoming[static_cast<std::size_t>(mod(rank + 1, workers))].assign(src.begin() + r.begin,
                                                                        src.begin() + r.end);
    }
    for (int rank = 0; rank < workers; ++rank) {
      const int chunk = ring_send_chunk(mod(rank - 1, workers), workers, step);
      const ChunkRange r = ring_chunk(length, workers, chunk);
      auto& dst = *buffers[static_cast<std::size_t>(rank)];
      const auto& in = incoming[static_cast<std::size_t>(rank)];
      for (std::int64_t i = 0; i < r.size(); ++i) dst[static_cast<std::size_t>(r.begin + i)] += in[static_cast<std::size_t>(i)];
    }
  }
  for (int step = 0; step + 1 < workers; ++step) {
    for (int rank = 0; rank < workers; ++rank) {
      const int chunk = ring_gather_chunk(rank, workers, step);
      const ChunkRange r = ring_chunk(length, workers, chunk);
      const auto& src = *buffers[static_cast<std::size_t>(rank)];
      auto& dst = *buffers[static_cast<std::size_t>(mod(rank + 1, workers))];
      // Sends within a step touch distinct chunks of distinct buffers, so in-place order is harmless.
      std::copy(src.begin() + r.begin, src.begin() + r.end, dst.begin() + r.begin);
    }
  }
}

std::int64_t ring_floats_sent_per_worker(std::int64_t length, int workers, int rank) {
  std::int64_t sent = 0;
  for (int step = 0; step + 1 < workers; ++step) {
    sent += ring_chunk(length, workers, ring_send_chunk(rank, workers, step)).size();
    sent += ring_chunk(length, workers, ring_gather_chunk(rank, workers, step)).size();
  }
  return sent;
}

}  // namespace ist
