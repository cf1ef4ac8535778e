#include "runtime/time_source.h"

namespace ist::rt {

namespace {

class SteadyTimeSource final : public TimeSource {
 public:
  Clock::time_point now() const override { return Clock::now(); }
};

}  // namespace

const TimeSource& steady_time() {
  static const SteadyTimeSource steady;
  return steady;
}

}  // namespace ist::rt
