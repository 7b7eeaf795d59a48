# aws_lib.sh - for the integration tests on the local AWS stand-ins. Sourced after lib.sh.
# The stand-ins are started once per ctest run (the "standins" fixture) into $WC_STANDINS.
[ -f "${WC_STANDINS:?WC_STANDINS names the stand-ins folder}/env" ] || fail "stand-ins are not running"
source "$WC_STANDINS/env"
EP=$WC_ENDPOINT                    # the signature-checking proxy in front of the stand-ins
RUN=$(basename "$0" .sh)-$$        # unique names per test run
awscli() { aws --endpoint-url "$EP" --output json "$@"; }
mk_bucket() { awscli s3api create-bucket --bucket "$1" >/dev/null; }
mk_queue() { awscli sqs create-queue --queue-name "$1" "${@:2}" --query QueueUrl --output text; }
mk_table() {
  awscli dynamodb create-table --table-name "$1" --attribute-definitions "AttributeName=${2:-id},AttributeType=S" \
    --key-schema "AttributeName=${2:-id},KeyType=HASH" --billing-mode PAY_PER_REQUEST >/dev/null
}
# Messages still in a queue, visible or not.
queue_depth() {
  awscli sqs get-queue-attributes --queue-url "$1" \
    --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
    --query 'Attributes.[ApproximateNumberOfMessages,ApproximateNumberOfMessagesNotVisible]' --output text |
    awk '{ print $1 + $2 }'
}
# Keys directly under a prefix of a bucket (not deeper). Counted from the listing: fauxqs leaves
# KeyCount out, which read as 0 whatever the bucket held.
bucket_count() {
  awscli s3api list-objects-v2 --bucket "$1" --prefix "${2:-}" --delimiter / \
    --query 'length(Contents || `[]`)' --output text
}
proxy_stats() { curl -s "$EP/__proxy_stats"; }
rejected() { proxy_stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["rejected"])'; }
# timed NAME COMMAND...: runs it under GNU time; leaves "wall user sys" in $WORK/time.NAME
timed() { local name=$1; shift; /usr/bin/time -f "%e %U %S" -o "$WORK/time.$name" "$@"; }
# read_dead URL FILE: every message of a (dead-letter) queue, one JSON object a line in FILE
# ({"body": ..., "reason": ...}); received with a long visibility, so each is read once.
read_dead() {
  : > "$2"
  local page
  while page=$(awscli sqs receive-message --queue-url "$1" --max-number-of-messages 10 \
    --visibility-timeout 600 --message-attribute-names All) && [ -n "$page" ]; do
    python3 -c '
import json, sys
for m in json.loads(sys.argv[1]).get("Messages", []):
    print(json.dumps({"body": m["Body"], "reason": m.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")}))
' "$page" >> "$2"
    python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1]).get("Messages") else 1)' "$page" || break
  done
}
