#!/usr/bin/env bash
# Start-up errors: a missing bucket, queue or table, and wrong credentials (the proxy rejects
# them), each a one-line message naming the resource and the AWS error, exit status 1, before
# any request is touched.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
mk_bucket "$RUN-requests"
mk_table "$RUN-widgets"
url=$(mk_queue "$RUN-q")

start_error() { # start_error WHAT EXPECTED_PREFIX ARGS...
  local what=$1 want=$2; shift 2
  set +e
  out=$("$CONSUMER" --endpoint-url "$EP" "$@" -q 2>&1); rc=$?
  set -e
  expect_eq "$what: exit status" "$rc" 1
  expect_eq "$what: one line" "$(printf '%s\n' "$out" | wc -l)" 1
  expect_contains "$what: message" "$out" "$want"
}
start_error "missing request bucket" 'widget-consumer: request bucket "nosuch-bucket": NoSuchBucket: ' \
  -rb nosuch-bucket -dwt "$RUN-widgets"
start_error "missing widget bucket" 'widget-consumer: widget bucket "nosuch-widgets": NoSuchBucket: ' \
  -rb "$RUN-requests" -wb nosuch-widgets
start_error "missing queue" 'widget-consumer: request queue "nosuch-queue": QueueDoesNotExist' \
  -rq nosuch-queue -dwt "$RUN-widgets"
start_error "missing dead-letter queue" 'widget-consumer: dead-letter queue "nosuch-dlq": QueueDoesNotExist' \
  -rq "$RUN-q" --dead-letter-queue nosuch-dlq -dwt "$RUN-widgets"
# Issue 9: the request queue as its own dead-letter queue, by name or by its URL: refused before
# anything is received (a URL of another host is a unit test: fauxqs knows its own URLs only).
for dlq in "$RUN-q" "$url"; do
  start_error "dead-letter queue = request queue ($dlq)" \
    "widget-consumer: --dead-letter-queue \"$dlq\" is the request queue itself (" \
    -rq "$RUN-q" --dead-letter-queue "$dlq" -dwt "$RUN-widgets"
done
start_error "missing table" 'widget-consumer: widget table "nosuch-table": ResourceNotFoundException: ' \
  -rq "$RUN-q" -dwt nosuch-table
mk_table "$RUN-other-key" widgetId
start_error "table with another key" "widget-consumer: widget table \"$RUN-other-key\": its partition key is \"widgetId\", not \"id\" (use --dynamodb-key widgetId)" \
  -rq "$RUN-q" -dwt "$RUN-other-key"
before=$(rejected)
AWS_SECRET_ACCESS_KEY=not-the-secret start_error "wrong secret key" \
  'widget-consumer: request queue "'"$RUN-q"'": SignatureDoesNotMatch: ' -rq "$RUN-q" -dwt "$RUN-widgets"
AWS_ACCESS_KEY_ID=AKIDUNKNOWN start_error "unknown access key" \
  'widget-consumer: request bucket "'"$RUN-requests"'": InvalidAccessKeyId: ' -rb "$RUN-requests" -dwt "$RUN-widgets"
AWS_ACCESS_KEY_ID=AKIDUNKNOWN start_error "unknown access key (DynamoDB)" \
  'widget-consumer: widget table "'"$RUN-widgets"'": UnrecognizedClientException: ' --request-dir "$WORK" -dwt "$RUN-widgets"
[ "$(rejected)" -ge $((before + 3)) ] || fail "the proxy should have rejected the bad credentials"
ok "the proxy rejected the bad signatures"
set +e
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK" "$CONSUMER" --endpoint-url "$EP" -rq "$RUN-q" -dwt "$RUN-widgets" -q 2>&1); rc=$?
set -e
expect_eq "no credentials: exit status" "$rc" 1
expect_contains "no credentials: says what to do" "$out" "no AWS credentials: set AWS_ACCESS_KEY_ID"
expect_eq "nothing was taken from the queue" "$(queue_depth "$url")" 0
echo "$checks passed, 0 failed"
