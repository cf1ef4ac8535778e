// Actor types used by the runtime tests, registered both in the test programs and in the test node
// program (runtime_test_node) that LocalCluster launches.
//   "Echo":  echo(args+blobs) -> same; sleep(ms) -> ms; throw() throws; fail() -> kInvalidArgument;
//            add(n) -> running total; pid() -> the hosting process id.
//   "Guarded": an Echo with add() only, callable only by the node that spawned it (spawner_only).
//   "Peer":  exchange(peer, tag, value) + blobs: sends (value, blobs) to peer on tag, then returns what
//            the peer sent on the same tag. call_peer(peer, x) -> the peer's echo(x), called directly.
//   "Farewell": remember() keeps its caller (ActorContext::caller); sleep(ms) -> ms, after telling its caller
//            it sleeps (an empty message on kSleepingTag); when its node leaves
//            gracefully (on_node_leaving) it sends the remembered caller pack_args(int calls handled)
//            on kFarewellTag.
#pragma once

#include <cstdint>

namespace ist::rt::testing {

inline constexpr std::uint64_t kFarewellTag = 77;
inline constexpr std::uint64_t kSleepingTag = 78;

// Idempotent; call before starting nodes.
void register_test_actors();

}  // namespace ist::rt::testing
