#include "actors/ring.h"

#include <chrono>
#include <cstring>
#include <span>
#include <string>

#include "actors/tensor_frames.h"
#include "ist/ring_allreduce.h"

namespace ist::actors {

namespace {

// Tags: sequence in the high bits, then the phase (0 reduce-scatter, 1 all-gather), then the step.
std::uint64_t ring_tag(std::uint64_t sequence, int phase, int step) {
  return (sequence << 24) | (static_cast<std::uint64_t>(phase) << 20) | static_cast<std::uint64_t>(step);
}

rt::Payload chunk_payload(const std::vector<float>& buffer, ChunkRange r, RingSendBuffers* send_buffers) {
  rt::Payload p;
  const float* first = buffer.data() + r.begin;
  const auto count = static_cast<std::size_t>(r.size());
  p.blobs.push_back(send_buffers != nullptr ? send_buffers->copy_of(first, count)
                                            : rt::Blob::copy_of(first, sizeof(float) * count));
  return p;
}

Result<std::span<const float>> chunk_of(const rt::Payload& p, ChunkRange expected) {
  if (p.blobs.size() != 1 || p.blobs[0].size() != sizeof(float) * static_cast<std::size_t>(expected.size())) {
    return Status::decode_failure("ring chunk of unexpected size (expected " + std::to_string(expected.size()) +
                                  " floats)");
  }
  return p.blobs[0].as<float>();
}

}  // namespace

struct RingSendBuffers::Storage final : rt::Blob::Storage {
  std::vector<float> values;
};

rt::Blob RingSendBuffers::copy_of(const float* values, std::size_t count) {
  std::shared_ptr<Storage> free;
  for (const std::shared_ptr<Storage>& storage : pool_) {
    if (writable_again(storage)) {
      free = storage;
      break;
    }
  }
  if (free == nullptr) free = pool_.emplace_back(std::make_shared<Storage>());
  free->values.assign(values, values + count);  // within its capacity after the first time: no allocation
  return rt::Blob::adopt(free, std::as_bytes(std::span<const float>(free->values)));
}

Status ring_allreduce_sum(rt::ActorContext& ctx, const std::vector<rt::ActorHandle>& ring, int rank,
                          std::uint64_t sequence, std::vector<float>& buffer, rt::Deadline deadline,
                          RingStats* stats, RingSendBuffers* send_buffers) {
  const int workers = static_cast<int>(ring.size());
  if (workers <= 1) return Status::ok_status();
  const auto start = std::chrono::steady_clock::now();
  const auto length = static_cast<std::int64_t>(buffer.size());
  const rt::ActorHandle& next = ring[static_cast<std::size_t>((rank + 1) % workers)];
  const int previous = (rank + workers - 1) % workers;
  std::int64_t sent = 0;
  for (int step = 0; step + 1 < workers; ++step) {
    const ChunkRange out = ring_chunk(length, workers, ring_send_chunk(rank, workers, step));
    ctx.send(next, ring_tag(sequence, 0, step), chunk_payload(buffer, out, send_buffers));
    sent += out.size();
    auto message = ctx.receive(ring_tag(sequence, 0, step), deadline);
    if (!message.ok()) return message.status().with_context("ring reduce-scatter step " + std::to_string(step));
    const ChunkRange in = ring_chunk(length, workers, ring_send_chunk(previous, workers, step));
    IST_ASSIGN_OR_RETURN(std::span<const float> values, chunk_of(*message, in));
    for (std::int64_t i = 0; i < in.size(); ++i) {
      buffer[static_cast<std::size_t>(in.begin + i)] += values[static_cast<std::size_t>(i)];
    }
  }
  for (int step = 0; step + 1 < workers; ++step) {
    const ChunkRange out = ring_chunk(length, workers, ring_gather_chunk(rank, workers, step));
    ctx.send(next, ring_tag(sequence, 1, step), chunk_payload(buffer, out, send_buffers));
    sent += out.size();
    auto message = ctx.receive(ring_tag(sequence, 1, step), deadline);
    if (!message.ok()) return message.status().with_context("ring all-gather step " + std::to_string(step));
    const ChunkRange in = ring_chunk(length, workers, ring_gather_chunk(previous, workers, step));
    IST_ASSIGN_OR_RETURN(std::span<const float> values, chunk_of(*message, in));
    if (in.size() > 0) std::memcpy(buffer.data() + in.begin, values.data(), sizeof(float) * static_cast<std::size_t>(in.size()));
  }
  if (stats != nullptr) {
    stats->bytes_sent += 4 * sent;
    stats->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return Status::ok_status();
}

}  // namespace ist::actors
