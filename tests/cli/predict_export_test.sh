#!/usr/bin/env bash
# What a user does with a trained model: ist predict writes one CSV row per example (predicted class and
# name, every class's probability) for a labelled file and for files without labels (npz, CSV), agreeing
# with each other and with the run's accuracy; ist export turns a checkpoint into a standalone model with
# the run's metadata, equal to the run's own model when taken after the last round; a partitioned run's
# checkpoint (the owners' shard files and a manifest) exports to the same model.
# Usage: predict_export_test.sh PATH/TO/ist SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/script_prelude.sh" "$@"

"$PYTHON" "$SRC/examples/python/make_small_datasets.py" "$work/data" 1000 300 >/dev/null
"$PYTHON" - "$work/data" <<'PY'
import numpy as np, sys
d = np.load(sys.argv[1] + "/test.npz")
np.savez(sys.argv[1] + "/unlabelled.npz", x=d["x"])
np.savetxt(sys.argv[1] + "/unlabelled.csv", d["x"].astype(np.float64), delimiter=",",
           header=",".join(f"p{i}" for i in range(784)), comments="", fmt="%.9g")
PY
names='["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]'
run_args=("$SRC/examples/fashion_mnist_npz.toml" --set name=predict --set model.widths=[784,64,10]
  --set algorithm.rounds=6 --set algorithm.local_steps=5 --set algorithm.batch_size=32 --set cluster.workers=2
  --set checkpoint.every=2 --set "data.class_names=$names" --set data.path="$work/data/train.npz"
  --set data.test_path="$work/data/test.npz" --quiet)
"$IST" run "${run_args[@]}" --out "$work/run" >/dev/null || fail "the run failed"
# A safetensors file's tensors (name -> raw bytes) and metadata, for the Python checks below.
cat >"$work/read_safetensors.py" <<'PY'
import json, struct
def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    return {k: body[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in header.items()}, meta
PY

"$IST" predict "$work/run/model.safetensors" --data "$work/data/test.npz" -o "$work/labelled.csv" >"$work/out.txt" \
  || fail "predict on a labelled file failed: $(cat "$work/out.txt")"
"$IST" predict "$work/run/model.safetensors" --data "$work/data/unlabelled.npz" -o "$work/npz.csv" >/dev/null \
  || fail "predict on an npz without labels failed"
"$IST" predict "$work/run/model.safetensors" --data "$work/data/unlabelled.csv" -o "$work/csv.csv" >/dev/null \
  || fail "predict on a CSV without labels failed"
"$PYTHON" - "$work" "$(cat "$work/out.txt")" <<'PY' || fail "predictions wrong"
import csv, json, sys
import numpy as np
work, printed = sys.argv[1], sys.argv[2]
names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
def rows(name):
    with open(f"{work}/{name}") as f:
        return list(csv.DictReader(f))
labelled, npz, from_csv = rows("labelled.csv"), rows("npz.csv"), rows("csv.csv")
assert len(labelled) == len(npz) == len(from_csv) == 300, (len(labelled), len(npz), len(from_csv))
assert "label" in labelled[0] and "label" not in npz[0] and "label" not in from_csv[0], list(npz[0])
y = np.load(f"{work}/data/test.npz")["y"]
for a, b, c, label in zip(labelled, npz, from_csv, y):
    assert a["predicted"] == b["predicted"] == c["predicted"], (a, b, c)
    assert int(a["label"]) == label
    p = np.array([float(a[f"p_{k}"]) for k in range(10)])
    assert abs(p.sum() - 1) < 1e-4 and int(p.argmax()) == int(a["predicted"]), p
    assert a["predicted_name"] == names[int(a["predicted"])], a["predicted_name"]
accuracy = np.mean([int(a["predicted"]) == int(a["label"]) for a in labelled])
reported = json.load(open(f"{work}/run/summary.json"))["final_test_accuracy"]
assert abs(accuracy - reported) < 1e-9, (accuracy, reported)
assert f"accuracy {reported:.4f}" in printed, printed
print(f"predict: {len(labelled)} rows, accuracy {accuracy:.4f} = the run's")
PY
if "$IST" predict "$work/run/model.safetensors" --data "$work/data/test.npz" -o "$work/p.txt" >"$work/bad.txt" 2>&1; then
  fail "predictions to p.txt were written"
fi
grep -q "name it \*.csv" "$work/bad.txt" || fail "unclear error: $(cat "$work/bad.txt")"

# A checkpoint exported: the run's standardization folded in, its metadata, the round it was taken after.
"$IST" export "$work/run/checkpoint.safetensors" -o "$work/checkpoint-model.safetensors" >/dev/null \
  || fail "export from the checkpoint failed"
"$PYTHON" - "$work" <<'PY' || fail "the exported checkpoint differs from the run's model"
import sys
sys.path.insert(0, sys.argv[1])
from read_safetensors import read
work = sys.argv[1]
run, run_meta = read(f"{work}/run/model.safetensors")
exported, meta = read(f"{work}/checkpoint-model.safetensors")
assert run == exported, "tensors differ"
assert meta["checkpoint_after_round"] == "6", meta
for key in ("architecture", "folded_standardization", "class_names", "input_size", "classes", "run"):
    assert meta[key] == run_meta[key], (key, meta[key], run_meta[key])
print("export from the checkpoint after round 6 = the run's model")
PY
# Partitioned ownership: the checkpoint is a manifest and one shard file per owner, and the export
# assembles them into the same model, equal to the driver-owned run's above.
"$IST" run "${run_args[@]}" --set cluster.model_owner=partitioned --out "$work/partitioned" >/dev/null \
  || fail "the partitioned run failed"
"$IST" export "$work/partitioned/checkpoint.safetensors" -o "$work/partitioned-model.safetensors" >/dev/null \
  || fail "export from the partitioned checkpoint failed"
"$PYTHON" - "$work" <<'PY' || fail "the partitioned checkpoint's export differs"
import os, sys
sys.path.insert(0, sys.argv[1])
from read_safetensors import read
work = sys.argv[1]
manifest, meta = read(f"{work}/partitioned/checkpoint.safetensors")
assert manifest == {} and meta["model_owner"] == "partitioned", (list(manifest), meta)
shards = sorted(os.listdir(f"{work}/partitioned/checkpoint-shards"))
assert shards == ["r6-shard0of2.safetensors", "r6-shard1of2.safetensors"], shards
exported, meta = read(f"{work}/partitioned-model.safetensors")
assert exported == read(f"{work}/checkpoint-model.safetensors")[0], "the partitioned export differs from the driver-owned one"
assert meta["checkpoint_after_round"] == "6", meta
print("partitioned checkpoint: 2 shard files, exported = the driver-owned run's model")
PY
echo "PASS"
