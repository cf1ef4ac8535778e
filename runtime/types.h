// Small value types shared by every part of the runtime: node and actor ids, deadlines.
#pragma once

#include <chrono>
#include <cstdint>

namespace ist::rt {

// A node's identity: random, fresh every time a node process starts (a node that comes back is new).
// 0 means "no node".
using NodeId = std::uint64_t;
// An actor's id, unique within its node and never reused while the node lives. 0 is the node's client
// context (a non-actor caller such as a driver's main thread).
using ActorId = std::uint64_t;

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// A deadline `d` from now. Every blocking call in the runtime takes one.
inline Deadline deadline_in(Clock::duration d) { return Clock::now() + d; }

}  // namespace ist::rt
