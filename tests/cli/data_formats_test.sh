#!/usr/bin/env bash
# Bring your own data: the same slice of Fashion-MNIST, written by a numpy script as .npz, .npy and CSV
# (examples/python/make_small_datasets.py), trains through `ist run` in each format to the same model, bit
# for bit, and the example configs run as they are. A held-out share of the training file stands in for a
# test file, the same in process and distributed. A config naming a label column that is not there fails
# with a message naming it.
# Usage: data_formats_test.sh PATH/TO/ist SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/script_prelude.sh" "$@"

"$PYTHON" "$SRC/examples/python/make_small_datasets.py" "$work/data" 2000 500 >/dev/null
common=(--set name=formats --set model.widths=[784,64,10] --set algorithm.rounds=6 --set algorithm.local_steps=5
        --set algorithm.batch_size=32 --set cluster.workers=2 --set data.input_mean=0 --set data.input_std=1 --quiet)
"$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.path="$work/data/train.npz" \
  --set data.test_path="$work/data/test.npz" --out "$work/npz" || fail "npz run failed"
"$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.format=npy \
  --set data.path="$work/data/train_x.npy" --set data.labels_path="$work/data/train_y.npy" \
  --set data.test_path="$work/data/test_x.npy" --set data.test_labels_path="$work/data/test_y.npy" \
  --out "$work/npy" || fail "npy run failed"
"$IST" run "$SRC/examples/fashion_mnist_csv.toml" "${common[@]}" --set data.path="$work/data/train.csv" \
  --set data.test_path="$work/data/test.csv" --out "$work/csv" || fail "csv run failed"
cmp -s "$work/npz/model.safetensors" "$work/npy/model.safetensors" || fail "npz and npy runs trained different models"
cmp -s "$work/npz/model.safetensors" "$work/csv/model.safetensors" || fail "npz and csv runs trained different models"
"$PYTHON" - "$work/npz/summary.json" <<'PY' || fail "the npz run learned nothing"
import json, sys
assert json.load(open(sys.argv[1]))["final_test_accuracy"] > 0.3  # chance is 0.1
PY

# ist run and ist simulate of the npz example with the common settings and "$@", into $work/NAME-run and
# $work/NAME-sim: both must succeed and train the same model bit for bit.
run_and_simulate() {
  local name=$1
  shift
  "$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" "$@" --out "$work/$name-run" || fail "$name: the run failed"
  "$IST" simulate "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" "$@" --out "$work/$name-sim" \
    || fail "$name: the simulation failed"
  cmp -s "$work/$name-run/model.safetensors" "$work/$name-sim/model.safetensors" \
    || fail "$name: the cluster and the in-process reference trained different models"
}

# A held-out share of the training file instead of a test file: the cluster and the in-process reference
# hold out the same examples and train the same model, and the trainers train on the rest only.
holdout=(--set data.path="$work/data/train.npz" --set data.test_path= --set data.holdout=0.2 --set data.holdout_seed=11)
run_and_simulate holdout "${holdout[@]}"
"$PYTHON" - "$work" <<'PY' || fail "the held-out share is not what was asked for"
import json, sys, tomllib
work = sys.argv[1]
data = tomllib.load(open(f"{work}/holdout-run/config.toml", "rb"))["data"]
assert (data["holdout"], data["holdout_seed"], data["test_path"]) == (0.2, 11, ""), data
for kind in ("run", "sim"):
    summary = json.load(open(f"{work}/holdout-{kind}/summary.json"))
    assert summary["examples_per_worker"] == [800, 800], summary  # 2000 less the 400 held out, in two shards
    assert summary["final_test_accuracy"] > 0.3, summary
PY
if "$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.path="$work/data/train.npz" \
     --set data.holdout=0.2 --out "$work/both" >"$work/both.txt" 2>&1; then
  fail "a holdout beside a test file was accepted"
fi
grep -q "data.test_path.*data.holdout" "$work/both.txt" || fail "the error does not name both keys: $(cat "$work/both.txt")"

if "$IST" run "$SRC/examples/fashion_mnist_csv.toml" "${common[@]}" --set data.path="$work/data/train.csv" \
     --set data.test_path="$work/data/test.csv" --set data.label_column=klass --out "$work/bad" >"$work/bad.txt" 2>&1; then
  fail "a missing label column was accepted"
fi
grep -q "no column named 'klass'" "$work/bad.txt" || fail "the error does not name the column: $(cat "$work/bad.txt")"

# Private data for real: three workers, three files, each trainer on its own whole file. ist simulate
# (every worker in one process) and ist run (a trainer per worker process) train the same model, and
# their metrics count each file's rows.
"$PYTHON" - "$work/data" <<'PY'
import numpy as np, sys
d = np.load(sys.argv[1] + "/train.npz")
for w, part in enumerate(np.array_split(np.arange(len(d["y"])), 3)):
    np.savez(f"{sys.argv[1]}/worker-{w}.npz", x=d["x"][part], y=d["y"][part])
PY
private=(--set data.path="$work/data/worker-{worker}.npz" --set data.test_path="$work/data/test.npz"
         --set data.placement=private --set cluster.workers=3)
run_and_simulate private "${private[@]}"
"$PYTHON" - "$work" <<'PY' || fail "the metrics do not count each worker's file"
import json, sys
import numpy as np
work = sys.argv[1]
rows = [len(np.load(f"{work}/data/worker-{w}.npz")["y"]) for w in range(3)]
for kind in ("run", "sim"):
    lines = [json.loads(l) for l in open(f"{work}/private-{kind}/metrics.jsonl")]
    assert all(l["examples_per_worker"] == rows for l in lines), (rows, [l["examples_per_worker"] for l in lines])
    assert json.load(open(f"{work}/private-{kind}/summary.json"))["examples_per_worker"] == rows
PY
rm "$work/data/worker-2.npz"
if "$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" "${private[@]}" --out "$work/missing" >"$work/missing.txt" 2>&1; then
  fail "a run with a missing per-worker file succeeded"
fi
grep -q "worker-2.npz" "$work/missing.txt" || fail "the error does not name the missing file: $(cat "$work/missing.txt")"
if "$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.path="$work/data/worker-{worker}.npz" \
     --set data.test_path="$work/data/test.npz" --out "$work/shared" >"$work/shared.txt" 2>&1; then
  fail "per-worker files with shared placement were accepted"
fi
grep -q 'needs data.placement' "$work/shared.txt" || fail "unclear error: $(cat "$work/shared.txt")"

# The examples as a user runs them, from the source tree (their paths are relative to it).
mkdir -p "$work/tree" && cp -r "$SRC/examples" "$work/tree/" && cd "$work/tree"
"$PYTHON" examples/python/make_small_datasets.py data/fashion-small 2000 500 >/dev/null
for example in npz csv; do
  "$IST" run "examples/fashion_mnist_$example.toml" --set algorithm.epochs=1 --out "$work/example-$example" --quiet \
    || fail "examples/fashion_mnist_$example.toml failed"
done
echo "PASS"
