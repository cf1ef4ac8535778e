// query_members: read a head's member table from outside the cluster, as `ray status` reads the control
// store. For short-lived tools (`ist status`, `ist start` waiting for its workers): the asker never joins,
// so no joined/left event is ever announced for it and running drivers see no membership change.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cluster_key.h"
#include "runtime/handle.h"
#include "runtime/types.h"

namespace ist::rt {

// Asks the head at `head_endpoint` (e.g. "tcp://10.0.0.1:6380") for its alive members, over a private
// DEALER socket that is closed again before returning. The head answers on that same connection, so the
// asker needs no endpoint of its own (it may sit behind NAT). @threadsafe: each call has its own socket.
// Errors: kTimeout (no answer before `deadline`, e.g. nothing listens there), kInvalidArgument (the
// endpoint cannot be connected to, or the node there is not the head), kProtocolMismatch /
// kDecodeFailure (the head speaks another protocol, or its answer is malformed), kIoError (ZeroMQ).
// With `key`, the query is a CURVE client of the cluster: a secured head answers only holders of its key
// (a wrong or missing key is refused at the handshake, and the query times out).
Result<std::vector<Member>> query_members(const std::string& head_endpoint, Deadline deadline,
                                          const ClusterKey* key = nullptr);

}  // namespace ist::rt
