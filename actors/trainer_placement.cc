#include "actors/trainer_placement.h"

namespace ist::actors {

bool hosts_trainers(const rt::Member& m) {
  return !m.is_head && m.name.rfind("driver", 0) != 0 && m.name != "status" && m.name != "start-probe";
}

}  // namespace ist::actors
