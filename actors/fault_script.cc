#include "actors/fault_script.h"

#include <signal.h>

#include <string>

namespace ist::actors {

FaultScript::FaultScript(std::vector<ScriptedEvent> events) : events_(std::move(events)) {}

Status FaultScript::before_round(std::int64_t round, TrainerBackend& backend, TrainerPool& pool, RoundRecord& record,
                                 std::chrono::milliseconds join_wait_for_adds) {
  for (const ScriptedEvent& e : events_) {
    if (e.round != round + 1 || e.kind != ScriptedEvent::Kind::kAddWorkers) continue;
    IST_RETURN_IF_ERROR(backend.add_workers(e.count).with_context("scripted add of workers"));
    record.events.push_back(RoundEvent{RoundEvent::Kind::kScriptedAdd, -1, -1, 0, e.count, ""});
    IST_RETURN_IF_ERROR(pool.admit_membership_events(record, rt::deadline_in(join_wait_for_adds), e.count));
  }
  return Status::ok_status();
}

void FaultScript::start_slowdowns(std::int64_t round, const std::vector<PooledTrainer*>& live, RoundRecord& record) {
  for (const ScriptedEvent& e : events_) {
    if (e.round != round + 1 || e.kind != ScriptedEvent::Kind::kSlowWorker) continue;
    if (e.worker < 0 || e.worker >= static_cast<int>(live.size())) continue;
    slowdowns_[live[static_cast<std::size_t>(e.worker)]->id] = Slowdown{e.delay_ms, round + e.rounds};
    record.events.push_back(
        RoundEvent{RoundEvent::Kind::kScriptedSlow, e.worker, -1, 0, e.rounds, std::to_string(e.delay_ms)});
  }
}

FaultPlan FaultScript::fault_for(std::int64_t round, int subnet, const PooledTrainer& trainer, RoundRecord& record) const {
  FaultPlan plan;
  if (const auto it = slowdowns_.find(trainer.id); it != slowdowns_.end() && it->second.until > round) {
    plan.step_delay_ms = it->second.delay_ms;
  }
  for (const ScriptedEvent& e : events_) {
    if (e.round != round + 1 || e.worker != subnet) continue;
    if (e.kind == ScriptedEvent::Kind::kKillWorker) {
      plan.crash_midway = true;
      record.events.push_back(RoundEvent{RoundEvent::Kind::kScriptedKill, subnet, -1, 0, round + 1, ""});
    }
    if (e.kind == ScriptedEvent::Kind::kLeaveWorker) {
      plan.leave_midway = true;
      record.events.push_back(RoundEvent{RoundEvent::Kind::kScriptedLeave, subnet, -1, 0, round + 1, ""});
    }
  }
  return plan;
}

void FaultScript::after_round_published(const RoundRecord& record) const {
  // A resumed run is the recovery from this very event: it does not die again.
  if (resumed_) return;
  for (const ScriptedEvent& e : events_) {
    if (e.kind == ScriptedEvent::Kind::kKillDriver && e.round == record.round) raise(SIGKILL);
  }
}

}  // namespace ist::actors
