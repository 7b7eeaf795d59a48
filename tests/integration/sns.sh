#!/usr/bin/env bash
# Requests published to an SNS topic (widget-producer --topic) and consumed from the SQS queues
# subscribed to it (fauxqs's SNS): one queue with RawMessageDelivery=true (bodies are the
# requests), the others wrapped (bodies are SNS envelopes, which the consumer unwraps, taking the
# place from the envelope's sequence attribute or its Timestamp and MessageId).
#   1. realistic data (no sequence attribute): raw -> DynamoDB, wrapped -> DynamoDB (3 consumers
#      each), wrapped -> S3 (2 consumers);
#   2. --disorder 30 (sequence attribute): raw and wrapped -> DynamoDB (3 consumers each);
#   each: the store exactly the expected state (widget-verify), the queue empty, no dead letter;
#   3. a FIFO topic (MessageGroupId = widgetId) to a wrapped FIFO queue -> DynamoDB, 2 consumers;
#   4. malformed envelopes (Message not a string, a bad Timestamp) dead-lettered whole with their
#      reason in the log, a good envelope beside them applied; with --sqs-envelope sns, a bare
#      request dead-lettered as no envelope;
#   5. --sqs-envelope none: an envelope is a bad request, dead-lettered with the parser's reason;
#      a bad --sqs-envelope is bad usage; a missing topic is named by the producer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_SNS_REQUESTS:-300}

mk_topic() { awscli sns create-topic --name "$1" --query TopicArn --output text; }
# subscribe TOPIC QUEUE RAW [CREATE-QUEUE-ARGS...]: the queue (made here, and QUEUE-dead)
# subscribed to the topic, raw delivery or not.
subscribe() {
  local url arn
  url=$(mk_queue "$2" "${@:4}")
  mk_queue "${2%.fifo}-dead" >/dev/null
  arn=$(awscli sqs get-queue-attributes --queue-url "$url" --attribute-names QueueArn \
    --query Attributes.QueueArn --output text)
  awscli sns subscribe --topic-arn "$1" --protocol sqs --notification-endpoint "$arn" \
    --attributes "RawMessageDelivery=$3" >/dev/null
}
verify() { # verify NAME EXPECTED STORE-ARGS...
  local name=$1 expected=$2; shift 2
  local out
  out=$("$VERIFY" "$@" --endpoint-url "$EP" --expected "$expected") || fail "$name: $out"
  expect_contains "$name: the store equals the expected state exactly" "$out" "OK: "
  echo "figures: $name: $out"
}

# fan_out NAME SEED PRODUCER-ARGS...: a topic, a raw and a wrapped queue into DynamoDB (and with
# S3=1 a second wrapped queue into S3), N requests published, every queue drained and verified.
fan_out() {
  local name=$1 seed=$2; shift 2
  local topic
  topic=$(mk_topic "$RUN-$name")
  subscribe "$topic" "$RUN-$name-raw" true
  subscribe "$topic" "$RUN-$name-wrapped" false
  [ "${S3:-0}" = 1 ] && subscribe "$topic" "$RUN-$name-s3" false
  "$PRODUCER" --topic "$topic" --endpoint-url "$EP" -mwr "$N" --seed "$seed" \
    --expected "$WORK/$name.json" -q "$@" || fail "$name: the producer failed"
  local body
  body=$(awscli sqs receive-message --queue-url "$(mk_queue "$RUN-$name-wrapped")" \
    --visibility-timeout 0 --query 'Messages[0].Body' --output text)
  expect_contains "$name: the wrapped queue holds SNS envelopes" "$body" '"Type":"Notification"'
  mk_table "$RUN-$name-raw"
  mk_table "$RUN-$name-wrapped"
  consume "$name-raw" 3 -dwt "$RUN-$name-raw" --sqs-envelope none
  consume "$name-wrapped" 3 -dwt "$RUN-$name-wrapped" --sqs-envelope sns
  verify "$name-raw" "$WORK/$name.json" -dwt "$RUN-$name-raw"
  verify "$name-wrapped" "$WORK/$name.json" -dwt "$RUN-$name-wrapped"
  if [ "${S3:-0}" = 1 ]; then
    mk_bucket "$RUN-$name-s3"
    consume "$name-s3" 2 -wb "$RUN-$name-s3"
    verify "$name-s3" "$WORK/$name.json" -wb "$RUN-$name-s3"
  fi
}

fifo() {
  local topic url
  topic=$(awscli sns create-topic --name "$RUN-fifo.fifo" --attributes FifoTopic=true \
    --query TopicArn --output text)
  subscribe "$topic" "$RUN-fifo.fifo" false --attributes FifoQueue=true
  "$PRODUCER" --topic "$topic" --endpoint-url "$EP" -mwr "$N" --seed 303 \
    --expected "$WORK/fifo.json" -q || fail "fifo: the producer failed"
  mk_table "$RUN-fifo"
  local pids=()
  for k in 1 2; do
    "$CONSUMER" -rq "$RUN-fifo.fifo" -dwt "$RUN-fifo" --dead-letter-queue "$RUN-fifo-dead" \
      --endpoint-url "$EP" -qwt 1 --max-empty-polls 3 --log-file "$WORK/fifo-$k.log" -q &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "fifo: a consumer failed"; done
  expect_eq "fifo: the queue is empty" "$(queue_depth "$(mk_queue "$RUN-fifo.fifo" --attributes FifoQueue=true)")" 0
  expect_eq "fifo: no dead letter" "$(queue_depth "$(mk_queue "$RUN-fifo-dead")")" 0
  expect_eq "fifo: no warning or error in the logs" "$(cat "$WORK"/fifo-*.log | grep -cE '^[^ ]+ (WARN|ERROR) ' || true)" 0
  verify fifo "$WORK/fifo.json" -dwt "$RUN-fifo"
}

# envelope TYPE MESSAGE-JSON TIMESTAMP: an SNS envelope as fauxqs writes one (MESSAGE-JSON is
# the Message member's JSON: a string, or anything else for a malformed one).
envelope() {
  python3 -c 'import json, sys, uuid
print(json.dumps({"Type": sys.argv[1], "MessageId": str(uuid.uuid4()), "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
  "Subject": None, "Message": json.loads(sys.argv[2]), "Timestamp": sys.argv[3], "SignatureVersion": "1",
  "Signature": "EXAMPLE", "MessageAttributes": {}}, separators=(",", ":")))' "$@"
}
REQUEST='{"type":"create","requestId":"r-good","widgetId":"w-good","owner":"Sue Smith","label":"L"}'

# drain NAME STORE-ARGS...: one consumer on $RUN-NAME (dead letters to $RUN-NAME-dead).
drain() {
  local name=$1; shift
  "$CONSUMER" -rq "$RUN-$name" "$@" --dead-letter-queue "$RUN-$name-dead" --endpoint-url "$EP" \
    -qwt 1 --max-empty-polls 2 --log-file "$WORK/$name.log" -q || fail "$name: the consumer failed"
  expect_eq "$name: the queue is empty" "$(queue_depth "$(mk_queue "$RUN-$name")")" 0
  read_dead "$(mk_queue "$RUN-$name-dead")" "$WORK/$name.dead"
}

malformed() {
  local url good no_message bad_time
  url=$(mk_queue "$RUN-malformed")
  mk_queue "$RUN-malformed-dead" >/dev/null
  good=$(envelope Notification "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$REQUEST")" \
    2026-01-02T03:04:05.678Z)
  no_message=$(envelope Notification '{"type":"create"}' 2026-01-02T03:04:05.678Z)
  bad_time=$(envelope Notification '"{}"' "2026-01-02 03:04:05")
  for body in "$good" "$no_message" "$bad_time"; do
    awscli sqs send-message --queue-url "$url" --message-body "$body" >/dev/null
  done
  mk_table "$RUN-malformed"
  drain malformed -dwt "$RUN-malformed"
  expect_eq "malformed: two dead letters" "$(wc -l < "$WORK/malformed.dead")" 2
  python3 - "$WORK/malformed.dead" "$no_message" "$bad_time" <<'PY' || fail "malformed: dead letters not whole, or without their reason"
import json, sys
dead = {json.loads(l)["body"]: json.loads(l)["reason"] for l in open(sys.argv[1])}
assert "without a Message string" in dead[sys.argv[2]], dead
assert "is not ISO 8601 UTC" in dead[sys.argv[3]], dead
PY
  ok "malformed: each dead letter is the whole envelope, with its reason"
  expect_contains "malformed: the reason in the log" "$(cat "$WORK/malformed.log")" \
    "SNS envelope (Type Notification) without a Message string"
  expect_contains "malformed: the good envelope beside them applied" \
    "$(awscli dynamodb get-item --table-name "$RUN-malformed" --key '{"id":{"S":"w-good"}}' --query Item.label.S --output text)" L
  # --sqs-envelope sns: a bare request is no envelope
  awscli sqs send-message --queue-url "$url" --message-body "$REQUEST" >/dev/null
  drain malformed -dwt "$RUN-malformed" --sqs-envelope sns
  expect_contains "sns mode: a bare request dead-lettered as no envelope" "$(cat "$WORK/malformed.dead")" \
    "not an SNS envelope"
}

none_mode() {
  local topic
  topic=$(mk_topic "$RUN-none")
  subscribe "$topic" "$RUN-none" false
  "$PRODUCER" --topic "$topic" --endpoint-url "$EP" -mwr 1 --seed 7 -q || fail "none: the producer failed"
  mk_table "$RUN-none"
  drain none -dwt "$RUN-none" --sqs-envelope none
  expect_eq "none: the envelope dead-lettered" "$(wc -l < "$WORK/none.dead")" 1
  local reason
  reason=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["reason"])' "$WORK/none.dead")
  echo "none: reason: $reason"
  expect_contains "none: as a bad request, with the parser's reason" "$reason" "type"
  expect_contains "none: the reason in the log" "$(cat "$WORK/none.log")" "$reason"
  local out status=0
  out=$("$CONSUMER" -rq "$RUN-none" -dwt "$RUN-none" --sqs-envelope wrapped 2>&1) || status=$?
  expect_eq "a bad --sqs-envelope is bad usage" "$status" 2
  expect_contains "a bad --sqs-envelope is named" "$out" '--sqs-envelope must be sns, none or auto, not "wrapped"'
  status=0
  out=$("$PRODUCER" --topic "$topic-missing" --endpoint-url "$EP" -mwr 1 -q 2>&1) || status=$?
  expect_eq "a missing topic: the producer fails" "$status" 1
  expect_contains "a missing topic is named with SNS's error" "$out" "topic \"$topic-missing\": NotFound"
}

S3=1 part "realistic: raw and wrapped -> DynamoDB, wrapped -> S3" fan_out realistic 301 --realistic
part "disorder: raw and wrapped -> DynamoDB" fan_out disorder 302 --disorder 30
part "FIFO topic: wrapped FIFO queue -> DynamoDB" fifo
part "malformed envelopes dead-lettered" malformed
part "--sqs-envelope none: an envelope is a bad request" none_mode
parts_done
