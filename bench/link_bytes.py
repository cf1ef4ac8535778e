#!/usr/bin/env python3
"""Per-round time and bytes per host link of IST runs, from their metrics.jsonl.

Usage: bench/link_bytes.py RUN_DIR...   (e.g. the run directories bench/slow_link.sh leaves)
Worker host: bytes_sent_per_worker + bytes_received_per_worker (each worker's own traffic). Driver host:
driver_bytes when the run measured it (cluster.model_owner = "partitioned": the plan only), else every
live worker's slices both ways. Gathers (partitioned: the model brought to the driver for an evaluation or
a checkpoint, full model size over the driver's link) are counted apart: gather_seconds is not part of
round_seconds.
"""
import json
import statistics
import sys

print("| run | rounds | median s/round | worker host MB/round | driver host MB/round | gathers | median s/gather |")
print("|---|---|---|---|---|---|---|")
for run in sys.argv[1:]:
    records = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
    worker = [r["bytes_sent_per_worker"] + r["bytes_received_per_worker"] for r in records]
    driver = [r.get("driver_bytes", (r["bytes_sent_per_worker"] + r["bytes_received_per_worker"]) * r["live_workers"])
              for r in records]
    gathers = [r["gather_seconds"] for r in records if r.get("gather_seconds", 0) > 0]
    print(f"| {run.rstrip('/').split('/')[-1]} | {len(records)} | {statistics.median(r['round_seconds'] for r in records):.3f} "
          f"| {statistics.median(worker) / 1e6:.2f} | {statistics.median(driver) / 1e6:.4f} | {len(gathers)} "
          f"| {statistics.median(gathers) if gathers else 0:.2f} |")
