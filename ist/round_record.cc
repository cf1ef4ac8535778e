#include "ist/round_record.h"

#include <cstdio>

namespace ist {

namespace {
std::string hex_node(std::uint64_t node) {
  char text[32];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(node));
  return text;
}
}  // namespace

std::string describe(const RoundEvent& e) {
  using K = RoundEvent::Kind;
  const std::string trainer = std::to_string(e.trainer);
  const std::string count = std::to_string(e.count);
  switch (e.kind) {
    case K::kTrainerLost:
      return "trainer on node " + hex_node(e.node) + " (shard " + std::to_string(e.shard) + ") lost: " + e.detail;
    case K::kPrivateShardLost:
      return "private data: shard " + std::to_string(e.shard) + " (" + count + " examples, " + e.detail +
             " of the training set) left with its worker";
    case K::kTrainerJoined: return "node " + hex_node(e.node) + " joined: trainer added";
    case K::kJoinNotUsed: return "node " + hex_node(e.node) + " joined; private placement has no data for it: not used";
    case K::kJoinFailed: return "node " + hex_node(e.node) + " joined but its trainer did not start: " + e.detail;
    case K::kDataRecut: return "shared data re-cut into " + count + " shards (" + e.detail + ")";
    case K::kSliceLate:
      return "slice of trainer " + trainer + " late (round deadline " + count + " ms): dropped for this round";
    case K::kBelowMinWorkers: return "below min_workers (" + count + "): waiting for joins";
    case K::kScriptedKill: return "scripted: trainer " + trainer + " dies halfway through round " + count;
    case K::kScriptedLeave: return "scripted: trainer " + trainer + "'s node leaves halfway through round " + count;
    case K::kScriptedSlow:
      return "scripted: trainer " + trainer + " slowed by " + e.detail + " ms per step for " + count + " round(s)";
    case K::kScriptedAdd: return "scripted: " + count + " worker node(s) started";
    case K::kCheckpointWritten: return "checkpoint of round " + count + " written";
    case K::kCheckpointFailed: return "checkpoint of round " + count + " failed: " + e.detail;
    case K::kInterrupted: return "interrupted: stopping after this round";
    case K::kResumed: return "resumed from the checkpoint after round " + count;
    case K::kHeadLost:
      return "lost the head at " + e.detail + ": training on without it; no joins until it is back";
    case K::kHeadRejoined:
      return "joined the head at " + e.detail + " again (head node " + hex_node(e.node) + ")";
    case K::kShardRestored:
      if (e.count < 0) {
        return "model shard " + std::to_string(e.shard) + " handed over by its owner as its node left (" + e.detail + ")";
      }
      return "model shard " + std::to_string(e.shard) + " restored " +
             (e.count > 0 ? "from the checkpoint of round " + count : std::string("to its initial values")) + " (" +
             e.detail + ")";
    case K::kOwnersChanged: return "model shared by " + count + " owners from now on (" + e.detail + ")";
    case K::kEvaluationSkipped: return "evaluation skipped: its model could not be gathered: " + e.detail;
  }
  return "unknown event " + std::to_string(static_cast<int>(e.kind));
}

const char* event_kind_name(RoundEvent::Kind kind) {
  using K = RoundEvent::Kind;
  switch (kind) {
    case K::kTrainerLost: return "trainer_lost";
    case K::kPrivateShardLost: return "private_shard_lost";
    case K::kTrainerJoined: return "trainer_joined";
    case K::kJoinNotUsed: return "join_not_used";
    case K::kJoinFailed: return "join_failed";
    case K::kDataRecut: return "data_recut";
    case K::kSliceLate: return "slice_late";
    case K::kBelowMinWorkers: return "below_min_workers";
    case K::kScriptedKill: return "scripted_kill";
    case K::kScriptedLeave: return "scripted_leave";
    case K::kScriptedSlow: return "scripted_slow";
    case K::kScriptedAdd: return "scripted_add";
    case K::kCheckpointWritten: return "checkpoint_written";
    case K::kCheckpointFailed: return "checkpoint_failed";
    case K::kInterrupted: return "interrupted";
    case K::kResumed: return "resumed";
    case K::kHeadLost: return "head_lost";
    case K::kHeadRejoined: return "head_rejoined";
    case K::kShardRestored: return "shard_restored";
    case K::kOwnersChanged: return "owners_changed";
    case K::kEvaluationSkipped: return "evaluation_skipped";
  }
  return "unknown";
}

int RoundRecord::count_events(RoundEvent::Kind kind) const {
  int n = 0;
  for (const RoundEvent& e : events) n += e.kind == kind ? 1 : 0;
  return n;
}

int RunResult::count_events(RoundEvent::Kind kind) const {
  int n = 0;
  for (const RoundRecord& r : records) n += r.count_events(kind);
  return n;
}

}  // namespace ist
