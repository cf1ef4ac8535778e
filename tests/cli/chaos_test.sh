#!/usr/bin/env bash
# Chaos during one IST run on two hosts (network namespaces joined by a veth pair). Host A runs the head,
# three workers and the driver; host B two workers. While the run trains, at round milestones read from
# its metrics.jsonl: a random worker of A is killed (SIGKILL), another is paused past the death deadline
# (SIGSTOP, then SIGCONT), the head is killed (SIGKILL) and started again on the same address, and host B's
# link is cut for a few seconds (`ip link set down/up`). Asserts: the run finishes (exit 0) with a
# plausible accuracy, its metrics record every loss and every join, and after `ist stop` no process is left
# in either namespace. Needs root and `ip netns`; without them it exits 77 (ctest: skipped).
# Usage: chaos_test.sh PATH/TO/ist
set -euo pipefail
IST="$1"
skip() { echo "SKIP: $*"; exit 77; }
[ "$EUID" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "no ip command (iproute2)"
id="ic$$"
a="${id}a"; b="${id}b"
state=$(mktemp -d)
run_pid=""
cleanup() {
  [ -n "$run_pid" ] && kill -9 "$run_pid" 2>/dev/null || true
  for pid in $(ip netns pids "$a" 2>/dev/null) $(ip netns pids "$b" 2>/dev/null); do kill -CONT "$pid" 2>/dev/null || true; done
  ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" stop >/dev/null 2>&1 || true
  ip netns exec "$a" env IST_STATE_DIR="$state/a2" "$IST" stop >/dev/null 2>&1 || true
  ip netns exec "$b" env IST_STATE_DIR="$state/b" "$IST" stop >/dev/null 2>&1 || true
  for pid in $(ip netns pids "$a" 2>/dev/null) $(ip netns pids "$b" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  if [ -n "${IST_CHAOS_KEEP:-}" ]; then cp -r "$state/run" "$IST_CHAOS_KEEP" 2>/dev/null || true; fi
  rm -rf "$state"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$state"/run/log.txt "$state"/*/node-*.log; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; } >&2; done
  exit 1
}
t0=$(date +%s.%N)
say() { printf '[%6.2f s] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }

ip netns add "$a" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
ip netns add "$b"
ip link add "v$a" type veth peer name "v$b"
ip link set "v$a" netns "$a"; ip link set "v$b" netns "$b"
ip -n "$a" addr add 10.232.0.1/24 dev "v$a"; ip -n "$b" addr add 10.232.0.2/24 dev "v$b"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "v$a" up; ip -n "$b" link set "v$b" up

in_a() { ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" "$@"; }
in_b() { ip netns exec "$b" env IST_STATE_DIR="$state/b" "$IST" "$@"; }
in_a start --head --node-ip 10.232.0.1 --port 6390 --workers 3 >/dev/null || fail "head did not start on host A"
# Host B joins with the cluster key host A's head made (as its printed join command carries it).
in_b start --address 10.232.0.1:6390 --node-ip 10.232.0.2 --workers 2 --cluster-key "$(cat "$state/a/cluster.key")" \
  >/dev/null || fail "host B's workers did not join"
say "cluster up: head and 3 workers on A, 2 workers on B"

# Every trainer steps slowly (the scripted slowdown), so the run lasts long enough for every fault
# whatever the machine's speed: faults are paced by the rounds the metrics show, not by the clock.
{
  cat <<'TOML'
name = "chaos"
[model]
widths = [784, 64, 10]
[algorithm]
local_steps = 4
batch_size = 32
learning_rate = 0.05
rounds = 100
eval_every = 50
warmup_epochs = 0
[cluster]
workers = 5
min_workers = 1
join_wait_s = 20
round_deadline_s = 10
TOML
  for w in 0 1 2 3 4; do printf '[[events]]\nround = 1\naction = "slow"\nworker = %d\ndelay_ms = 40\nrounds = 100\n' "$w"; done
} > "$state/chaos.toml"
metrics="$state/run/metrics.jsonl"
ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" run "$state/chaos.toml" --address 10.232.0.1:6390 --node-ip 10.232.0.1 \
  --out "$state/run" --quiet > "$state/run.out" 2>&1 &
run_pid=$!

rounds_done() { [ -f "$metrics" ] && wc -l < "$metrics" || echo 0; }
# Waits (bounded) until the run has written `$1` rounds; fails if the run ended first.
wait_round() {
  local deadline=$((SECONDS + 40))
  while [ "$(rounds_done)" -lt "$1" ]; do
    kill -0 "$run_pid" 2>/dev/null || fail "the run ended before round $1: $(cat "$state/run.out")"
    [ $SECONDS -lt $deadline ] || fail "round $1 not reached within 40 s"
    sleep 0.05  # the pace of polling, not a synchronisation
  done
}
worker_pids_a=$(grep -B3 '"role": *"worker"' "$state/a/cluster.json" | grep -oE '"pid": *[0-9]+' | grep -oE '[0-9]+' | shuf)
[ "$(wc -w <<<"$worker_pids_a")" -eq 3 ] || fail "expected 3 recorded workers on A, got: $worker_pids_a"
killed=$(sed -n 1p <<<"$worker_pids_a"); paused=$(sed -n 2p <<<"$worker_pids_a")
head_pid=$(grep -B3 '"role": *"head"' "$state/a/cluster.json" | grep -oE '"pid": *[0-9]+' | grep -oE '[0-9]+')

wait_round 5
kill -9 "$killed"; say "round $(rounds_done): killed worker $killed (SIGKILL)"
wait_round 12
kill -STOP "$paused"; say "round $(rounds_done): paused worker $paused (SIGSTOP)"
sleep 2.5  # the fault itself: paused past the death deadline (1 s)
kill -CONT "$paused"; say "round $(rounds_done): resumed worker $paused (SIGCONT)"
wait_round $(( $(rounds_done) + 5 ))
kill -9 "$head_pid"; say "round $(rounds_done): killed the head $head_pid (SIGKILL)"
wait_round $(( $(rounds_done) + 10 ))  # training goes on without a head
ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" start --head --node-ip 10.232.0.1 --port 6390 > "$state/restart.out" 2>&1 \
  || fail "the head did not start again on the same address: $(cat "$state/restart.out")"
say "round $(rounds_done): head started again on the same address"
wait_round $(( $(rounds_done) + 5 ))
ip -n "$b" link set "v$b" down; say "round $(rounds_done): host B's link down"
sleep 3  # the fault itself: host B cut off for 3 s
ip -n "$b" link set "v$b" up; say "round $(rounds_done): host B's link up"

deadline=$((SECONDS + 60))
while kill -0 "$run_pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "the run did not finish within 60 s of the last fault"
  sleep 0.1  # the pace of polling, not a synchronisation
done
wait "$run_pid" && code=0 || code=$?
run_pid=""
say "run ended with exit $code: $(cat "$state/run.out")"
[ "$code" -eq 0 ] || fail "the run failed: $(cat "$state/run.out")"
[ -f "$state/run/model.safetensors" ] || fail "no model written"
accuracy=$(grep -oE '"final_test_accuracy": *[0-9.]+' "$state/run/summary.json" | grep -oE '[0-9.]+$')
awk -v x="$accuracy" 'BEGIN { exit !(x > 0.6) }' || fail "implausible final accuracy $accuracy"
[ "$(rounds_done)" -eq 100 ] || fail "metrics hold $(rounds_done) rounds, not 100"

count() { grep -o "\"$1\"" "$metrics" | wc -l; }
lost=$(count trainer_lost); joined=$(count trainer_joined); recut=$(count data_recut)
head_lost=$(count head_lost); head_back=$(count head_rejoined)
say "metrics: $lost trainer_lost, $joined trainer_joined, $recut data_recut, $head_lost head_lost, $head_back head_rejoined events; accuracy $accuracy"
# Lost: the killed worker, the paused one, B's two (cut off). Joined: the paused one and B's two, as new members.
[ "$lost" -ge 4 ] || fail "metrics record $lost lost trainers, expected at least 4"
[ "$joined" -ge 3 ] || fail "metrics record $joined joined trainers, expected at least 3"
[ "$head_lost" -ge 1 ] && [ "$head_back" -ge 1 ] || fail "metrics do not record the head's loss and return"
grep -q "lost: node dead: node [0-9]* died" "$metrics" || fail "no trainer loss says its node died"

in_b stop >/dev/null || fail "stop on host B failed"
in_a stop >/dev/null || fail "stop on host A failed"
for ns in "$a" "$b"; do
  left=$(ip netns pids "$ns" | while read -r p; do grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null || echo "$p"; done)
  [ -z "$left" ] || fail "processes left in namespace $ns after ist stop: $(for p in $left; do tr '\0' ' ' < /proc/$p/cmdline; echo; done)"
done
say "PASS"
