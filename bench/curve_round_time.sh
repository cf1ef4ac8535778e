#!/usr/bin/env bash
# What CURVE encryption costs a training round of the main job (examples/fashion_mnist_ist.toml: IST,
# 784-2048-2048-10, 4 workers, R = 20) on an embedded cluster: PAIRS runs with CURVE (the default) and
# PAIRS with --insecure (plain TCP), alternating so the machine's load falls on both alike. Each run trains
# ROUNDS rounds; the figure per run is the median of the driver's round_seconds in metrics.jsonl (sending
# the work to the merged model; evaluation and checkpoints left out), the first round left out (start-up);
# the table gives every run's median and the median over runs of each kind.
# Usage: bench/curve_round_time.sh     Environment: IST=path/to/ist (default build/cli/ist), PAIRS=3, ROUNDS=12
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IST="${IST:-$ROOT/build/cli/ist}"
PAIRS="${PAIRS:-3}"
ROUNDS="${ROUNDS:-12}"
[ -x "$IST" ] || { echo "no ist program at $IST (build it: cmake --build build --target ist)" >&2; exit 1; }
OUT="$(mktemp -d /tmp/curve_round_time.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "command: bench/curve_round_time.sh (PAIRS=$PAIRS ROUNDS=$ROUNDS)"

run() {  # $1: name, $2...: extra flags
  local name="$1"
  shift
  "$IST" run "$ROOT/examples/fashion_mnist_ist.toml" --embedded --quiet --out "$OUT/$name" \
    --set "algorithm.rounds=$ROUNDS" --set algorithm.epochs=0 --set "algorithm.eval_every=$ROUNDS" \
    --set checkpoint.every=0 "$@" >"$OUT/log-$name" 2>&1 || { cat "$OUT/log-$name" >&2; exit 1; }
}
for i in $(seq 1 "$PAIRS"); do
  run "curve-$i"
  run "plain-$i" --insecure
done
python3 - "$OUT" "$PAIRS" <<'PY'
import json, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
medians = {"curve": [], "plain": []}
for i in range(1, pairs + 1):
    for kind in ("curve", "plain"):
        with open(f"{out}/{kind}-{i}/metrics.jsonl") as f:
            rounds = [json.loads(line)["round_seconds"] for line in f if line.strip()][1:]
        m = statistics.median(rounds)
        medians[kind].append(m)
        print(f"run {i}, {'CURVE     ' if kind == 'curve' else 'plain TCP '}: median round {m * 1000:.1f} ms over {len(rounds)} rounds")
c, p = statistics.median(medians["curve"]), statistics.median(medians["plain"])
print(f"round time, median over {pairs} alternating runs each: plain TCP {p * 1000:.1f} ms, CURVE {c * 1000:.1f} ms "
      f"({(c / p - 1) * 100:+.1f}%)")
PY
