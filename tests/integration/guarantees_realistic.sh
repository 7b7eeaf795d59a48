#!/usr/bin/env bash
# Guarantees on realistic data (widget-producer --realistic): no "sequence" message attribute, as
# the course's own producer sends (the consumer's place comes from SentTimestamp + MessageId),
# 10-40 attributes a create with long, non-ASCII, punctuated names and values from empty to
# hundreds of characters, updates that set, clear and set again, widget ids of every shape.
#   1. a standard queue -> DynamoDB, three consumers;
#   2. a standard queue -> S3, two consumers;
#   each: the store exactly the expected state (widget-verify), the queue empty, no dead letter,
#   no failed outcome, no warning or error in the logs;
#   3. one widget of 3,000 attributes created, then updated (1,000 changed, 500 cleared, 200
#      added, the label changed) through a queue into each store (DynamoDB, S3, a directory): the
#      final widget exact, attribute order included where the store keeps it.
# Each part runs to its end and says what failed; the test fails when any part did.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_REALISTIC_REQUESTS:-1000}

# realistic NAME CONSUMERS SEED STORE-ARGS...: the producer's realistic stream through a standard
# queue into the store, checked exact with widget-verify.
realistic() {
  local name=$1 consumers=$2 seed=$3; shift 3
  mk_queue "$RUN-$name" >/dev/null
  mk_queue "$RUN-$name-dead" >/dev/null
  "$PRODUCER" -rq "$RUN-$name" --endpoint-url "$EP" --realistic -mwr "$N" --seed "$seed" \
    --expected "$WORK/$name.json" --request-log "$WORK/$name.requests" -q
  local sequenced
  sequenced=$(awscli sqs receive-message --queue-url "$(mk_queue "$RUN-$name")" \
    --visibility-timeout 0 --message-attribute-names All --query 'Messages[0].MessageAttributes' --output text)
  expect_eq "$name: no sequence attribute sent" "$sequenced" "None"
  consume "$name" "$consumers" "$@"
  local out
  out=$("$VERIFY" "$@" --endpoint-url "$EP" --expected "$WORK/$name.json") || fail "$name: $out"
  expect_contains "$name: the store equals the expected state exactly" "$out" "OK: "
  echo "figures: $name: $out"
}

# The 3,000-attribute widget: its create, its update and the final widget (expected state).
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
attrs = [{"name": f"attr-{i:04d} é", "value": f"v{i}"} for i in range(3000)]
create = {"type": "create", "requestId": "big-c", "widgetId": "big-widget.next", "owner": "Sue Smith",
          "label": "BIG", "description": "three thousand attributes", "otherAttributes": attrs}
changes = ([{"name": f"attr-{i:04d} é", "value": f"u{i}"} for i in range(1000)] +
           [{"name": f"attr-{i:04d} é", "value": ""} for i in range(1000, 1500)] +
           [{"name": f"new-{i:04d}", "value": f"n{i}"} for i in range(200)])
update = {"type": "update", "requestId": "big-u", "widgetId": "big-widget.next", "owner": "Sue Smith",
          "label": "UPDATED", "otherAttributes": changes}
final = ([{"name": f"attr-{i:04d} é", "value": f"u{i}"} for i in range(1000)] +
         [{"name": f"attr-{i:04d} é", "value": f"v{i}"} for i in range(1500, 3000)] +
         [{"name": f"new-{i:04d}", "value": f"n{i}"} for i in range(200)])
widget = {"id": "big-widget.next", "owner": "Sue Smith", "label": "UPDATED",
          "description": "three thousand attributes", "otherAttributes": final}
for name, doc in (("big-create", create), ("big-update", update)):
    with open(f"{work}/{name}.json", "w") as f:
        f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
with open(f"{work}/big-expected.json", "w") as f:
    json.dump([widget], f, ensure_ascii=False)
PY

# big NAME STORE-ARGS...: the create, then the update, each its own message, into the store.
big() {
  local name=$1; shift
  local url
  url=$(mk_queue "$RUN-$name")
  mk_queue "$RUN-$name-dead" >/dev/null
  awscli sqs send-message --queue-url "$url" --message-body "file://$WORK/big-create.json" >/dev/null
  sleep 0.01 # another millisecond: the create's place is before the update's
  awscli sqs send-message --queue-url "$url" --message-body "file://$WORK/big-update.json" >/dev/null
  consume "$name" 1 "$@"
  local out
  out=$("$VERIFY" "$@" --endpoint-url "$EP" --expected "$WORK/big-expected.json") || fail "$name: $out"
  expect_contains "$name: the 3,000-attribute widget is exact" "$out" "OK: 1 expected, 1 found: 1 matching"
}

mk_table "$RUN-dynamodb"
part "realistic -> DynamoDB" realistic dynamodb 3 201 -dwt "$RUN-dynamodb"
mk_bucket "$RUN-s3"
part "realistic -> S3" realistic s3 2 202 -wb "$RUN-s3"
mk_table "$RUN-big"
part "3,000 attributes -> DynamoDB" big big-dynamodb -dwt "$RUN-big"
mk_bucket "$RUN-big"
part "3,000 attributes -> S3" big big-s3 -wb "$RUN-big"
part "3,000 attributes -> directory" big big-dir --widget-dir "$WORK/big-widgets"

parts_done
