#!/usr/bin/env python3
"""Median time per stage of a small actor call, from the marks of a runtime built with
-DIST_LATENCY_PROBES=ON (runtime/latency_probe.h).

  cmake -S . -B build-probes -G Ninja -DCMAKE_BUILD_TYPE=Release -DIST_LATENCY_PROBES=ON
  cmake --build build-probes -j2 --target runtime_bench
  mkdir -p /tmp/probes && IST_PROBE_DIR=/tmp/probes build-probes/bench/runtime/runtime_bench
  python3 bench/runtime/latency_stages.py /tmp/probes

A message its sender's thread sent itself (the I/O thread idle: NodeCore::try_send_now) is marked
"queued" (or "handler done") only after it was sent: its hand-off stage counts as 0 and the time is in
the send stages. Only calls that ran alone (no other call between their start and their end: the bench's round-trip
phase) and whose every stage was marked are counted."""
import glob
import os
import statistics
import sys

STAGES = ["call made", "call queued", "send start", "sent", "received", "delivered", "handler start",
          "handler done", "reply send start", "reply sent", "reply received", "completed", "caller woke"]
WHAT = [
    "caller: request bookkeeping, envelope, queue + eventfd write",
    "caller node I/O thread wakes (poll returns, eventfd read, queue taken); 0 if sent by the caller",
    "encode + zmq send (by the caller node's I/O thread or the caller)",
    "ZeroMQ + TCP loopback + worker I/O thread wakes, reads, decodes",
    "worker I/O thread: admit, find actor, push to mailbox, notify",
    "actor thread wakes (condition variable)",
    "handler + reply envelope + queue and eventfd write, or the send itself",
    "worker I/O thread wakes, takes the reply; 0 if sent by the actor thread",
    "encode + zmq send of the reply (worker I/O thread or actor thread)",
    "ZeroMQ + TCP loopback + caller I/O thread wakes, reads, decodes",
    "caller I/O thread: find the pending call, complete the future",
    "caller wakes (spin or condition variable)",
]


def main(directory):
    marks = {}
    for path in glob.glob(os.path.join(directory, "probes.*")):
        with open(path) as f:
            for line in f:
                rid, stage, ns = line.split()
                d = marks.setdefault(int(rid), {})
                d.setdefault(int(stage), int(ns))  # the first mark of a stage (wait() may run twice)
    direct_calls = direct_replies = 0
    for m in marks.values():
        if len(m) != len(STAGES):
            continue
        if m[1] > m[2]:  # sent by the caller's thread: queued after it was sent
            m[1] = m[2]
            direct_calls += 1
        if m[7] > m[8]:  # the reply sent by the actor's thread
            m[7] = m[8]
            direct_replies += 1
    complete = sorted((m for m in marks.values() if len(m) == len(STAGES)), key=lambda m: m[0])
    alone = [m for i, m in enumerate(complete)
             if (i == 0 or complete[i - 1][len(STAGES) - 1] < m[0])
             and (i + 1 == len(complete) or m[len(STAGES) - 1] < complete[i + 1][0])]
    if not alone:
        sys.exit("latency_stages: no complete call that ran alone in " + directory)
    print(f"{len(alone)} calls that ran alone (of {len(marks)} request ids marked; {direct_calls} calls and "
          f"{direct_replies} replies of all complete ones sent by their own thread); median us per stage:")
    total = 0.0
    for s in range(1, len(STAGES)):
        med = statistics.median((m[s] - m[s - 1]) / 1e3 for m in alone)
        total += med
        print(f"  {STAGES[s - 1]:>16} -> {STAGES[s]:<16} {med:7.2f}  {WHAT[s - 1]}")
    print(f"  sum of stage medians {total:.2f} us; median end to end "
          f"{statistics.median((m[len(STAGES) - 1] - m[0]) / 1e3 for m in alone):.2f} us")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/probes")
