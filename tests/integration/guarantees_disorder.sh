#!/usr/bin/env bash
# Guarantees on a standard queue, which promises no order: the final state equals applying every
# request once in production order (exact order: the producer's sequence attribute and the
# store's ledgers), with nothing excluded:
#   1. the producer delivering out of order within windows of 300, three consumers at
#      --concurrency 8;
#   2. every request delivered in reverse (updates and deletes long before their creates), two
#      consumers;
#   3. one widget's store calls failing (500, five times: the proxy matches its id), so its
#      requests are handed back and come again after later ones;
#   4. for comparison, --order classic on the same disordered stream: swapped updates differ
#      (what exact order is for; the figure is printed).
#   5. an update delivered just before its create: offered again as soon as the create is
#      applied (issue 16), not when its delay ends.
# Each: the table exactly the expected state, the queue empty, every request applied,
# superseded, already applied or dead-lettered (the spec's warning) and none lost.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_DISORDER_REQUESTS:-2000}
trap 'clear_faults; cleanup' EXIT

# run NAME CONSUMERS PRODUCER-ARGS... : produce N requests into a new standard queue, drain it
# into a new table with CONSUMERS consumers, and check the outcome.
run() {
  local name=$1 consumers=$2; shift 2
  local url dlq
  url=$(mk_queue "$RUN-$name")
  dlq=$(mk_queue "$RUN-$name-dead")
  mk_table "$RUN-$name"
  "$PRODUCER" -rq "$RUN-$name" --endpoint-url "$EP" -mwr "$N" --expected "$WORK/$name.json" \
    --request-log "$WORK/$name.requests" --swapped "$WORK/$name.swapped" -q "$@"
  [ -n "${BEFORE:-}" ] && $BEFORE "$name"
  local pids=()
  for k in $(seq "$consumers"); do
    "$CONSUMER" -rq "$RUN-$name" -dwt "$RUN-$name" --dead-letter-queue "$RUN-$name-dead" \
      --endpoint-url "$EP" -qwt 1 --concurrency 8 --max-empty-polls 3 --retry-delay 100 \
      --log-file "$WORK/$name-$k.log" -q ${ORDER:+--order $ORDER} &
    pids+=($!)
    PIDS+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "$name: a consumer failed"; done
  expect_eq "$name: the queue is empty" "$(queue_depth "$url")" 0
  local dead
  dead=$(queue_depth "$dlq")
  read_dead "$dlq" "$WORK/$name.dead"
  python3 - "$WORK/$name.requests" "$WORK/$name.dead" "$WORK"/"$name"-?.log <<'PY' || fail "$name: requests were lost"
import json, re, sys
produced = {json.loads(l)["requestId"] for l in open(sys.argv[1])}
dead = {json.loads(json.loads(l)["body"])["requestId"] for l in open(sys.argv[2])}
done = set()
for log in sys.argv[3:]:
    for line in open(log):
        m = re.search(r"requestId=(\S+) .*outcome=(applied|superseded|already-applied|warning) ", line)
        if m:
            done.add(m.group(1))
lost = produced - done - dead
print(f"produced {len(produced)}, applied/superseded/warned {len(done & produced)}, lost {len(lost)}")
sys.exit(1 if lost else 0)
PY
  ok "$name: every request applied, superseded, already applied or warned"
  local out
  out=$("$VERIFY" -dwt "$RUN-$name" --endpoint-url "$EP" --expected "$WORK/$name.json") || true
  echo "$name: $out" | head -3
  local all
  all=$(cat "$WORK/$name"-?.log)
  echo "figures: $name: $N requests, $consumers consumers: $(grep -c 'outcome=applied' <<<"$all") applied," \
    "$(grep -c 'outcome=superseded' <<<"$all") superseded, $(grep -c 'outcome=already-applied' <<<"$all")" \
    "already applied, $(grep -c 'outcome=deferred' <<<"$all") deferrals, $dead dead letters," \
    "$(wc -l < "$WORK/$name.swapped") updates swapped by the disorder"
  # widget-producer aims updates and deletes at live widgets only: in production order nothing
  # is a warning, so in exact order every dead letter would be a false one.
  [ "${ORDER:-exact}" = classic ] || expect_eq "$name: no dead letters (no false warnings)" "$dead" 0
  RESULT=$out
}

run disorder 3 --seed 7 --disorder 300
expect_contains "disorder: the table is exactly the expected state" "$RESULT" "OK: "
[ "$(wc -l < "$WORK/disorder.swapped")" -gt 0 ] || fail "the disorder swapped no update: the test proves nothing"

run reversed 2 --seed 8 --disorder "$N" --reverse
expect_contains "reversed: the table is exactly the expected state" "$RESULT" "OK: "

# 3. One widget with updates: its calls fail five times.
fail_one() {
  local id
  id=$(python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["widgetId"] for l in open(sys.argv[1]) if json.loads(l)["type"] == "update")
print(c.most_common(1)[0][0])' "$WORK/$1.requests")
  # the widget in this run's table only: another test may make the same ids from the same seed
  faults "[{\"match\": [\"$id\", \"$RUN-$1\"], \"status\": 500, \"times\": 5}]"
  echo "failing the store calls of widget $id five times"
}
BEFORE=fail_one run failing 1 --seed 9 --disorder 50
clear_faults
expect_contains "failing: the table is exactly the expected state" "$RESULT" "OK: "
grep -q 'outcome=failed' "$WORK"/failing-?.log || fail "failing: no store call failed: the test proves nothing"
ok "failing: the failed requests were tried again"

# 4. Classic order on a disordered stream: the figure exact order saves.
ORDER=classic run classic 3 --seed 7 --disorder 300
echo "figures: classic order on the same stream: $RESULT" | head -1
# 5. Issue 16: an update delivered before its create (produced after it: its sequence is later)
#    finds its widget missing and is deferred; once the create is applied the update is offered
#    again at once (the summary counts it), not when its delay ends. --retry-delay 900 keeps the
#    deferral in hand (under SQS's one-second grain) and leaves the create 900 ms to come first.
url=$(mk_queue "$RUN-early")
mk_table "$RUN-early"
send_seq() {
  awscli sqs send-message --queue-url "$url" --message-body "$2" \
    --message-attributes "{\"sequence\":{\"DataType\":\"String\",\"StringValue\":\"$1\"}}" >/dev/null
}
send_seq 1700000000000-0000000002 '{"type":"update","requestId":"r-early-2","widgetId":"w-early","owner":"Sue Smith","label":"B"}'
send_seq 1700000000000-0000000001 '{"type":"create","requestId":"r-early-1","widgetId":"w-early","owner":"Sue Smith","label":"A"}'
"$CONSUMER" -rq "$RUN-early" -dwt "$RUN-early" --endpoint-url "$EP" -qwt 1 --concurrency 1 \
  --max-empty-polls 1 --retry-delay 900 --log-file "$WORK/early.log" -q || fail "early: the consumer failed"
expect_eq "early: the queue is empty" "$(queue_depth "$url")" 0
expect_eq "early: the update was deferred once and offered again early" \
  "$(grep -o '[0-9]* deferred ([0-9]* offered again early)' "$WORK/early.log")" "1 deferred (1 offered again early)"
expect_eq "early: each request applied once" "$(grep -c 'outcome=applied' "$WORK/early.log")" 2
echo '[{"id":"w-early","owner":"Sue Smith","label":"B","otherAttributes":[]}]' > "$WORK/early.json"
out=$("$VERIFY" -dwt "$RUN-early" --endpoint-url "$EP" --expected "$WORK/early.json") || true
expect_contains "early: the table is exactly the expected state" "$out" "OK: "

echo "$checks passed, 0 failed"
