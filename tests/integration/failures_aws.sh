#!/usr/bin/env bash
# Failure paths on the AWS stand-ins, each a regression test of a measured defect. Faults are
# injected by the signature-checking proxy (POST $EP/__proxy_faults, rules matching this test's own
# queue and table names):
#   1. the SQS source fails for 4 s mid-run (503 to every call of the queue): the consumer backs
#      off, reports it, keeps going, and ends exact (it used to stop: "ReceiveMessage:
#      NetworkError", exit 1);
#   2. the store answers slowly (5 s a create) and SIGTERM comes: the consumer exits within
#      --shutdown-timeout, and a second consumer finishes the work exactly;
#   3. the store refuses one request for good (ValidationException): it is dead-lettered with the
#      store's words after three tries; the rest is applied;
#   4. the widget table is deleted mid-run: an outage, never "widget not found" - nothing is
#      dead-lettered, and after --max-outage the consumer stops with exit 1 and a clear error,
#      every request not applied still in the queue;
#   5. a bucket of 1,000 requests shared by two shards (--shard 0/2, 1/2), 100 keys a page: each
#      walks every page and applies all of its own (a truncated listing is never an empty poll).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
trap 'clear_faults; cleanup' EXIT

# 1. A source outage mid-run.
url=$(mk_queue "$RUN-q1")
mk_table "$RUN-t1"
"$PRODUCER" -rq "$RUN-q1" --endpoint-url "$EP" -mwr 1500 --seed 21 --expected "$WORK/e1.json" -q
"$CONSUMER" -rq "$RUN-q1" -dwt "$RUN-t1" --endpoint-url "$EP" -qwt 1 --max-empty-polls 3 \
  --log-file "$WORK/c1.log" -q &
pid=$!
PIDS+=($pid)
wait_until 30 "200 requests applied" output_is -gt 200 count_in outcome=applied "$WORK/c1.log"
faults "[{\"match\": \"$RUN-q1\", \"status\": 503, \"code\": \"ServiceUnavailable\"}]"
sleep 4 # the outage's length
clear_faults
set +e; wait $pid; rc=$?; set -e
expect_eq "source outage: the consumer kept going (exit 0)" "$rc" 0
expect_contains "source outage: reported" "$(cat "$WORK/c1.log")" "source is failing: ReceiveMessage: ServiceUnavailable"
expect_contains "source outage: recovery reported" "$(cat "$WORK/c1.log")" "source works again after"
expect_eq "source outage: the queue is empty" "$(queue_depth "$url")" 0
out=$("$VERIFY" -dwt "$RUN-t1" --endpoint-url "$EP" --expected "$WORK/e1.json") || fail "$out"
expect_contains "source outage: final state exact" "$out" "OK: "

# 2. Shutdown bounded under slow answers of the store.
url=$(mk_queue "$RUN-q2")
mk_table "$RUN-t2"
"$PRODUCER" -rq "$RUN-q2" --endpoint-url "$EP" -mwr 300 --seed 22 --expected "$WORK/e2.json" -q
# The store's writes hang for 5 s, then the connection drops unanswered (a call the server still
# applied after its caller gave up would reorder the widget's requests: the subject of another
# work). Set before the consumer starts (its start-up check, DescribeTable, is not a write); the
# SIGTERM comes once it holds requests (received: not visible in the queue).
faults "[{\"match\": [\"$RUN-t2\", \"PutItem\"], \"delay_ms\": 5000, \"drop\": true}]"
"$CONSUMER" -rq "$RUN-q2" -dwt "$RUN-t2" --endpoint-url "$EP" -qwt 1 -qvt 3 --max-empty-polls 0 \
  --shutdown-timeout 2000 --log-file "$WORK/c2.log" -q &
pid=$!
PIDS+=($pid)
wait_until 30 "requests in flight (the store's writes hanging)" output_is -gt 0 queue_in_flight "$url"
stop_consumer $pid
clear_faults
expect_eq "slow store: exit 0 after SIGTERM" "$rc" 0
[ $ms -lt 3000 ] || fail "slow store: took $ms ms to stop (--shutdown-timeout 2000)"
ok "slow store: stopped within $ms ms"
expect_contains "slow store: says what it left" "$(cat "$WORK/c2.log")" "(--shutdown-timeout)"
# What was in flight comes back after its visibility timeout (3 s): the second consumer polls
# longer than that (6 empty polls of 1 s in a row) and takes it then.
"$CONSUMER" -rq "$RUN-q2" -dwt "$RUN-t2" --endpoint-url "$EP" -qwt 1 --max-empty-polls 6 \
  --log-file "$WORK/c2b.log" -q || fail "slow store: second consumer failed"
expect_eq "slow store: the queue is empty after a second consumer" "$(queue_depth "$url")" 0
out=$("$VERIFY" -dwt "$RUN-t2" --endpoint-url "$EP" --expected "$WORK/e2.json") || fail "$out"
expect_contains "slow store: final state exact" "$out" "OK: "

# 3. A request the store refuses for good.
url=$(mk_queue "$RUN-q3")
dlq=$(mk_queue "$RUN-dead3")
mk_table "$RUN-t3"
awscli sqs send-message --queue-url "$url" --message-body \
  '{"type":"create","requestId":"r-refused","widgetId":"w-refused-by-the-store","owner":"Sue Smith"}' >/dev/null
"$PRODUCER" -rq "$RUN-q3" --endpoint-url "$EP" -mwr 50 --seed 23 --expected "$WORK/e3.json" -q
# Only the table's calls (its item JSON), not the dead letter that carries the same request.
faults "[{\"match\": \"\\\"S\\\":\\\"w-refused-by-the-store\", \"status\": 400, \"code\": \"ValidationException\"}]"
"$CONSUMER" -rq "$RUN-q3" -dwt "$RUN-t3" --dead-letter-queue "$RUN-dead3" --endpoint-url "$EP" \
  -qwt 1 --retry-delay 100 --max-empty-polls 4 --log-file "$WORK/c3.log" -q || fail "refused: consumer failed"
clear_faults
expect_eq "refused: the rest applied" "$(grep -c outcome=applied "$WORK/c3.log")" 50
expect_eq "refused: dead-lettered once" "$(grep -c 'outcome=dead-lettered' "$WORK/c3.log")" 1
expect_contains "refused: with the store's words" "$(grep outcome=dead-lettered "$WORK/c3.log")" \
  "the store refused it 3 times: ValidationException"
expect_eq "refused: the request queue is empty" "$(queue_depth "$url")" 0
expect_eq "refused: the dead-letter queue holds it" "$(queue_depth "$dlq")" 1

# 4. The table deleted mid-run: an outage, not missing widgets.
url=$(mk_queue "$RUN-q4")
mk_table "$RUN-t4"
"$PRODUCER" -rq "$RUN-q4" --endpoint-url "$EP" -mwr 2000 --seed 24 -q
"$CONSUMER" -rq "$RUN-q4" -dwt "$RUN-t4" --endpoint-url "$EP" -qwt 1 -qvt 2 --max-empty-polls 0 \
  --max-outage 4000 --log-file "$WORK/c4.log" -q &
pid=$!
PIDS+=($pid)
wait_until 30 "100 requests applied" output_is -gt 100 count_in outcome=applied "$WORK/c4.log"
awscli dynamodb delete-table --table-name "$RUN-t4" >/dev/null
set +e; wait $pid; rc=$?; set -e
applied=$(grep -c outcome=applied "$WORK/c4.log")
expect_eq "table deleted: exit 1 after --max-outage" "$rc" 1
expect_contains "table deleted: a clear error" "$(tail -n 1 "$WORK/c4.log")" "store failing for"
expect_contains "table deleted: naming the cause" "$(tail -n 1 "$WORK/c4.log")" "ResourceNotFoundException"
expect_eq "table deleted: nothing dead-lettered" "$(grep -c 'outcome=dead-lettered\|outcome=warning' "$WORK/c4.log" || true)" 0
failed=$(grep -c outcome=failed "$WORK/c4.log" || true)
[ "$failed" -lt 60 ] || fail "table deleted: $failed failed attempts in 4 s: no backoff"
ok "table deleted: backed off ($failed failed attempts in 4 s)"
# (the count settles once the calls the consumer left when it stopped are answered)
wait_until 30 "every request not applied ($((2000 - applied))) in the queue" output_is -eq $((2000 - applied)) queue_depth "$url"
ok "table deleted: every request not applied is still in the queue"

# 5. Two shards walk every page of one bucket.
mk_bucket "$RUN-r5"
mk_table "$RUN-t5"
"$PRODUCER" -rb "$RUN-r5" --endpoint-url "$EP" -mwr 1000 --seed 25 --expected "$WORK/e5.json" -q
for k in 0 1; do
  "$CONSUMER" -rb "$RUN-r5" -dwt "$RUN-t5" --endpoint-url "$EP" --shard "$k/2" --max-empty-polls 2 \
    --log-file "$WORK/c5-$k.log" -q &
  PIDS+=($!)
done
wait "${PIDS[@]: -2}" || fail "shards: a consumer failed"
a=$(grep -c outcome=applied "$WORK/c5-0.log"); b=$(grep -c outcome=applied "$WORK/c5-1.log")
expect_eq "shards: every request applied once ($a + $b)" $((a + b)) 1000
expect_eq "shards: the bucket is empty" "$(bucket_count "$RUN-r5")" 0
out=$("$VERIFY" -dwt "$RUN-t5" --endpoint-url "$EP" --expected "$WORK/e5.json") || fail "$out"
expect_contains "shards: final state exact" "$out" "OK: "
# 6. One widget's store calls failing (500, twelve times: more than one request's retries) with
# the S3 source: its request is handed back and tried again, later requests of the widget wait
# or are merged by their places, and the end state is exact (an update handed back used to
# come again after the widget's next update and win).
mk_bucket "$RUN-r6"
mk_table "$RUN-t6"
"$PRODUCER" -rb "$RUN-r6" --endpoint-url "$EP" -mwr 400 --seed 26 --expected "$WORK/e6.json" \
  --request-log "$WORK/r6.jsonl" -q
id=$(python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["widgetId"] for l in open(sys.argv[1]) if json.loads(l)["type"] == "update")
print(c.most_common(1)[0][0])' "$WORK/r6.jsonl")
faults "[{\"match\": [\"\\\"S\\\":\\\"$id\", \"$RUN-t6\"], \"status\": 500, \"times\": 12}]"
"$CONSUMER" -rb "$RUN-r6" -dwt "$RUN-t6" --endpoint-url "$EP" --max-empty-polls 3 --retry-delay 100 \
  --log-file "$WORK/c6.log" -q || fail "one widget failing: consumer failed"
clear_faults
expect_contains "one widget failing: its requests failed and were tried again" \
  "$(grep "widgetId=$id" "$WORK/c6.log")" "outcome=failed"
out=$("$VERIFY" -dwt "$RUN-t6" --endpoint-url "$EP" --expected "$WORK/e6.json") || fail "$out"
expect_contains "one widget failing: final state exact" "$out" "OK: "
expect_eq "one widget failing: the bucket is empty" "$(bucket_count "$RUN-r6")" 0
echo "$checks passed, 0 failed"
