#!/usr/bin/env bash
# The input standardization is measured on the training data, not typed: with private per-worker files
# the trainers measure their own files (the driver never reads them), ist run and ist simulate agree bit
# for bit on the numbers and the model, the numbers are numpy's, config.toml records them, and the model
# on raw features scores what the run reported. The metrics count every worker's examples.
# Usage: standardization_test.sh PATH/TO/ist SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/script_prelude.sh" "$@"

"$PYTHON" "$SRC/examples/python/make_small_datasets.py" "$work/data" 1500 500 >/dev/null
"$PYTHON" - "$work/data" <<'PY'
import numpy as np, sys
d = np.load(sys.argv[1] + "/train.npz")
for w, part in enumerate(np.split(np.arange(len(d["y"])), [400, 900])):  # 400, 500 and 600 examples
    # Worker 1's pixels are brighter: only a measurement over every worker's file gets the mean right.
    x = d["x"][part] if w != 1 else np.minimum(d["x"][part].astype(np.float32) * 1.5, 1.0)
    np.savez(f"{sys.argv[1]}/worker-{w}.npz", x=x, y=d["y"][part])
PY
common=(--set name=standardized --set model.widths=[784,64,10] --set algorithm.rounds=6 --set algorithm.local_steps=5
        --set algorithm.batch_size=32 --set cluster.workers=3 --set data.placement=private
        --set data.path="$work/data/worker-{worker}.npz" --set data.test_path="$work/data/test.npz" --quiet)
for mode in global per_feature; do
  "$IST" run "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.standardize=$mode --out "$work/run-$mode" \
    || fail "$mode: the run failed"
  "$IST" simulate "$SRC/examples/fashion_mnist_npz.toml" "${common[@]}" --set data.standardize=$mode --out "$work/sim-$mode" \
    || fail "$mode: the simulation failed"
  cmp -s "$work/run-$mode/model.safetensors" "$work/sim-$mode/model.safetensors" \
    || fail "$mode: the cluster and the in-process reference trained different models"
  "$PYTHON" - "$work" "$mode" <<'PY' || fail "$mode: measured numbers or accuracy wrong"
import json, sys, tomllib
import numpy as np
work, mode = sys.argv[1], sys.argv[2]
run = tomllib.load(open(f"{work}/run-{mode}/config.toml", "rb"))["data"]
sim = tomllib.load(open(f"{work}/sim-{mode}/config.toml", "rb"))["data"]
assert run["input_mean"] == sim["input_mean"] and run["input_std"] == sim["input_std"], "run and simulate measured differently"
assert run["standardize"] == mode, run["standardize"]
x = np.concatenate([np.load(f"{work}/data/worker-{w}.npz")["x"].astype(np.float64) for w in range(3)])
if mode == "global":
    assert abs(run["input_mean"] - x.mean()) < 1e-6 and abs(run["input_std"] - x.std()) < 1e-6, (run, x.mean(), x.std())
else:
    mean, std = np.array(run["input_mean"]), np.array(run["input_std"])
    expected_std = np.where(x.std(axis=0) > 1e-6, x.std(axis=0), 1.0)  # a constant pixel is only centred
    assert mean.shape == (784,) and np.abs(mean - x.mean(axis=0)).max() < 1e-6, np.abs(mean - x.mean(axis=0)).max()
    assert np.abs(std - expected_std).max() < 1e-5 * expected_std.max(), np.abs(std - expected_std).max()
# A plain forward pass on the raw test features scores what the run reported.
header_size = int.from_bytes(open(f"{work}/run-{mode}/model.safetensors", "rb").read(8), "little")
raw = open(f"{work}/run-{mode}/model.safetensors", "rb").read()
header = json.loads(raw[8:8 + header_size])
body = raw[8 + header_size:]
t = {k: np.frombuffer(body[v["data_offsets"][0]:v["data_offsets"][1]], "<f4").reshape(v["shape"])
     for k, v in header.items() if k != "__metadata__"}
test = np.load(f"{work}/data/test.npz")
h = test["x"].astype(np.float32)
for l in range(2):
    h = h @ t[f"layers.{l}.weight"].T + t[f"layers.{l}.bias"]
    h = np.maximum(h, 0) if l == 0 else h
accuracy = float((h.argmax(axis=1) == test["y"]).mean())
reported = json.load(open(f"{work}/run-{mode}/summary.json"))["final_test_accuracy"]
assert abs(accuracy - reported) <= 1 / len(test["y"]), (accuracy, reported)
assert reported > 0.3, reported
print(f"{mode}: numpy on raw features {accuracy:.4f}, the run {reported:.4f}")
# The metrics count each worker's examples; the driver learnt them from the trainers.
for kind in ("run", "sim"):
    lines = [json.loads(l) for l in open(f"{work}/{kind}-{mode}/metrics.jsonl")]
    assert all(l["examples_per_worker"] == [400, 500, 600] for l in lines), [l["examples_per_worker"] for l in lines]
    assert json.load(open(f"{work}/{kind}-{mode}/summary.json"))["examples_per_worker"] == [400, 500, 600]
PY
done
echo "PASS"
