#!/usr/bin/env bash
# Two hosts on one machine: network namespaces joined by a veth pair. Host A runs the head and one worker,
# host B two workers; `ist status` on A sees all three, `ist run --address` from A trains on both hosts,
# and `ist stop` on each host leaves no process. Needs root and `ip netns` (CI has both); without them it
# exits 77, which ctest reports as skipped (SKIP_RETURN_CODE), not failed.
# Usage: multi_host_test.sh PATH/TO/ist
set -euo pipefail
IST="$1"
skip() { echo "SKIP: $*"; exit 77; }
[ "$EUID" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "no ip command (iproute2)"
id="ist$$"
a="${id}a"; b="${id}b"
state=$(mktemp -d)
cleanup() {
  ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" stop >/dev/null 2>&1 || true
  ip netns exec "$b" env IST_STATE_DIR="$state/b" "$IST" stop >/dev/null 2>&1 || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip netns add "$a" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
ip netns add "$b"
ip link add "v$a" type veth peer name "v$b"
ip link set "v$a" netns "$a"; ip link set "v$b" netns "$b"
ip -n "$a" addr add 10.231.0.1/24 dev "v$a"; ip -n "$b" addr add 10.231.0.2/24 dev "v$b"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "v$a" up; ip -n "$b" link set "v$b" up

started=$(ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" start --head --node-ip 10.231.0.1 --port 6380 --workers 1) \
  || fail "head did not start on host A"
echo "$started"
[ "$(stat -c %a "$state/a/cluster.key")" = 600 ] || fail "the cluster key file is not mode 0600"
# Host B joins with the command host A printed (the cluster key travels in it).
join=$(sed -n "s/^join from other hosts: ist //p" <<<"$started")
grep -qE -- "--cluster-key [0-9a-f]{64}" <<<"$join" || fail "the printed join command carries no cluster key: $join"
join=${join/<that host\'s address>/10.231.0.2}
join=${join/--workers N/--workers 2}
# Without the key, host B is refused at the handshake: its status query gets no answer.
if ip netns exec "$b" env IST_STATE_DIR="$state/nokey" "$IST" status --address 10.231.0.1:6380 \
     --cluster-key "$(printf '%064d' 7)" >/dev/null 2>&1; then
  fail "a status query with a foreign key was answered"
fi
# shellcheck disable=SC2086  # the printed command is split into its words, as a shell would
ip netns exec "$b" env IST_STATE_DIR="$state/b" "$IST" $join || fail "host B's workers did not join"
status=$(ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" status --node-ip 10.231.0.1)
echo "$status"
grep -q "3 worker node(s) alive" <<<"$status" || fail "status does not show 3 workers"
[ "$(grep -c 'tcp://10.231.0.2:' <<<"$status")" -eq 2 ] || fail "status does not show host B's 2 workers"

cat > "$state/tiny.toml" <<'TOML'
name = "two-hosts"
[model]
widths = [784, 32, 32, 10]
[algorithm]
local_steps = 5
batch_size = 32
rounds = 3
eval_every = 3
warmup_epochs = 0
[cluster]
workers = 3
TOML
ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" run "$state/tiny.toml" --address 10.231.0.1:6380 --node-ip 10.231.0.1 \
  --out "$state/run" --quiet || fail "run across the two hosts failed"
[ -f "$state/run/model.safetensors" ] || fail "no model written"
grep -q '"live_workers":3' "$state/run/metrics.jsonl" || fail "the run did not train on 3 workers"

pids=$(grep -ohE '"pid": *[0-9]+' "$state/a/cluster.json" "$state/b/cluster.json" | grep -oE '[0-9]+')
[ "$(wc -w <<<"$pids")" -eq 4 ] || fail "expected 4 started processes (head and 3 workers), got: $pids"
ip netns exec "$b" env IST_STATE_DIR="$state/b" "$IST" stop || fail "stop on host B failed"
ip netns exec "$a" env IST_STATE_DIR="$state/a" "$IST" stop || fail "stop on host A failed"
for pid in $pids; do
  if [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then fail "process $pid survived ist stop"; fi
done
echo "PASS"
