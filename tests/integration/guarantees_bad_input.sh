#!/usr/bin/env bash
# The bad-input corpus (tests/data/bad) mixed into request streams on SQS and S3: every bad
# request lands in the dead-letter location with its reason (SQS: the message attribute
# "reason" in the dead-letter queue; S3: the object under dead-letter/ with x-amz-meta-reason),
# every good one is applied. (SQS cannot carry an empty body or invalid UTF-8, and the S3
# stand-in answers 500 to an empty PutObject: those cases are covered by the directory run,
# tests/integration/bad_input.sh, and invalid UTF-8 by the S3 run here.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
head -c 150000 /dev/zero | tr '\0' ' ' > "$WORK/oversized"
corpus=()
while IFS=$'\t' read -r name reason; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  corpus+=("$name")
  printf '%s' "${reason#request KEY: }" > "$WORK/want.$name"
done < "$DATA/bad/EXPECTED"
file_of() { [ "$1" = oversized ] && echo "$WORK/oversized" || echo "$DATA/bad/$1"; }
max=(--max-request-bytes 100000)
sed -i 's/body is 300000 bytes, over the 262144-byte limit/body is 150000 bytes, over the 100000-byte limit/' "$WORK/want.oversized"

# SQS: good requests, with the corpus sent among them.
url=$(mk_queue "$RUN-q")
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-t"
"$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr 100 --seed 5 --expected "$WORK/expected.json" -q
sent=0
for name in "${corpus[@]}"; do
  case $name in empty|invalid-utf8) continue ;; esac
  awscli sqs send-message --queue-url "$url" --message-body "file://$(file_of "$name")" >/dev/null
  sent=$((sent + 1))
done
"$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr 100 --seed 6 -q --expected "$WORK/expected2.json"
"$CONSUMER" -rq "$RUN-q" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" -qwt 1 \
  "${max[@]}" --max-empty-polls 2 --log-file "$WORK/sqs.log" -q || fail "sqs consumer failed"
expect_eq "sqs: every good request applied" "$(grep -c outcome=applied "$WORK/sqs.log")" 200
expect_eq "sqs: every bad request dead-lettered" "$(grep -c outcome=dead-lettered "$WORK/sqs.log")" "$sent"
expect_eq "sqs: the request queue is empty" "$(queue_depth "$url")" 0
: > "$WORK/dead.jsonl"
for _ in $(seq 10); do
  awscli sqs receive-message --queue-url "$dlq" --max-number-of-messages 10 --visibility-timeout 60 \
    --message-attribute-names All >> "$WORK/dead.jsonl" || true
  echo >> "$WORK/dead.jsonl"
done
python3 - "$WORK" "$DATA/bad" "${corpus[@]}" <<'PY' || fail "sqs: a dead letter lacks its reason"
import json, os, re, sys
work, bad, names = sys.argv[1], sys.argv[2], sys.argv[3:]
msgs = []
text = open(os.path.join(work, "dead.jsonl")).read()
dec = json.JSONDecoder()
i = 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    msgs += obj.get("Messages", [])
by_body = {m["Body"]: m["MessageAttributes"]["reason"]["StringValue"] for m in msgs}
missing = 0
for name in names:
    if name in ("empty", "invalid-utf8"):
        continue
    path = os.path.join(work, "oversized") if name == "oversized" else os.path.join(bad, name)
    body = open(path, encoding="utf-8").read()
    want = open(os.path.join(work, "want." + name)).read()
    reason = by_body.get(body)
    if reason is None or not re.match(r"request [^:]+: " + re.escape(want), reason):
        print(f"{name}: reason {reason!r} does not match {want!r}", file=sys.stderr)
        missing += 1
print(f"sqs: {len(by_body)} dead letters, each with its reason")
sys.exit(1 if missing else 0)
PY
ok "sqs: each dead letter carries its reason"

# S3: the same corpus as objects among good requests; dead letters under dead-letter/.
mk_bucket "$RUN-requests"
mk_bucket "$RUN-widgets"
"$PRODUCER" -rb "$RUN-requests" --endpoint-url "$EP" -mwr 100 --seed 8 --expected "$WORK/s3.json" -q
s3_corpus=()
for name in "${corpus[@]}"; do
  [ "$name" = empty ] && continue
  s3_corpus+=("$name")
  awscli s3api put-object --bucket "$RUN-requests" --key "1000000000000-$name" --body "$(file_of "$name")" >/dev/null
done
"$CONSUMER" -rb "$RUN-requests" -wb "$RUN-widgets" --endpoint-url "$EP" "${max[@]}" --max-empty-polls 2 \
  --log-file "$WORK/s3.log" -q || fail "s3 consumer failed"
expect_eq "s3: every good request applied" "$(grep -c outcome=applied "$WORK/s3.log")" 100
expect_eq "s3: the request keys are gone" "$(bucket_count "$RUN-requests")" 0
for name in "${s3_corpus[@]}"; do
  reason=$(awscli s3api head-object --bucket "$RUN-requests" --key "dead-letter/1000000000000-$name" \
    --query Metadata.reason --output text)
  want=$(cat "$WORK/want.$name")
  # S3 stops reading at the cap: the size is not known, only that it is over.
  [ "$name" = oversized ] && want="body is over the 100000-byte limit"
  # Metadata is ASCII: other bytes in a reason show as '?'.
  expect_contains "s3: dead letter $name has its reason" "$reason" "request 1000000000000-$name: ${want:0:30}"
done
out=$("$VERIFY" -wb "$RUN-widgets" --endpoint-url "$EP" --expected "$WORK/s3.json") || fail "$out"
expect_contains "s3: the good requests gave the expected state" "$out" "OK: "

# A queue with its own redrive policy and no --dead-letter-queue: bad requests are handed back
# until SQS moves them to the queue's dead-letter queue (maxReceiveCount 2).
rdl=$(mk_queue "$RUN-redrive-dead")
arn=$(awscli sqs get-queue-attributes --queue-url "$rdl" --attribute-names QueueArn --query Attributes.QueueArn --output text)
policy=$(python3 -c 'import json,sys; print(json.dumps({"RedrivePolicy": json.dumps({"deadLetterTargetArn": sys.argv[1], "maxReceiveCount": "2"})}))' "$arn")
rq=$(mk_queue "$RUN-redrive" --attributes "$policy")
awscli sqs send-message --queue-url "$rq" --message-body 'not json' >/dev/null
"$PRODUCER" -rq "$RUN-redrive" --endpoint-url "$EP" -mwr 20 --seed 3 -q
"$CONSUMER" -rq "$RUN-redrive" -dwt "$RUN-t" --endpoint-url "$EP" -qwt 1 --max-empty-polls 2 \
  --log-file "$WORK/redrive.log" -q || fail "redrive consumer failed"
expect_contains "redrive: the policy is found at start-up" "$(cat "$WORK/redrive.log")" "has a redrive policy"
expect_contains "redrive: the bad request is left to it" "$(cat "$WORK/redrive.log")" "outcome=left-to-redrive-policy"
expect_eq "redrive: the good requests applied" "$(grep -c outcome=applied "$WORK/redrive.log")" 20
expect_eq "redrive: SQS moved the bad one to its dead-letter queue" "$(queue_depth "$rdl")" 1
expect_eq "redrive: the queue is empty" "$(queue_depth "$rq")" 0
echo "$checks passed, 0 failed"
