#!/usr/bin/env bash
# A driver cut off from its cluster fails within seconds with a named error, never after
# cluster.join_wait_s (here 60 s) or the round deadline:
#   1. the head and every worker are killed (SIGKILL) mid-run: "lost the head and every trainer";
#   2. the driver itself is paused past the death deadline (SIGSTOP 2.5 s, then SIGCONT): the head
#      declared it dead and the workers stopped its trainers: "declared this driver's node dead".
# Both end with no process of the cluster left. Real processes on loopback, an OS-chosen port.
# Usage: driver_cut_off_test.sh PATH/TO/ist
set -euo pipefail
IST="$1"
work=$(mktemp -d)
export IST_STATE_DIR="$work/state"
run_pid=""
cleanup() {
  [ -n "$run_pid" ] && kill -9 "$run_pid" 2>/dev/null || true
  "$IST" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/run.out" ] && cat "$work/run.out" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# Slow trainers (the scripted slowdown) keep the run going for as long as the test needs.
cat > "$work/long.toml" <<'TOML'
name = "cut-off"
[model]
widths = [784, 32, 10]
[algorithm]
local_steps = 4
batch_size = 32
rounds = 400
eval_every = 400
warmup_epochs = 0
[cluster]
workers = 2
join_wait_s = 60
TOML
for w in 0 1; do printf '[[events]]\nround = 1\naction = "slow"\nworker = %d\ndelay_ms = 25\nrounds = 400\n' "$w" >> "$work/long.toml"; done

recorded_pids() { grep -oE '"pid": *[0-9]+' "$IST_STATE_DIR/cluster.json" | grep -oE '[0-9]+'; }
# Starts a cluster (head and 2 workers) and a run against it; returns once the run has trained 3 rounds.
start_cluster_and_run() {
  local port; port=$(free_port)
  "$IST" start --head --port "$port" --workers 2 >/dev/null || fail "the cluster did not start"
  rm -rf "$work/run"
  "$IST" run "$work/long.toml" --address "127.0.0.1:$port" --out "$work/run" --quiet > "$work/run.out" 2>&1 &
  run_pid=$!
  local deadline=$((SECONDS + 60))
  until [ -f "$work/run/metrics.jsonl" ] && [ "$(wc -l < "$work/run/metrics.jsonl")" -ge 3 ]; do
    kill -0 "$run_pid" 2>/dev/null || fail "the run ended early"
    [ $SECONDS -lt $deadline ] || fail "the run did not train 3 rounds within 60 s"
    sleep 0.05  # the pace of polling, not a synchronisation
  done
}
# Waits (at most `$1` s) for the run to end; sets `code` to its exit code and `took` to the seconds since `$2`.
wait_run() {
  local limit=$1 since=$2 deadline=$((SECONDS + $1))
  while kill -0 "$run_pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the run did not end within $limit s"
    sleep 0.05  # the pace of polling, not a synchronisation
  done
  code=0; wait "$run_pid" || code=$?
  run_pid=""
  took=$(echo "$(now) - $since" | bc)
}
no_process_left() {
  for pid in $1; do
    if [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then fail "process $pid was left running"; fi
  done
}

# 1. Head and every worker killed.
start_cluster_and_run
pids=$(recorded_pids)
t=$(now)
for pid in $pids; do kill -9 "$pid"; done
wait_run 30 "$t"
echo "head and workers killed: the run ended after ${took} s with exit $code: $(tail -1 "$work/run.out")"
[ "$code" -eq 1 ] || fail "exit $code, expected 1"
grep -q "lost the head and every trainer" "$work/run.out" || fail "the error does not say it lost the head and every trainer"
awk -v x="$took" 'BEGIN { exit !(x < 15) }' || fail "took $took s (join_wait_s is 60)"
"$IST" stop >/dev/null || true
no_process_left "$pids"

# 2. The driver paused past the death deadline.
start_cluster_and_run
pids=$(recorded_pids)
kill -STOP "$run_pid"
sleep 2.5  # the fault itself: paused past the death deadline (1 s)
t=$(now)
kill -CONT "$run_pid"
wait_run 30 "$t"
echo "driver paused: the run ended ${took} s after it ran again, exit $code: $(tail -1 "$work/run.out")"
[ "$code" -eq 1 ] || fail "exit $code, expected 1"
grep -q "declared this driver's node dead" "$work/run.out" || fail "the error does not say the driver's node was declared dead"
awk -v x="$took" 'BEGIN { exit !(x < 10) }' || fail "took $took s"
"$IST" stop >/dev/null || fail "ist stop failed"
no_process_left "$pids"
echo "PASS"
