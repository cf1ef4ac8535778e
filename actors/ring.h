// The ring all-reduce between trainer actors, peer to peer over the runtime's tagged channels, following
// exactly the schedule of ist/ring_allreduce.h (so its sums equal the in-process reference bit for bit).
// Called from inside an actor's handler by every member of the ring at once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "runtime/actor.h"

namespace ist::actors {

struct RingStats {
  std::int64_t bytes_sent = 0;
  double seconds = 0.0;
};

// The blobs a member sends its chunks in, kept from one all-reduce to the next: a chunk is copied into a
// blob whose earlier frames ZeroMQ has let go of, so a member allocates no send buffer per chunk and step
// once the ring runs (only while earlier chunks are still queued). One per member; its actor thread only.
class RingSendBuffers {
 public:
  // A blob holding a copy of the count floats at values.
  rt::Blob copy_of(const float* values, std::size_t count);
  // How many send buffers exist (for tests and benchmarks).
  std::size_t allocated() const { return pool_.size(); }

 private:
  struct Storage;
  std::vector<std::shared_ptr<Storage>> pool_;
};

// Sums `buffer` element-wise across the ring; afterwards every member holds the same sum. Chunks are sent
// from send_buffers when given, else from new blobs.
// `sequence` must be the same on every member for one all-reduce and differ between all-reduces (it
// names the messages). Errors: timeout (a peer did not send before the deadline), decode_failure (a
// chunk of the wrong size). REQUIRES: ring.size() >= 1, ring[rank] is this actor.
Status ring_allreduce_sum(rt::ActorContext& ctx, const std::vector<rt::ActorHandle>& ring, int rank,
                          std::uint64_t sequence, std::vector<float>& buffer, rt::Deadline deadline,
                          RingStats* stats = nullptr, RingSendBuffers* send_buffers = nullptr);

}  // namespace ist::actors
