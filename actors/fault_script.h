// Scripted events: the faults and membership changes a config schedules for reproducible experiments
// ([[events]] in a driver config). They sit beside the round protocol, not inside it: a trainer's fault
// is armed by its own message (TrainerBackend::arm_fault) before the round's work is sent, workers are
// added through the backend, and the driver's own death happens after a round's record is out.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "actors/trainer_backend.h"
#include "actors/trainer_pool.h"
#include "base/status.h"
#include "ist/round_record.h"

namespace ist::actors {

// A fault or membership change scripted in the config.
struct ScriptedEvent {
  enum class Kind {
    kKillWorker,  // in round `round`, trainer `worker` (index among this round's trainers) dies halfway (exit)
    kSlowWorker,  // for `rounds` rounds from `round`, trainer `worker` sleeps delay_ms after every step
    kAddWorkers,  // before round `round`, `count` worker nodes are started (needs a backend that can add)
    kLeaveWorker,  // halfway through round `round`, trainer `worker`'s node is told to stop (SIGTERM): a
                   // graceful leave, which finishes the round first
    kKillDriver,  // after round `round` (and its checkpoint), the driver's process dies (SIGKILL);
                  // a resumed run ignores it
  };
  Kind kind = Kind::kKillWorker;
  std::int64_t round = 1;  // 1-based, as in the metrics
  int worker = 0;
  int count = 1;
  int delay_ms = 0;
  int rounds = 1;
};

class FaultScript {
 public:
  explicit FaultScript(std::vector<ScriptedEvent> events);
  // This run continues from a checkpoint: it does not die again by kKillDriver.
  void mark_resumed() { resumed_ = true; }

  // Before round `round` (0-based) takes in membership: starts the scripted workers and waits (up to
  // join_wait_for_adds) for them to join the pool. Errors: the backend's, or the pool's.
  Status before_round(std::int64_t round, TrainerBackend& backend, TrainerPool& pool, RoundRecord& record,
                      std::chrono::milliseconds join_wait_for_adds);
  // After the pool is ready for round `round`: slowdowns that start now, on live[worker].
  void start_slowdowns(std::int64_t round, const std::vector<PooledTrainer*>& live, RoundRecord& record);
  // The fault to arm on `trainer`, which takes subnet `subnet` in round `round` (empty for most).
  FaultPlan fault_for(std::int64_t round, int subnet, const PooledTrainer& trainer, RoundRecord& record) const;
  // After round `record.round`'s record went out: the driver's scripted death (SIGKILL to itself).
  void after_round_published(const RoundRecord& record) const;

 private:
  struct Slowdown {
    int delay_ms = 0;
    std::int64_t until = 0;  // slow while round (0-based) < until
  };
  std::vector<ScriptedEvent> events_;
  bool resumed_ = false;
  std::map<TrainerId, Slowdown> slowdowns_;
};

}  // namespace ist::actors
