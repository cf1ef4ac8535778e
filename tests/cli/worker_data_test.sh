#!/usr/bin/env bash
# Workers that bring their own data: `ist start --address HEAD --workers 1 --data PATH` twice, each with
# a different file; a config with data.placement = "private" and no data.path trains each worker on its
# node's file (the driver reads only the test file), and the metrics count each file's rows. A third
# worker started without --data fails the next run with an error naming that worker; ist simulate and
# `ist start --data` on a missing file are clear errors. Real processes on loopback, an OS-chosen port;
# `ist stop` leaves none behind.
# Usage: worker_data_test.sh PATH/TO/ist SOURCE_DIR
set -euo pipefail
source "$(dirname "$0")/script_prelude.sh" "$@"
export IST_STATE_DIR="$work/state"
trap '"$IST" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$PYTHON" "$SRC/examples/python/make_small_datasets.py" "$work/data" 1500 500 >/dev/null
"$PYTHON" - "$work/data" <<'PY'
import numpy as np, sys
d = np.load(sys.argv[1] + "/train.npz")
np.savez(sys.argv[1] + "/mine.npz", x=d["x"][:700], y=d["y"][:700])
np.savez(sys.argv[1] + "/yours.npz", x=d["x"][700:], y=d["y"][700:])
PY
cat > "$work/own.toml" <<TOML
name = "own-data"
[model]
widths = [784, 32, 10]
[data]
placement = "private"
test_path = "$work/data/test.npz"
[algorithm]
rounds = 4
local_steps = 5
batch_size = 32
[cluster]
workers = 2
TOML

if "$IST" start --address 127.0.0.1:1 --workers 1 --data "$work/data/nothing.npz" >"$work/missing.txt" 2>&1; then
  fail "ist start accepted a --data file that is not there"
fi
grep -q "nothing.npz: no such file" "$work/missing.txt" || fail "unclear error: $(cat "$work/missing.txt")"
if "$IST" simulate "$work/own.toml" --out "$work/sim" --quiet >"$work/sim.txt" 2>&1; then
  fail "ist simulate ran a config that trains on the workers' own data"
fi
grep -q "ist simulate has no worker nodes" "$work/sim.txt" || fail "unclear error: $(cat "$work/sim.txt")"

port=$(free_port)
"$IST" start --head --port "$port" >/dev/null || fail "the head did not start"
"$IST" start --address "127.0.0.1:$port" --workers 1 --data "$work/data/mine.npz" >/dev/null || fail "worker 1 did not start"
"$IST" start --address "127.0.0.1:$port" --workers 1 --data "$work/data/yours.npz" >/dev/null || fail "worker 2 did not start"
timeout 120 "$IST" run "$work/own.toml" --address "127.0.0.1:$port" --out "$work/run" --quiet >"$work/run.txt" 2>&1 \
  || fail "the run on the workers' own data failed: $(cat "$work/run.txt")"
"$PYTHON" - "$work/run" <<'PY' || fail "the run did not train on each worker's own file"
import json, sys, tomllib
run = sys.argv[1]
assert "path" not in tomllib.load(open(run + "/config.toml", "rb"))["data"], "the driver was given a training path"
lines = [json.loads(l) for l in open(run + "/metrics.jsonl")]
assert len(lines) == 4 and all(sorted(l["examples_per_worker"]) == [700, 800] for l in lines), lines
summary = json.load(open(run + "/summary.json"))
assert sorted(summary["examples_per_worker"]) == [700, 800] and summary["final_test_accuracy"] > 0.3, summary
PY

"$IST" start --address "127.0.0.1:$port" --workers 1 >/dev/null || fail "worker 3 did not start"
if timeout 120 "$IST" run "$work/own.toml" --set cluster.workers=3 --address "127.0.0.1:$port" --out "$work/bad" --quiet \
     >"$work/bad.txt" 2>&1; then
  fail "a run on a worker without data succeeded"
fi
grep -qE "worker node worker-[0-9a-f-]+ was started without --data" "$work/bad.txt" \
  || fail "the error does not name the worker: $(cat "$work/bad.txt")"
"$IST" stop >/dev/null || fail "ist stop failed"
echo "PASS"
