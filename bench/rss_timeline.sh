#!/usr/bin/env bash
# Resident memory over time of every process of one `ist run` (the driver and its embedded cluster's
# processes: head, workers, whose trainers are actors in them), sampled every 50 ms from /proc/PID/status.
# Where memory_by_width.sh gives peaks only, this shows what a peak is made of: a trainer's RSS after it
# loaded its shard (its resting level) and during each round's training, the driver's during the rounds
# and the evaluations. Prints, per process, its peak and its RSS at every change of 8 MiB or more.
#
# Usage: bench/rss_timeline.sh WIDTHS S     e.g. bench/rss_timeline.sh 784-8192-8192-10 2
#        Environment: IST=path/to/ist (default build/cli/ist), ROUNDS=2
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IST="${IST:-$ROOT/build/cli/ist}"
ROUNDS="${ROUNDS:-2}"
[ $# -eq 2 ] || { echo "usage: bench/rss_timeline.sh WIDTHS S   (e.g. 784-8192-8192-10 2)" >&2; exit 2; }
[ -x "$IST" ] || { echo "no ist program at $IST (build it: cmake --build build --target ist)" >&2; exit 1; }
WIDTHS="$1" S="$2"
OUT="$(mktemp -d /tmp/rss_timeline.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "command: bench/rss_timeline.sh $WIDTHS $S (ROUNDS=$ROUNDS)"

descendants() {
  local kids
  kids="$(cat /proc/"$1"/task/*/children 2>/dev/null || true)"
  for k in $kids; do
    echo "$k"
    descendants "$k"
  done
}

"$IST" run "$ROOT/examples/fashion_mnist_ist.toml" --embedded --quiet --out "$OUT/run" \
  --set "model.widths=[${WIDTHS//-/,}]" --set "cluster.workers=$S" --set "algorithm.rounds=$ROUNDS" \
  --set algorithm.epochs=0 --set "algorithm.eval_every=$ROUNDS" >"$OUT/log" 2>&1 &
driver=$!
start=$(date +%s%N)
while kill -0 "$driver" 2>/dev/null; do
  now=$(( ($(date +%s%N) - start) / 1000000 ))
  for pid in "$driver" $(descendants "$driver"); do
    rss="$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null || true)"
    [ -n "$rss" ] && echo "$now $pid $rss"
  done >>"$OUT/samples"
  sleep 0.05
done
wait "$driver" || { echo "the run failed:" >&2; tail -5 "$OUT/log" >&2; exit 1; }

python3 - "$OUT/samples" "$driver" <<'PY'
import collections, sys
series = collections.defaultdict(list)
for line in open(sys.argv[1]):
    ms, pid, kib = line.split()
    series[pid].append((int(ms) / 1000, int(kib) / 1024))
for pid, samples in series.items():
    kind = "driver" if pid == sys.argv[2] else "node process"
    points, last = [], None
    for t, mib in samples:
        if last is None or abs(mib - last) >= 8:
            points.append(f"{t:.1f}s:{mib:.0f}")
            last = mib
    print(f"{kind} {pid}: peak {max(m for _, m in samples):.0f} MiB; MiB over time: {' '.join(points)}")
PY
