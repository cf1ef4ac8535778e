// Latency probes: timestamps of a request at each stage of its way through the runtime (client, I/O
// threads, mailbox, actor thread, reply), for bench/runtime/latency_stages.py, which turns them into
// the median time per stage. Compiled in only with -DIST_LATENCY_PROBES=ON; otherwise IST_PROBE is
// nothing. Each process keeps up to kMaxMarks marks and, when IST_PROBE_DIR is set, writes them at exit
// to IST_PROBE_DIR/probes.PID as lines "request_id stage steady_clock_ns" (one clock for every process
// of a host, so marks of two processes compare). @threadsafe
#pragma once

#include <cstdint>

namespace ist::rt::probe {

enum Stage : std::uint8_t {
  kCallMade = 0,      // caller: request() entered
  kCallQueued,        // caller: handed to the I/O thread (queue + wake-up)
  kSendStart,         // sender's I/O thread: took it from the queue
  kSent,              // sender's I/O thread: frames given to ZeroMQ
  kReceived,          // receiver's I/O thread: frames read from the ROUTER
  kDelivered,         // receiver's I/O thread: decoded, admitted, in the mailbox
  kHandlerStart,      // actor thread: woke and took it from the mailbox
  kHandlerDone,       // actor thread: handler returned, reply queued
  kReplySendStart,    // actor node's I/O thread: took the reply from the queue
  kReplySent,         // actor node's I/O thread: reply frames given to ZeroMQ
  kReplyReceived,     // caller node's I/O thread: reply frames read
  kCompleted,         // caller node's I/O thread: future completed
  kCallerWoke,        // caller: wait() returned
};

void mark(std::uint64_t request_id, Stage stage);

}  // namespace ist::rt::probe

#ifdef IST_LATENCY_PROBES
#define IST_PROBE(request_id, stage) ::ist::rt::probe::mark((request_id), ::ist::rt::probe::stage)
#else
#define IST_PROBE(request_id, stage) ((void)0)
#endif
