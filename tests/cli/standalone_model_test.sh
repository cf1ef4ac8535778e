#!/usr/bin/env bash
# The model a run writes stands alone: a plain numpy program (examples/python/evaluate_model.py, no
# project code) that feeds it raw Fashion-MNIST pixels gets the accuracy the run reported, and reads from
# its metadata what the file is. The same holds for `ist export`, which refuses a name it cannot write.
# Usage: standalone_model_test.sh PATH/TO/ist SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/script_prelude.sh" "$@"

cat > "$work/config.toml" <<'TOML'
name = "standalone"
seed = 3
[model]
widths = [784, 64, 10]
[data]
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
[algorithm]
local_steps = 10
batch_size = 64
rounds = 20
eval_every = 20
[cluster]
workers = 2
TOML
"$IST" run "$work/config.toml" --out "$work/run" --quiet || fail "the run failed"

reported=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["final_test_accuracy"])' "$work/run/summary.json")
evaluated=$("$PYTHON" "$SRC/examples/python/evaluate_model.py" "$work/run/model.safetensors")
echo "reported by the run: $reported; numpy on raw pixels: $evaluated"
"$PYTHON" - "$reported" "$evaluated" <<'PY' || fail "numpy on raw pixels disagrees with the run"
import json, sys
reported = float(sys.argv[1])
evaluated = json.loads(sys.argv[2])
accuracy, meta = evaluated["test_accuracy"], evaluated["metadata"]
# Folding the standardization into layer 0 rounds differently from standardizing first: an example
# exactly on a decision boundary may flip. More than 2 of the 10000 would mean the fold is wrong.
assert abs(accuracy - reported) <= 2e-4, (accuracy, reported)
assert reported > 0.5, reported
assert meta["input_size"] == "784" and meta["classes"] == "10", meta
assert "folded" in meta["input"] and "relu" in meta["activation"], meta
assert abs(float(meta["final_test_accuracy"]) - reported) < 1e-9, meta
assert json.loads(meta["class_names"])[9] == "Ankle boot", meta
PY

# ist eval on the same files reports the same accuracy, with a confusion matrix.
"$IST" eval "$work/run/model.safetensors" --data /usr/share/datasets/fashion-mnist >"$work/eval.txt" || fail "ist eval failed"
grep -q "10000 examples, accuracy $(printf '%.4f' "$reported")" "$work/eval.txt" || fail "ist eval disagrees: $(head -1 "$work/eval.txt")"
[ "$(grep -cE '^ +[0-9]+ +1000 ' "$work/eval.txt")" -eq 10 ] || fail "no per-class rows: $(cat "$work/eval.txt")"
grep -qE '^ +9 +1000 .* Ankle boot$' "$work/eval.txt" || fail "ist eval does not name the classes: $(cat "$work/eval.txt")"

"$IST" export "$work/run" -o "$work/exported.safetensors" >/dev/null || fail "export failed"
"$PYTHON" "$SRC/examples/python/evaluate_model.py" "$work/exported.safetensors" | grep -q '"exported_from"' \
  || fail "the exported file lost its metadata"
if "$IST" export "$work/run" -o "$work/model.pt" >"$work/out.txt" 2>&1; then fail "export to model.pt succeeded"; fi
grep -q "safetensors" "$work/out.txt" || fail "export to model.pt did not say why: $(cat "$work/out.txt")"
echo "PASS"
