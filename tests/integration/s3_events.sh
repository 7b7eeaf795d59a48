#!/usr/bin/env bash
# S3 event notifications as a source (issue 18 part 3): the producer PUTs requests into a bucket
# under a prefix with a space and a '+' and sends the S3 event notification S3 would (three
# records a message, delivered out of order: --disorder 200, an s3:TestEvent first). Three
# consumers on the notification queue (-rq, recognised by shape) into DynamoDB, killed with
# SIGKILL at random moments and restarted; then a last one. Also on the queue: a bad notification
# (dead-lettered with its reason), a notification of an object already gone (skipped) and one of a
# bad request (its object moved to the dead-letter prefix with the reason).
# Afterwards: the store exactly the expected state, every request object and every message gone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_S3_EVENTS_REQUESTS:-1500}
B="s3-events-$$-req"
PREFIX="in box/a+b/"
mk_bucket "$B"
url=$(mk_queue "$RUN-note")
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-t"
"$PRODUCER" -rb "$B" --request-prefix "$PREFIX" --notify "$RUN-note" --notify-records 3 \
  --endpoint-url "$EP" -mwr "$N" --seed 2031 --disorder 200 --expected "$WORK/expected.json" -q
expect_eq "every request object is in the bucket" "$(bucket_count "$B" "$PREFIX")" "$N"
# A notification whose record has no object key, and one of an object already gone.
awscli sqs send-message --queue-url "$url" --message-body \
  '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"'"$B"'"},"object":{"size":3}}}]}' >/dev/null
awscli sqs send-message --queue-url "$url" --message-body \
  '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"'"$B"'"},"object":{"key":"in+box/a%2Bb/1000000000000-0000000000","size":3}}}]}' >/dev/null
# A bad request behind a good notification: its object goes to the dead-letter place.
printf '{"type":"explode"}' > "$WORK/bad.json"
awscli s3api put-object --bucket "$B" --key "in box/a+b/1000000000001-bad+x" --body "$WORK/bad.json" >/dev/null
awscli sqs send-message --queue-url "$url" --message-body \
  '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"'"$B"'"},"object":{"key":"in+box/a%2Bb/1000000000001-bad%2Bx","size":18}}}]}' >/dev/null

start_consumer() { # start_consumer K: (re)starts consumer K in the background
  "$CONSUMER" -rq "$RUN-note" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" \
    -qwt 1 -qvt 2 --concurrency 8 --max-empty-polls 4 --log-level debug --log-file "$WORK/c$1.log" -q &
  PIDS+=($!)
}
kill_restart 8 40 7 start_consumer
# The consumers left running were never killed: each must end well (ASan: no leak, no error).
for k in 0 1 2; do wait "${slot[$k]}" || fail "consumer $k exited with $?"; done
# Whatever the kills left invisible comes back after the visibility timeout: a last consumer.
"$CONSUMER" -rq "$RUN-note" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" \
  -qwt 1 -qvt 2 --concurrency 8 --max-empty-polls 5 --log-level debug --log-file "$WORK/last.log" -q ||
  fail "last consumer failed"

all=$(cat "$WORK"/c?.log "$WORK/last.log")
expect_eq "the notification queue is empty" "$(queue_depth "$url")" 0
expect_eq "every request object is gone" "$(bucket_count "$B" "$PREFIX")" 0
expect_eq "one dead-letter object: the bad request" "$(bucket_count "$B" "dead-letter/in box/a+b/")" 1
reason=$(awscli s3api head-object --bucket "$B" --key "dead-letter/in box/a+b/1000000000001-bad+x" \
  --query Metadata.reason --output text)
expect_contains "its reason" "$reason" "explode"
expect_contains "the s3:TestEvent is skipped" "$all" "s3:TestEvent, skipped"
expect_contains "an object already gone is skipped" "$all" \
  "request=in box/a+b/1000000000000-0000000000 (bucket $B): object already gone, skipped"
expect_eq "one dead letter: the bad notification" "$(queue_depth "$dlq")" 1
read_dead "$dlq" "$WORK/dead.jsonl"
expect_contains "its reason" "$(cat "$WORK/dead.jsonl")" \
  'bad S3 event notification: Records[0]: no bucket name or object key'
expect_eq "no failed outcome" "$(grep -c 'outcome=failed' <<<"$all" || true)" 0
out=$("$VERIFY" -dwt "$RUN-t" --endpoint-url "$EP" --expected "$WORK/expected.json") || fail "$out"
expect_contains "the store is exactly the expected state" "$out" "OK: "
echo "figures: S3 events: $N requests in $(((N + 2) / 3)) notification messages (--disorder 200)," \
  "3 consumers, $kills SIGKILLs, $(outcome_counts "$WORK"/c?.log "$WORK/last.log")," \
  "$(grep -c 'outcome=deferred' <<<"$all") deferred (their messages came back)," \
  "$(grep -c 'object already gone' <<<"$all") objects already gone (skipped), 0 differences"
echo "$checks passed, 0 failed"
