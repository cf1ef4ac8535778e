#!/usr/bin/env bash
# Slow links on one machine: a head host (head node and driver) and W worker hosts as network namespaces
# on a bridge, each host's link shaped with tc tbf in both directions (these kernels have no netem), the
# shaping verified with a timed transfer before use, then the same task trained with IST (plain and
# scheduled), local SGD and data parallel (each baseline at several learning rates), one run at a time,
# each stopped (SIGINT: it finishes its round, evaluates and marks itself interrupted) at its budget.
# Writes to OUT: README.md (machine, exact command, link check, the table of bench/slow_link_table.py),
# report.html and SVG plots from `ist report`, and every run directory.
# Without root (or with NETNS=0) the same runs go over plain loopback with an embedded cluster, unshaped.
# Everything it creates (namespaces, bridge, processes, state) is removed on exit and on Ctrl-C.
#
# Usage: sudo bench/slow_link.sh [OUT_DIR]            (default: bench/results/slow_link_<rate>_<time>)
# Environment:
#   IST=build/cli/ist   RATE=100mbit (tc rate per host link, each direction; e.g. 1gbit)
#   SHAPE_DRIVER=1 (0: the head host's link, which the driver uses, is not shaped)   WORKERS=4
#   WIDTHS=784,2048,2048,10   BUDGET=240 (s per run; a run line may give its own)   EPOCHS=30 (cap)
#   EVAL_EVERY=3 (rounds)   BUDGETS="30 60 120 240" (accuracy reported at these seconds of training)
#   NETNS=1   SMOKE=1: a tiny check that everything works (784-64-64-10, 15 s per run, one run each)
#   KEEP_MODELS=1: keep each run's model and checkpoint (default: removed, they are large)
#   RUNS: one run per line, "NAME|CONFIG|--set k=v ...|BUDGET" (default: below; CONFIG relative to the
#   repository or absolute; BUDGET optional)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IST="${IST:-$ROOT/build/cli/ist}"
RATE="${RATE:-100mbit}"
SHAPE_DRIVER="${SHAPE_DRIVER:-1}"
WORKERS="${WORKERS:-4}"
SMOKE="${SMOKE:-0}"
if [ "$SMOKE" = 1 ]; then
  WIDTHS="${WIDTHS:-784,64,64,10}" BUDGET="${BUDGET:-15}" BUDGETS="${BUDGETS:-5 10}"
  DEFAULT_RUNS="ist|examples/fashion_mnist_ist.toml|
local_sgd_lr0.1|examples/fashion_mnist_local_sgd.toml|--set algorithm.learning_rate=0.1
data_parallel_lr0.2|examples/fashion_mnist_data_parallel.toml|--set algorithm.learning_rate=0.2 --set algorithm.local_steps=5"
fi
WIDTHS="${WIDTHS:-784,2048,2048,10}"
BUDGET="${BUDGET:-240}"
BUDGETS="${BUDGETS:-30 60 120 240}"
EPOCHS="${EPOCHS:-30}"
EVAL_EVERY="${EVAL_EVERY:-3}"
NETNS="${NETNS:-1}"
# Data parallel ships the model every step: 5 steps per round keep its evaluations as frequent in time.
DEFAULT_RUNS="${DEFAULT_RUNS:-ist|examples/fashion_mnist_ist.toml|
ist_schedule|examples/fashion_mnist_ist_schedule.toml|
local_sgd_lr0.1|examples/fashion_mnist_local_sgd.toml|--set algorithm.learning_rate=0.1
local_sgd_lr0.05|examples/fashion_mnist_local_sgd.toml|--set algorithm.learning_rate=0.05
data_parallel_lr0.2|examples/fashion_mnist_data_parallel.toml|--set algorithm.learning_rate=0.2 --set algorithm.local_steps=5|180
data_parallel_lr0.1|examples/fashion_mnist_data_parallel.toml|--set algorithm.learning_rate=0.1 --set algorithm.local_steps=5|180}"
RUNS="${RUNS:-$DEFAULT_RUNS}"
if [ "$NETNS" = 1 ] && [ "$EUID" -ne 0 ]; then
  echo "not root: running on plain loopback, unshaped (NETNS=0)" >&2
  NETNS=0
fi
label="$([ "$NETNS" = 1 ] && echo "$RATE" || echo loopback)"
[ "$SMOKE" = 1 ] && label+="_smoke"
OUT="${1:-$ROOT/bench/results/slow_link_${label}_$(date -u +%Y%m%dT%H%M)}"
[ -x "$IST" ] || { echo "no ist program at $IST (build it: cmake --build build --target ist)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed to verify the links and read the results" >&2; exit 1; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

id="sl$$"
state="$(mktemp -d /tmp/slow_link.XXXXXX)"
hosts=()  # namespaces: hosts[0] the head host (head node, driver), hosts[1..W] the workers
for i in $(seq 0 "$WORKERS"); do hosts+=("${id}h$i"); done
switch="${id}sw"
addr() { echo "10.233.0.$(($1 + 1))"; }
PORT=6391
run_pid=""  # the run in progress (timeout and its ist run)

cleanup() {
  trap - EXIT INT TERM
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -INT "$run_pid" 2>/dev/null || true  # timeout passes it on: the run stops after its round
    for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$run_pid" 2>/dev/null || true
  fi
  if [ "$NETNS" = 1 ]; then
    for i in $(seq "$WORKERS" -1 0); do
      ip netns exec "${hosts[$i]}" env IST_STATE_DIR="$state/h$i" "$IST" stop >/dev/null 2>&1 || true
    done
    for ns in "${hosts[@]}" "$switch"; do
      # Anything still running in a namespace of ours (a cut run, a link probe) ends with it.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done
  fi
  rm -rf "$state"
}
trap cleanup EXIT
trap 'echo "interrupted: cleaning up" >&2; exit 130' INT TERM

# tbf needs a bucket of at least rate/HZ; 256 kB keeps short bursts at line rate without hiding the rate.
burst_for() { case "$1" in *gbit) echo 1mb ;; *) echo 256kb ;; esac; }
shape() {  # shape NAMESPACE DEVICE: egress of DEVICE at RATE
  ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "$RATE" burst "$(burst_for "$RATE")" latency 50ms
}

setup_network() {
  ip netns add "$switch" || { echo "cannot create network namespaces (ip netns add failed)" >&2; exit 1; }
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  for i in $(seq 0 "$WORKERS"); do
    local ns="${hosts[$i]}"
    ip netns add "$ns"
    ip link add "${id}e$i" type veth peer name "${id}p$i"
    ip link set "${id}e$i" netns "$ns"
    ip link set "${id}p$i" netns "$switch"
    ip -n "$ns" link set "${id}e$i" name eth0
    ip -n "$ns" addr add "$(addr "$i")/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$switch" link set "${id}p$i" master br0
    ip -n "$switch" link set "${id}p$i" up
    if [ "$i" -gt 0 ] || [ "$SHAPE_DRIVER" = 1 ]; then
      shape "$ns" eth0              # the host's uplink
      shape "$switch" "${id}p$i"    # its downlink (the bridge port's egress towards the host)
    fi
  done
}

# Timed transfer of 16 MB from host $1 to host $2 (a python socket pair, timed until the receiver has
# it all): prints Mbit/s.
measure_link() {
  local from="$1" to="$2" port=$((7000 + $2))
  ip netns exec "${hosts[$to]}" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); s.settimeout(30); c, _ = s.accept(); n = 0
while n < 16 << 20:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
c.sendall(b"k"); c.close()' "$port" &
  local server=$!
  ip netns exec "${hosts[$from]}" python3 -c '
import socket, sys, time
deadline = time.monotonic() + 10
while True:
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2]))); break
    except OSError:
        if time.monotonic() > deadline: sys.exit("no listener for the link check")
        time.sleep(0.02)
data = b"\0" * (1 << 20); t = time.perf_counter()
for _ in range(16): c.sendall(data)
c.recv(1); print("%.1f" % (16 * 8 * (1 << 20) / (time.perf_counter() - t) / 1e6))' "$(addr "$to")" "$port"
  wait "$server"
}

rate_mbit() { case "$RATE" in *gbit) echo $((${RATE%gbit} * 1000)) ;; *mbit) echo "${RATE%mbit}" ;; *) echo 0 ;; esac; }

verify_shaping() {
  local up down between
  up="$(measure_link 1 0)"; down="$(measure_link 0 1)"; between="$(measure_link 1 2)"
  echo "- link check (16 MB timed transfer each): worker 1 -> head host $up Mbit/s, head host -> worker 1 $down Mbit/s, worker 1 -> worker 2 $between Mbit/s (tc tbf rate $RATE; head host shaped: $SHAPE_DRIVER)" \
    | tee "$OUT/links.md"
  python3 - "$(rate_mbit)" "$SHAPE_DRIVER" "$up" "$down" "$between" <<'PY'
import sys
want, shaped_driver = float(sys.argv[1]), sys.argv[2] == "1"
up, down, between = (float(x) for x in sys.argv[3:])
# Every link crosses at least one shaped host, so no transfer may beat the rate; each should come near it.
got = [between] + ([up, down] if shaped_driver else [])
if any(g > 1.10 * want or g < 0.6 * want for g in got) or max(up, down) > 1.10 * want:
    sys.exit(f"the links are not shaped to {want:g} Mbit/s: measured {up}, {down}, {between} Mbit/s")
PY
}

start_cluster() {
  ip netns exec "${hosts[0]}" env IST_STATE_DIR="$state/h0" "$IST" start --head --node-ip "$(addr 0)" --port "$PORT" \
    >/dev/null
  for i in $(seq 1 "$WORKERS"); do
    ip netns exec "${hosts[$i]}" env IST_STATE_DIR="$state/h$i" "$IST" start --address "$(addr 0):$PORT" \
      --node-ip "$(addr "$i")" --workers 1 --cluster-key "$(cat "$state/h0/cluster.key")" >/dev/null
  done
}

command_line="RATE=$RATE SHAPE_DRIVER=$SHAPE_DRIVER WORKERS=$WORKERS WIDTHS=$WIDTHS BUDGET=$BUDGET EPOCHS=$EPOCHS"
command_line+=" EVAL_EVERY=$EVAL_EVERY BUDGETS=\"$BUDGETS\" NETNS=$NETNS SMOKE=$SMOKE bench/slow_link.sh"
{
  echo "# Slow-link runs: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB;" \
       "load average at the start $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)"
  echo "- ist: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- command: \`$command_line\`$([ "$RUNS" != "$DEFAULT_RUNS" ] && echo " with RUNS:")"
  [ "$RUNS" != "$DEFAULT_RUNS" ] && echo "$RUNS" | sed 's/^/  - /'
  echo "- network: $([ "$NETNS" = 1 ] && echo "$((WORKERS + 1)) namespaces on a bridge, tc tbf $RATE each way per host link, head host (driver) shaped: $SHAPE_DRIVER" || echo "plain loopback, unshaped, embedded cluster")"
} > "$OUT/setup.md"
: > "$OUT/links.md"

if [ "$NETNS" = 1 ]; then
  setup_network
  verify_shaping
  start_cluster
fi

dirs=()
while IFS='|' read -r name config sets budget; do
  [ -n "$name" ] || continue
  budget="${budget:-$BUDGET}"
  dir="$OUT/$name"
  rm -rf "$dir"
  echo "--- $name: $config $sets (budget $budget s, load $(cut -d' ' -f1 /proc/loadavg))"
  # shellcheck disable=SC2206  # the sets are words on purpose
  case "$config" in /*) ;; *) config="$ROOT/$config" ;; esac
  args=(run "$config" --out "$dir" --quiet --set "model.widths=[${WIDTHS}]" --set "cluster.workers=$WORKERS"
        --set "algorithm.epochs=$EPOCHS" --set "algorithm.eval_every=$EVAL_EVERY" $sets)
  code=0
  # --foreground: one SIGINT to the run alone. Without it timeout signals the run and then its whole
  # process group, and a run that took the first signal before the second came took the second as
  # "stop at once", skipping its last evaluation and summary.
  if [ "$NETNS" = 1 ]; then
    timeout --foreground -s INT -k 60 "$budget" ip netns exec "${hosts[0]}" env IST_STATE_DIR="$state/h0" "$IST" "${args[@]}" \
      --address "$(addr 0):$PORT" --node-ip "$(addr 0)" &
  else
    timeout --foreground -s INT -k 60 "$budget" "$IST" "${args[@]}" &
  fi
  run_pid=$!
  wait "$run_pid" || code=$?
  run_pid=""
  echo "$code" > "$dir/.exit_code" 2>/dev/null || true
  echo "    exit $code$([ "$code" = 130 ] || [ "$code" = 124 ] && echo " (stopped at its $budget s budget)")"
  dirs+=("$dir")
done <<< "$RUNS"

python3 "$ROOT/bench/slow_link_table.py" --workers "$WORKERS" --budgets "$BUDGETS" "${dirs[@]}" > "$OUT/table.md"
"$IST" report "${dirs[@]}" -o "$OUT/report.html" >/dev/null
"$IST" report "${dirs[@]}" -o "$OUT/accuracy_by_time.svg" --x time >/dev/null
"$IST" report "${dirs[@]}" -o "$OUT/accuracy_by_bytes.svg" --x bytes >/dev/null
# Results keep the metrics, configs, summaries and logs; models and checkpoints only with KEEP_MODELS=1.
if [ "${KEEP_MODELS:-0}" != 1 ]; then
  find "${dirs[@]}" -maxdepth 1 -name '*.safetensors' -delete
  for d in "${dirs[@]}"; do rm -rf "$d/checkpoint-shards"; done  # partitioned runs' checkpoint shards
fi
find "${dirs[@]}" -maxdepth 1 -name run.lock -delete
cat "$OUT/setup.md" "$OUT/links.md" "$OUT/table.md" > "$OUT/README.md"
rm -f "$OUT/setup.md" "$OUT/links.md" "$OUT/table.md"
cat "$OUT/README.md"
echo "results: $OUT (README.md, report.html, accuracy_by_time.svg, accuracy_by_bytes.svg)"
