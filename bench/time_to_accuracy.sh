#!/usr/bin/env bash
# Time to a target test accuracy (default 0.84) for IST, data parallel and local SGD on Fashion-MNIST:
# 4 trainers, 784-2048-2048-10, the same shards, each run from its example config with
#   --set algorithm.target_accuracy=TARGET --set algorithm.eval_every=2 --set algorithm.epochs=EPOCHS
# under `timeout CAP`. Prints a table (from each run's metrics.jsonl, so a run cut by the cap still
# counts up to its last finished round) and writes an HTML report of all runs.
#
# Usage: bench/time_to_accuracy.sh [OUT_DIR]         (default: a new temporary directory)
# Environment:
#   IST=path/to/ist          the program (default: build/cli/ist)
#   TARGET=0.84  EPOCHS=10  CAP=900 (seconds per run)
#   EXTRA="data_parallel:0.1 local_sgd:0.05"   further runs with another learning rate (ALGO:LR)
# Runs one at a time: each run starts 4 worker processes of its own.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IST="${IST:-$ROOT/build/cli/ist}"
TARGET="${TARGET:-0.84}"
EPOCHS="${EPOCHS:-10}"
CAP="${CAP:-900}"
EXTRA="${EXTRA:-}"
OUT="${1:-$(mktemp -d /tmp/time_to_accuracy.XXXXXX)}"
mkdir -p "$OUT"
command -v python3 >/dev/null || { echo "python3 is needed to read the results" >&2; exit 1; }
[ -x "$IST" ] || { echo "no ist program at $IST (build it: ninja -C build ist)" >&2; exit 1; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $(date '+%Y-%m-%d %H:%M')"
echo "ist: $IST; target $TARGET; at most $EPOCHS epochs and $CAP s per run; results in $OUT"

dirs=()
run() {  # run NAME CONFIG [--set ...]
  local name="$1" config="$2"
  shift 2
  local dir="$OUT/$name"
  rm -rf "$dir"
  echo "--- $name: $config $* (load average $(cut -d' ' -f1-2 /proc/loadavg))"
  local start=$SECONDS code=0
  timeout "$CAP" "$IST" run "$ROOT/$config" --out "$dir" --quiet \
    --set "algorithm.target_accuracy=$TARGET" --set algorithm.eval_every=2 --set "algorithm.epochs=$EPOCHS" "$@" \
    || code=$?
  echo "    exit $code after $((SECONDS - start)) s$([ "$code" = 124 ] && echo " (cut by the $CAP s cap)")"
  echo "$code" > "$dir/.exit_code" 2>/dev/null || true
  dirs+=("$dir")
}

run ist examples/fashion_mnist_ist.toml
run data_parallel examples/fashion_mnist_data_parallel.toml
run local_sgd examples/fashion_mnist_local_sgd.toml
for extra in $EXTRA; do
  algo="${extra%%:*}" lr="${extra#*:}"
  run "${algo}_lr$lr" "examples/fashion_mnist_${algo}.toml" --set "algorithm.learning_rate=$lr"
done

python3 - "$TARGET" "${dirs[@]}" <<'PY'
import json, os, sys
target = float(sys.argv[1])
rows = []
for d in sys.argv[2:]:
    name = os.path.basename(d)
    records = []
    path = os.path.join(d, "metrics.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
    lr = None
    cfg = os.path.join(d, "config.toml")
    if os.path.exists(cfg):
        for line in open(cfg):
            if line.strip().startswith("learning_rate"):
                lr = "%.4g" % float(line.split("=")[1].split("#")[0].strip())
    code = open(os.path.join(d, ".exit_code")).read().strip() if os.path.exists(os.path.join(d, ".exit_code")) else "?"
    evals = [r for r in records if r.get("test_accuracy") is not None]
    hit = next((r for r in evals if r["test_accuracy"] >= target), None)
    best = max(evals, key=lambda r: r["test_accuracy"]) if evals else None
    at = hit or best
    last = records[-1] if records else None
    rows.append((name, lr, "yes" if hit else "no",
                 f"{at['wall_seconds']:.1f}" if at else "-",
                 f"{at['epochs']:.2f}" if at else "-",
                 str(at["round"]) if at else "-",
                 f"{at['bytes_total'] / 1e9:.2f}" if at else "-",
                 f"{at['test_accuracy']:.4f}" if at else "-",
                 f"{last['wall_seconds']:.0f}/{last['epochs']:.2f}/{last['round']}" if last else "-",
                 code))
head = ("algorithm", "lr", f"reached {target}", "wall s", "epochs", "rounds", "total GB", "accuracy",
        "run end s/epochs/rounds", "exit")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
fmt = "  ".join("{:<%d}" % w for w in widths)
print()
print(fmt.format(*head))
for r in rows:
    print(fmt.format(*[str(x) for x in r]))
print(f"\nwall s, epochs, rounds, total GB and accuracy are at the first evaluation at or above {target};"
      " if none, at the best evaluation. Total GB: bytes sent + received by all workers up to then"
      " (metrics.jsonl bytes_total). Wall s: from the first round (worker start-up not counted).")
PY

"$IST" report "${dirs[@]}" -o "$OUT/report.html" && echo "report: $OUT/report.html"
