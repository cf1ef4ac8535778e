#!/usr/bin/env python3
"""The slow-link table (bench/slow_link.sh): one row per run directory, read from its metrics.jsonl.

Usage: slow_link_table.py --workers W --budgets "30 60 120" RUN_DIR...

Training time is the sum of the driver's round_seconds: evaluations (and checkpoints, start-up) are not
in it, so how often a run evaluates does not change its times. Per run:
- time to 0.84 / 0.86 / 0.88: training seconds up to the first evaluation at or above the target;
- the same projected for one core per worker: all hosts share this machine's cores, so each round's
  compute_seconds is divided by W / cores (at most W trainers compute at once; other load on the machine
  makes the measured compute slower still, so the projection is conservative), its wait_seconds kept;
- best accuracy evaluated within each training-time budget, and the best at all;
- GB per worker: bytes one worker sent + received over the run; the driver's link carries
  live_workers times IST's per-worker bytes;
- compute / wait seconds per round and the wait share; the limit the run hit (see limit()).
"""
import argparse
import json
import os

TARGETS = (0.84, 0.86, 0.88)


def load(directory):
    path = os.path.join(directory, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def config_value(directory, section, key):
    path = os.path.join(directory, "config.toml")
    if not os.path.exists(path):
        return None
    current = ""
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line.startswith("["):
                current = line
            elif current == section and line.split("=")[0].strip() == key:
                return line.split("=", 1)[1].strip()
    return None


def limit(records, wait_share, reached_epochs_cap):
    """What held the run back: accuracy per sample when it trained all its epochs and still plateaued
    below 0.88; otherwise bytes when most of a round was waiting on the network, compute when not."""
    best = max((r["test_accuracy"] for r in records if r.get("test_accuracy") is not None), default=0.0)
    if reached_epochs_cap and best < TARGETS[-1]:
        return "accuracy per sample"
    return "bytes (network)" if wait_share > 0.5 else "compute"


def row(directory, budgets, compute_divisor):
    name = os.path.basename(directory.rstrip("/"))
    records = load(directory)
    lr = config_value(directory, "[algorithm]", "learning_rate") or "-"
    exit_path = os.path.join(directory, ".exit_code")
    code = open(exit_path).read().strip() if os.path.exists(exit_path) else "?"
    if not records:
        return None, name, lr, code
    trained = projected = 0.0
    at, projected_at, best_by = {}, {}, {b: None for b in budgets}
    for r in records:
        compute = r.get("compute_seconds", 0.0)
        trained += r.get("round_seconds", 0.0)
        projected += r.get("wait_seconds", 0.0) + compute / compute_divisor
        acc = r.get("test_accuracy")
        if acc is None:
            continue
        for t in TARGETS:
            if acc >= t and t not in at:
                at[t], projected_at[t] = trained, projected
        for b in budgets:
            if trained <= b:
                best_by[b] = max(acc, best_by[b] or 0.0)
    accs = [r["test_accuracy"] for r in records if r.get("test_accuracy") is not None]
    compute = sum(r.get("compute_seconds", 0.0) for r in records)
    wait = sum(r.get("wait_seconds", 0.0) for r in records)
    rounds = len(records)
    share = wait / (compute + wait) if compute + wait > 0 else 0.0
    epochs_cap = config_value(directory, "[algorithm]", "epochs")
    reached_cap = epochs_cap is not None and records[-1]["epochs"] >= float(epochs_cap) - 1e-6
    gb = sum(r["bytes_sent_per_worker"] + r["bytes_received_per_worker"] for r in records) / 1e9
    subnets = []
    for r in records:
        s = r.get("subnets")
        if s and (not subnets or subnets[-1] != s):
            subnets.append(s)
    cells = [name, lr, "->".join(str(s) for s in subnets) or "-"]
    cells += ["%.1f" % at[t] if t in at else "never" for t in TARGETS]
    cells += ["%.1f" % projected_at[t] if t in projected_at else "-" for t in TARGETS]
    cells += ["%.4f" % best_by[b] if best_by[b] is not None else "-" for b in budgets]
    cells += ["%.4f" % max(accs) if accs else "-", "%.2f" % gb, "%.2f / %.2f" % (compute / rounds, wait / rounds),
              "%.0f%%" % (100 * share), "%.0f s, %.2f ep, %d rounds" % (trained, records[-1]["epochs"], rounds),
              limit(records, share, reached_cap), code]
    return cells, name, lr, code


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--budgets", required=True, help="training seconds, space-separated")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    budgets = [float(b) for b in args.budgets.split()]
    cores = os.cpu_count() or 1
    divisor = max(1.0, args.workers / cores)
    head = (["run", "lr", "S"] + ["to %.2f s" % t for t in TARGETS] +
            ["to %.2f s, 1 core/worker" % t for t in TARGETS] + ["best by %g s" % b for b in budgets] +
            ["best", "GB per worker", "compute / wait s per round", "wait share", "trained", "limit", "exit"])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for d in args.runs:
        cells, name, lr, code = row(d, budgets, divisor)
        if cells is None:
            cells = [name, lr] + ["-"] * (len(head) - 3) + [code]
        print("| " + " | ".join(cells) + " |")
    print()
    print("Times are training seconds: the sum of the driver's round_seconds (metrics.jsonl) up to the first")
    print("evaluation at or above the target; evaluation, checkpoints and start-up are not in them. \"never\": not")
    print("within the run's budget (wall seconds, evaluation included) or its epochs. Compute: the slowest")
    print("trainer's own training time per round; wait: the rest of the round (network, slower trainers, the")
    print("driver's slicing and merging). 1 core/worker: compute divided by %.1f (%d workers sharing %d cores)," %
          (divisor, args.workers, cores))
    print("wait as measured. Limit: accuracy per sample when the run trained all its epochs below 0.88, else")
    print("bytes when most of a round was wait, else compute. Exit 124: stopped at its budget (SIGINT; it")
    print("finished its round and evaluated).")


if __name__ == "__main__":
    main()
