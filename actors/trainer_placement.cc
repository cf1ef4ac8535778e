#include "actors/trainer_placement.h"

namespace ist::actors {

bool hosts_trainers(const rt::Member& m) {
  return m.role == rt::NodeRole::kWorker;
}

}  // namespace ist::actors
