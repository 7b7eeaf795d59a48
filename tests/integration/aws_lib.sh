# aws_lib.sh - for the integration tests on the local AWS stand-ins. Sourced after lib.sh.
# The stand-ins are started once per ctest run (the "standins" fixture) into $WC_STANDINS.
[ -f "${WC_STANDINS:?WC_STANDINS names the stand-ins folder}/env" ] || fail "stand-ins are not running"
source "$WC_STANDINS/env"
EP=$WC_ENDPOINT                    # the signature-checking proxy in front of the stand-ins
RUN=$(basename "$0" .sh)-$$        # unique names per test run
awscli() { aws --endpoint-url "$EP" --output json "$@"; }
mk_bucket() { awscli s3api create-bucket --bucket "$1" >/dev/null; }
mk_queue() { awscli sqs create-queue --queue-name "$1" "${@:2}" --query QueueUrl --output text; }
# A table keyed by $2 (default id), once ACTIVE (table_active).
mk_table() {
  awscli dynamodb create-table --table-name "$1" --attribute-definitions "AttributeName=${2:-id},AttributeType=S" \
    --key-schema "AttributeName=${2:-id},KeyType=HASH" --billing-mode PAY_PER_REQUEST >/dev/null
  table_active "$1"
}
# Messages still in a queue, visible or not.
queue_depth() {
  awscli sqs get-queue-attributes --queue-url "$1" \
    --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
    --query 'Attributes.[ApproximateNumberOfMessages,ApproximateNumberOfMessagesNotVisible]' --output text |
    awk '{ print $1 + $2 }'
}
# Keys directly under a prefix of a bucket (not deeper). Counted from the listing: fauxqs leaves
# KeyCount out, which read as 0 whatever the bucket held; one count a page of 1,000, summed.
bucket_count() {
  awscli s3api list-objects-v2 --bucket "$1" --prefix "${2:-}" --delimiter / \
    --query 'length(Contents || `[]`)' --output text | awk '{ n += $1 } END { print n + 0 }'
}
# faults RULES-JSON: the proxy's fault rules (a list: match, status, code, delay_ms, drop...) for
# this run, and clear_faults: this run's cleared. Rules carry this run as their owner, and only this
# run's are cleared: tests running at once (ctest -j2) share the proxy, and a DELETE of all rules
# wiped the others' faults mid-run.
faults() {
  curl -s -X POST --data "$(python3 -c 'import json, sys
print(json.dumps([dict(r, owner=sys.argv[2]) for r in json.loads(sys.argv[1])]))' "$1" "$RUN")" \
    "$EP/__proxy_faults" >/dev/null
}
clear_faults() { curl -s -X DELETE "$EP/__proxy_faults?owner=$RUN" >/dev/null; }
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
for m in json.load(sys.stdin).get("Messages", []):
    print(json.dumps({"body": m["Body"], "reason": m.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")}))
' <<< "$page" >> "$2" # on stdin: a page of big messages is over what one argument may hold
    python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("Messages") else 1)' <<< "$page" || break
  done
}
# receive_all URL FILE: every message of a queue, with its SentTimestamp and message attributes,
# one JSON object a line in FILE (received with a long visibility, so each is read once); one
# botocore client, not an aws CLI run a page (thousands of messages in seconds).
receive_all() {
  python3 - "$EP" "$1" > "$2" <<'PY'
import json, sys, botocore.session
sqs = botocore.session.get_session().create_client("sqs", endpoint_url=sys.argv[1])
while True:
    page = sqs.receive_message(QueueUrl=sys.argv[2], MaxNumberOfMessages=10, VisibilityTimeout=600,
                               AttributeNames=["SentTimestamp"], MessageAttributeNames=["All"])
    if not page.get("Messages"):
        break
    for m in page["Messages"]:
        print(json.dumps(m))
PY
}
# consume NAME CONSUMERS STORE-ARGS...: drains queue $RUN-NAME (dead letters to $RUN-NAME-dead)
# with CONSUMERS consumers (logs $WORK/NAME-K.log), then checks: the queue empty, no dead letter
# (else their reasons are printed), no failed outcome, no warning or error in the logs.
consume() {
  local name=$1 consumers=$2; shift 2
  local pids=()
  for k in $(seq "$consumers"); do
    "$CONSUMER" -rq "$RUN-$name" "$@" --dead-letter-queue "$RUN-$name-dead" --endpoint-url "$EP" \
      -qwt 1 --concurrency 8 --max-empty-polls 3 --log-file "$WORK/$name-$k.log" -q &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "$name: a consumer failed"; done
  expect_eq "$name: the queue is empty" "$(queue_depth "$(mk_queue "$RUN-$name")")" 0
  local dead
  dead=$(queue_depth "$(mk_queue "$RUN-$name-dead")")
  if [ "$dead" != 0 ]; then # say why, in the dead letters' own words
    read_dead "$(mk_queue "$RUN-$name-dead")" "$WORK/$name.dead"
    python3 -c 'import json,sys,collections
c = collections.Counter(json.loads(l)["reason"][:300] for l in open(sys.argv[1]))
for reason, n in c.most_common(3): print(f"  {n} dead letters: {reason}")' "$WORK/$name.dead"
  fi
  expect_eq "$name: no dead letter" "$dead" 0
  expect_eq "$name: no failed outcome" "$(cat "$WORK/$name"-*.log | grep -c 'outcome=failed' || true)" 0
  local warned
  warned=$(cat "$WORK/$name"-*.log | grep -E '^[^ ]+ (WARN|ERROR) ' || true)
  expect_eq "$name: no warning or error in the logs" "$(head -n 3 <<< "$warned")" ""
  echo "figures: $name: $(cat "$WORK/$name"-*.log | grep -o 'outcome=[a-z-]*' | sort | uniq -c | tr -s ' ' | paste -sd,)"
}
# part NAME COMMAND...: runs one part of a test in a subshell: a failure (fail) is noted and the
# next part runs; parts_done fails the test when any part failed.
failed_parts=()
parts_run=0
part() {
  parts_run=$((parts_run + 1))
  if ( "${@:2}" ); then echo "part $1: passed"; else echo "part $1: FAILED"; failed_parts+=("$1"); fi
}
parts_done() {
  [ ${#failed_parts[@]} -eq 0 ] ||
    fail "${#failed_parts[@]} of $parts_run parts failed: $(printf '[%s] ' "${failed_parts[@]}")"
  echo "$parts_run parts passed"
}
# queue_in_flight URL: messages of a queue received and not visible again yet. (fauxqs makes a
# message whose visibility ran out visible again only at a receive: until then it counts here.)
queue_in_flight() {
  awscli sqs get-queue-attributes --queue-url "$1" --attribute-names ApproximateNumberOfMessagesNotVisible \
    --query 'Attributes.ApproximateNumberOfMessagesNotVisible' --output text
}
