// Internal: which outbound connections (one DEALER per peer endpoint) are up, and since when the
// others are down. Pure bookkeeping, no sockets: NodeCore feeds it the DEALERs' monitor events and asks
// which endpoints have been unreachable too long, so calls to a process that died fail within a grace
// period even when no head is there to announce the death. Time comes from a TimeSource (tests use a
// ManualClock). Touched only by the node's I/O thread (not @threadsafe).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/time_source.h"
#include "runtime/types.h"

namespace ist::rt {

class PeerLinks {
 public:
  // `time` must outlive the links.
  explicit PeerLinks(const TimeSource& time) : time_(time) {}

  // A DEALER to `endpoint` was created: down (not connected yet) from now.
  void opened(const std::string& endpoint);
  // The connection came up (ZMQ_EVENT_CONNECTED). Unknown endpoints are ignored.
  void up(const std::string& endpoint);
  // The connection went down (ZMQ_EVENT_DISCONNECTED); silence is counted from the first of a run of
  // downs, so retries that keep failing do not restart it. Unknown endpoints are ignored.
  void down(const std::string& endpoint);
  // The DEALER was closed: forgotten.
  void closed(const std::string& endpoint);

  // Endpoints down (or never up) for longer than `grace`, reported on every call while they stay down.
  std::vector<std::string> down_longer_than(Clock::duration grace) const;
  bool is_up(const std::string& endpoint) const;
  // The connection was up once and is down now: the process there has most likely exited (a paused one
  // keeps its connection), so messages queued for it wait for a reconnect that may never come.
  bool dropped(const std::string& endpoint) const;

 private:
  struct Link {
    bool up = false;
    bool was_up = false;
    Clock::time_point down_since{};
  };
  const TimeSource& time_;
  std::unordered_map<std::string, Link> links_;
};

}  // namespace ist::rt
