# lib.sh - shared by the integration tests: sourced with the build's bin directory as $1.
set -euo pipefail
BIN=${1:?usage: $0 BIN_DIR}
BIN=$(cd "$BIN" && pwd)
CONSUMER=$BIN/widget-consumer
PRODUCER=$BIN/widget-producer
VERIFY=$BIN/widget-verify
DATA=${WC_TESTDATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)}
WORK=$(mktemp -d /tmp/wc-it-XXXXXX)
PIDS=()
# The test's own shell: a background child (`cmd &`) killed by a signal before its program starts
# may run the EXIT trap it inherited; only the main shell cleans up.
LIB_PID=$BASHPID
cleanup() {
  [ "$BASHPID" == "$LIB_PID" ] || return 0
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" == "$3" ] || fail "$1: got [$2], want [$3]"; ok "$1"; }
# expect_contains WHAT TEXT NEEDLE
expect_contains() { [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"; ok "$1"; }
files_in() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }
# wait_until TIMEOUT_S WHAT COMMAND...: runs COMMAND every 50 ms until it succeeds, its last output
# in $seen; after TIMEOUT_S seconds the test fails, naming WHAT and what COMMAND said last. The
# one way to wait here: never a fixed sleep for something that can be observed, never going on
# without it.
wait_until() {
  local timeout=$1 what=$2 start=${EPOCHREALTIME//[.,]/}
  shift 2
  until seen=$("$@" 2>&1); do
    [ $((${EPOCHREALTIME//[.,]/} - start)) -lt $((timeout * 1000000)) ] ||
      fail "waited $timeout s for $what; last seen: [$(tail -c 300 <<<"$seen")]"
    sleep 0.05
  done
}
# output_is OP VALUE COMMAND...: whether COMMAND prints a value that is OP VALUE ([ ] tests: -eq,
# -gt, -ge, ==); prints it (wait_until's "last seen").
output_is() {
  local v
  v=$("${@:3}") || return 1
  echo "$v"
  [ -n "$v" ] && test "$v" "$1" "$2" 2>/dev/null
}
# table_active TABLE: waits until DynamoDB says TABLE is ACTIVE (through the caller's awscli):
# dynalite answers CreateTable with the table CREATING, and a PutItem sent before its timer turns
# it ACTIVE is answered ResourceNotFoundException. (Not `aws dynamodb wait table-exists`: it polls
# every 20 s once it sees CREATING.)
table_active() {
  wait_until 30 "table $1 ACTIVE" output_is == ACTIVE \
    awscli dynamodb describe-table --table-name "$1" --query Table.TableStatus --output text
}
# count_in PATTERN FILE...: the lines of the FILEs together matching PATTERN (grep); 0 when none,
# or when no FILE is there yet.
count_in() { cat "${@:2}" 2>/dev/null | grep -c -- "$1" || true; }
# outcome_counts FILE...: "N applied, N already applied, N superseded" in the consumers' logs.
outcome_counts() {
  echo "$(count_in 'outcome=applied ' "$@") applied, $(count_in 'outcome=already-applied' "$@") already applied," \
    "$(count_in 'outcome=superseded' "$@") superseded"
}
# metrics_port LOG: the port of --metrics-addr from the consumer's start-up line (fails until then).
metrics_port() { sed -n 's/.*metrics: .*(port \([0-9]*\)).*/\1/p' "$1" 2>/dev/null | head -n 1 | grep .; }
# stop_consumer PID: SIGTERM to a consumer in the background; its exit status in $rc and the
# milliseconds it took to exit in $ms.
stop_consumer() {
  local t0=${EPOCHREALTIME//[.,]/}
  kill -TERM "$1"
  rc=0
  wait "$1" || rc=$?
  ms=$(((${EPOCHREALTIME//[.,]/} - t0) / 1000))
}
# stop_when_busy PID LOG MIN BOUND_MS: once the consumer PID (logging to LOG) has applied more
# than MIN requests, SIGTERM: it must exit 0 within BOUND_MS and say why it stopped ($rc, $ms set).
stop_when_busy() {
  wait_until 30 "the consumer busy ($3 requests applied)" output_is -gt "$3" count_in outcome=applied "$2"
  stop_consumer "$1"
  expect_eq "SIGTERM: exit status 0" "$rc" 0
  [ "$ms" -lt "$4" ] || fail "took $ms ms to stop (bound $4 ms)"
  ok "stopped within $ms ms"
  expect_contains "says why it stopped" "$(tail -n 1 "$2")" "consumer stopped by signal"
}
# free_port: a TCP port of 127.0.0.1 free just now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# kill_restart KILLS SECONDS SEED START...: starts three consumers (`START... K N` starts consumer
# K for the Nth time, in the background, adding it to PIDS) and, every 0.1 to 0.9 s, SIGKILLs one
# at random (RANDOM seeded with SEED) and starts it again, until KILLS kills or SECONDS seconds;
# fails unless half the kills happened. The live consumers' pids are left in slot[0..2], the
# number of kills in $kills.
kill_restart() {
  local want=$1 secs=$2 end=$((SECONDS + $2)) k
  RANDOM=$3
  shift 3
  slot=()
  kills=0
  for k in 0 1 2; do "$@" "$k" 0; slot[$k]=$!; done
  while [ "$kills" -lt "$want" ] && [ $SECONDS -lt $end ]; do
    sleep "0.$((RANDOM % 9 + 1))"
    k=$((RANDOM % 3))
    if kill -0 "${slot[$k]}" 2>/dev/null; then
      kill -KILL "${slot[$k]}"
      wait "${slot[$k]}" 2>/dev/null || true
      kills=$((kills + 1))
    fi
    "$@" "$k" "$kills"
    slot[$k]=$!
  done
  [ "$kills" -ge $((want / 2)) ] || fail "only $kills of $want kills happened in $secs s"
  ok "$kills consumers killed with SIGKILL and restarted"
}
