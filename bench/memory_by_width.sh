#!/usr/bin/env bash
# Peak resident memory per process kind (driver, trainer) of `ist run` against the model and subnet sizes,
# for several widths and S (the number of trainers), each run a couple of IST rounds of
# examples/fashion_mnist_ist.toml on an embedded cluster. Every process's VmHWM is read from
# /proc/PID/status while it runs (every 50 ms; VmHWM only grows, so the last read is its peak up to then).
# "beyond baseline" subtracts the same process kind on a 784-8-10 model with the same S, so the runtime and
# the data shard are taken out. One subnet = (full hidden widths / S) weights and biases, in float32.
#
# Usage: bench/memory_by_width.sh            Environment: IST=path/to/ist (default build/cli/ist), ROUNDS=2
#        CASES="784-1024-1024-10:4 784-8192-8192-10:2"  (default: the table of issue 13)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IST="${IST:-$ROOT/build/cli/ist}"
ROUNDS="${ROUNDS:-2}"
CASES="${CASES:-784-1024-1024-10:4 784-4096-4096-10:4 784-8192-8192-10:4 784-8192-8192-10:2}"
[ -x "$IST" ] || { echo "no ist program at $IST (build it: cmake --build build --target ist)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed for the table" >&2; exit 1; }
OUT="$(mktemp -d /tmp/memory_by_width.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores," \
  "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "command: bench/memory_by_width.sh (ROUNDS=$ROUNDS CASES=\"$CASES\")"

descendants() {  # all processes below $1
  local kids
  kids="$(cat /proc/"$1"/task/*/children 2>/dev/null || true)"
  for k in $kids; do
    echo "$k"
    descendants "$k"
  done
}

# measure WIDTHS S: prints "driver KiB" and "trainer KiB" (the largest trainer) lines into $OUT/WIDTHS-S
measure() {
  local widths="$1" s="$2" name="$1-$2"
  local list="[${widths//-/,}]"
  "$IST" run "$ROOT/examples/fashion_mnist_ist.toml" --embedded --quiet --out "$OUT/run-$name" \
    --set "model.widths=$list" --set "cluster.workers=$s" --set "algorithm.rounds=$ROUNDS" \
    --set algorithm.epochs=0 --set "algorithm.eval_every=$ROUNDS" >"$OUT/log-$name" 2>&1 &
  local driver=$!
  declare -A peak=()
  while kill -0 "$driver" 2>/dev/null; do
    for pid in "$driver" $(descendants "$driver"); do
      local hwm
      hwm="$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status 2>/dev/null || true)"
      [ -n "$hwm" ] || continue
      if [ -z "${peak[$pid]:-}" ] || [ "$hwm" -gt "${peak[$pid]}" ]; then peak[$pid]=$hwm; fi
    done
    sleep 0.05
  done
  local code=0
  wait "$driver" || code=$?
  if [ "$code" != 0 ]; then
    echo "run $name failed (exit $code):" >&2
    tail -5 "$OUT/log-$name" >&2
    exit 1
  fi
  local trainer=0
  for pid in "${!peak[@]}"; do
    [ "$pid" = "$driver" ] && continue
    [ "${peak[$pid]}" -gt "$trainer" ] && trainer=${peak[$pid]}
  done
  echo "${peak[$driver]} $trainer" >"$OUT/$name"
}

for case in $CASES; do
  widths="${case%%:*}" s="${case#*:}"
  [ -f "$OUT/784-8-10-$s" ] || measure 784-8-10 "$s"
  measure "$widths" "$s"
done

python3 - "$OUT" $CASES <<'PY'
import sys
out, cases = sys.argv[1], sys.argv[2:]
def read(name):
    d, t = open(f"{out}/{name}").read().split()
    return int(d) / 1024, int(t) / 1024  # MiB
def params(widths):
    return sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(len(widths) - 1))
print("| widths | S | full model | one subnet | trainer peak | trainer beyond baseline | driver peak | driver beyond baseline |")
print("|---|---|---|---|---|---|---|---|")
for case in cases:
    w, s = case.split(":")
    s = int(s)
    widths = [int(x) for x in w.split("-")]
    sub = [widths[0]] + [max(1, x // s) for x in widths[1:-1]] + [widths[-1]]
    model, subnet = params(widths) * 4 / 2**20, params(sub) * 4 / 2**20
    d, t = read(f"{w}-{s}")
    bd, bt = read(f"784-8-10-{s}")
    print(f"| {w} | {s} | {model:.1f} MiB | {subnet:.1f} MiB | {t:.0f} MiB | {t - bt:.1f} MiB ({(t - bt) / subnet:.1f}x subnet) "
          f"| {d:.0f} MiB | {d - bd:.0f} MiB ({(d - bd) / model:.1f}x model) |")
PY
