// Ring all-reduce, the bandwidth-optimal sum used by the data-parallel and local-SGD baselines:
// W workers in a ring, each buffer cut into W chunks; W-1 reduce-scatter steps (worker i sends chunk
// (i - k) mod W to worker i+1, which adds it to its own), then W-1 all-gather steps (the finished chunk
// travels on). This file fixes the chunk boundaries and the order of every addition, and runs the whole
// schedule in one process: the distributed ring (actors/) follows the same schedule, so both give the same
// sums bit for bit.
#pragma once

#include <cstdint>
#include <vector>

namespace ist {

struct ChunkRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

// Chunk c of a buffer of `length` floats cut into `workers` chunks whose sizes differ by at most one.
ChunkRange ring_chunk(std::int64_t length, int workers, int chunk);

// In reduce-scatter step k (0 <= k < W-1), the chunk worker `rank` sends to rank+1; it receives chunk
// ring_send_chunk(rank - 1, k) from rank-1 and adds it into its own copy.
int ring_send_chunk(int rank, int workers, int step);
// In all-gather step k (0 <= k < W-1), the finished chunk worker `rank` sends to rank+1 (which overwrites
// its copy).
int ring_gather_chunk(int rank, int workers, int step);

// Runs the whole ring schedule in process: afterwards every buffer holds the element-wise sum, with
// additions in exactly the ring's order. REQUIRES: all buffers have equal length; at least one buffer.
void ring_allreduce_sum_in_process(std::vector<std::vector<float>*>& buffers);

// Floats one worker sends (and, by symmetry, receives) in one ring all-reduce of `length` floats:
// 2 (W-1)/W * length, exactly, counting uneven chunks.
std::int64_t ring_floats_sent_per_worker(std::int64_t length, int workers, int rank);

}  // namespace ist
