// Helpers the elastic tests share: a scripted event in one line, and a run's history as text for
// failure messages. Test-only.
#pragma once

#include <cstdint>
#include <string>

#include "actors/fault_script.h"
#include "ist/round_record.h"

namespace ist::actors::testing {

inline ScriptedEvent scripted(ScriptedEvent::Kind kind, std::int64_t round, int worker) {
  ScriptedEvent e;
  e.kind = kind;
  e.round = round;
  e.worker = worker;
  return e;
}

// "3 [trainer_lost] 2 ...": live trainers and event kinds of every round.
inline std::string history_of(const RunResult& r) {
  std::string history;
  for (const RoundRecord& record : r.records) {
    history += std::to_string(record.live_workers);
    for (const RoundEvent& e : record.events) history += std::string(" [") + event_kind_name(e.kind) + "]";
    history += " ";
  }
  return history;
}

}  // namespace ist::actors::testing
