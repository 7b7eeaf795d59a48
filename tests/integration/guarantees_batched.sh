#!/usr/bin/env bash
# Guarantees when requests of one widget share a SentTimestamp (issue 19): the producer sends
# with SendMessageBatch (--batch 10) to a standard queue without the "sequence" attribute, so the
# consumer's place is SentTimestamp + MessageId and a batch's messages tie on the first part.
#   0. what fauxqs stamps: each message of a SendMessageBatch gets its own Date.now() as the
#      batch is stored, so a batch mostly shares one SentTimestamp but may straddle a millisecond
#      (one run: 30 groups in 9 batches, 4 of them split over two stamps). Checked: no message
#      attribute was sent, and most groups share one stamp (else the parts below test no tie);
#      the figures are printed; and the producer keeps two updates of one widget in different
#      milliseconds (they would have no right order);
#   1. 100 widgets, each a create and its update in one batch, two consumers -> DynamoDB: exact,
#      no dead letter, no warning;
#   2. the same with create, update and delete in one batch: exact (no widget left, no create
#      come back), no dead letter, no warning;
#   3. two updates of one widget in one batch (30 widgets, each created in the batch too): each
#      widget ends as one of its two updates made it, whole (label and attribute from the same
#      update), and the consumers' summary lines count the ties (`ties broken arbitrarily: N`,
#      N >= 1 in all).
# Each part runs to its end and says what failed; the test fails when any part did.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"

# 0. One SentTimestamp a batch.
same_stamp() {
  local url
  url=$(mk_queue "$RUN-stamps")
  "$PRODUCER" -rq "$RUN-stamps" --endpoint-url "$EP" --batch 10 --pattern create-update-delete \
    --no-sequence -mwr 90 --seed 300 -q
  receive_all "$url" "$WORK/stamps"
  python3 - "$WORK/stamps" <<'PY' || fail "fauxqs: too few groups share a SentTimestamp, or attributes were sent"
import collections, json, sys
stamps, attrs = collections.defaultdict(set), 0
for m in map(json.loads, open(sys.argv[1])):
    stamps[json.loads(m["Body"])["widgetId"]].add(m["Attributes"]["SentTimestamp"])
    attrs += len(m.get("MessageAttributes", {}))
alls = set().union(*stamps.values())
print(f"figures: fauxqs: 90 messages in 9 batches of 10 groups of 3: {sum(map(len, stamps.values()))} "
      f"(widget, SentTimestamp) pairs for {len(stamps)} widgets, {len(alls)} distinct SentTimestamps")
shared = sum(1 for s in stamps.values() if len(s) == 1)
print(f"figures: fauxqs: {shared} of {len(stamps)} groups (one batch each) share one SentTimestamp")
sys.exit(0 if len(stamps) == 30 and shared * 2 >= len(stamps) and attrs == 0 else 1)
PY
  ok "fauxqs: most groups of one batch share one SentTimestamp, and no message attribute was sent"
}

# 0b. The producer never sends two updates of one widget in one millisecond without a sequence
# attribute (they would have no right order): --realistic, its usual mix, in batches of 10.
updates_apart() {
  local url
  url=$(mk_queue "$RUN-apart")
  "$PRODUCER" -rq "$RUN-apart" --endpoint-url "$EP" --batch 10 --realistic -mwr 3000 --seed 302 -q
  receive_all "$url" "$WORK/apart"
  python3 - "$WORK/apart" <<'PY' || fail "two updates of one widget share a SentTimestamp"
import collections, json, sys
updates, n = collections.defaultdict(list), 0
for m in map(json.loads, open(sys.argv[1])):
    n += 1
    body = json.loads(m["Body"])
    if body["type"] == "update":
        updates[body["widgetId"]].append(int(m["Attributes"]["SentTimestamp"]))
again = {w: sorted(s) for w, s in updates.items() if len(s) > 1}
tied = [w for w, s in again.items() if len(set(s)) < len(s)]
print(f"figures: apart: {n} messages, {len(again)} widgets updated more than once, {len(tied)} with two updates in one ms")
sys.exit(1 if tied or n != 3000 or not again else 0)
PY
  ok "no two updates of one widget in one millisecond"
}

# batched NAME PATTERN REQUESTS: the producer's groups, one batch each, into a standard queue;
# two consumers -> a table; exact.
batched() {
  local name=$1 pattern=$2 n=$3
  mk_queue "$RUN-$name" >/dev/null
  mk_queue "$RUN-$name-dead" >/dev/null
  mk_table "$RUN-$name"
  "$PRODUCER" -rq "$RUN-$name" --endpoint-url "$EP" --batch 10 --pattern "$pattern" --no-sequence \
    -mwr "$n" --seed 301 --expected "$WORK/$name.json" -q
  consume "$name" 2 -dwt "$RUN-$name"
  local out
  out=$("$VERIFY" -dwt "$RUN-$name" --endpoint-url "$EP" --expected "$WORK/$name.json") || fail "$name: $out"
  expect_contains "$name: the store equals the expected state exactly" "$out" "OK: "
  echo "figures: $name: $out"
}

# 3. Two updates of one widget in one batch: a tie only MessageId breaks.
tie() {
  local name=tie url
  url=$(mk_queue "$RUN-$name")
  mk_queue "$RUN-$name-dead" >/dev/null
  mk_table "$RUN-$name"
  python3 - "$WORK" <<'PY'
import json, sys
def entry(i, doc):
    return {"Id": f"m{i}", "MessageBody": json.dumps(doc, separators=(",", ":"))}
for b in range(10):
    entries = []
    for w in range(3 * b, 3 * b + 3):
        base = {"widgetId": f"tie-{w}", "owner": "Sue Smith"}
        entries.append(entry(len(entries), {"type": "create", "requestId": f"c{w}", **base, "label": "C",
                                            "otherAttributes": [{"name": "x", "value": "c"}]}))
        for u in ("A", "B"):
            entries.append(entry(len(entries), {"type": "update", "requestId": f"{u}{w}", **base, "label": f"{u}-{w}",
                                                "otherAttributes": [{"name": "x", "value": u.lower()}]}))
    json.dump(entries, open(f"{sys.argv[1]}/tie-batch-{b}.json", "w"))
PY
  for b in $(seq 0 9); do
    awscli sqs send-message-batch --queue-url "$url" --entries "file://$WORK/tie-batch-$b.json" \
      --query 'length(Failed || `[]`)' --output text | grep -qx 0 || fail "$name: a batch was not taken"
  done
  local pids=()
  for k in 1 2; do
    "$CONSUMER" -rq "$RUN-$name" -dwt "$RUN-$name" --dead-letter-queue "$RUN-$name-dead" \
      --endpoint-url "$EP" -qwt 1 --concurrency 8 --max-empty-polls 3 --log-file "$WORK/$name-$k.log" -q &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "$name: a consumer failed"; done
  expect_eq "$name: the queue is empty" "$(queue_depth "$url")" 0
  expect_eq "$name: no dead letter" "$(queue_depth "$(mk_queue "$RUN-$name-dead")")" 0
  awscli dynamodb scan --table-name "$RUN-$name" > "$WORK/$name.scan"
  python3 - "$WORK/$name.scan" <<'PY' || fail "$name: a widget is not one of its two updates"
import json, sys
items = [i for i in json.load(open(sys.argv[1]))["Items"] if "owner" in i]  # docs/guarantees.md's rule
got = {i["id"]["S"]: (i.get("label", {}).get("S"), i.get("x", {}).get("S")) for i in items}
bad = [(w, got.get(f"tie-{w}")) for w in range(30)
       if got.get(f"tie-{w}") not in ((f"A-{w}", "a"), (f"B-{w}", "b"))]
wins = sum(1 for w in range(30) if got.get(f"tie-{w}", ("",))[0] == f"B-{w}")
print(f"figures: tie: {len(items)} widgets, {wins} ended as the second update of their batch, "
      f"{30 - wins - len(bad)} as the first; not one of the two: {bad[:3]}")
sys.exit(1 if bad or len(items) != 30 else 0)
PY
  ok "$name: each widget is one of its two updates, whole"
  local ties
  ties=$(cat "$WORK/$name"-?.log | grep -o 'ties broken arbitrarily: [0-9]*' | awk '{ n += $4 } END { print n + 0 }')
  [ "$ties" -ge 1 ] || fail "$name: the consumers' summary lines count no tie (ties broken arbitrarily: $ties in all; wanted 1 or more): $(tail -qn 1 "$WORK/$name"-?.log | cut -c1-200)"
  ok "$name: the summary lines count $ties ties broken arbitrarily"
}

part "fauxqs stamps a batch (mostly) alike" same_stamp
part "updates of one widget kept a millisecond apart" updates_apart
part "create+update in one batch" batched create-update create-update 200
part "create+update+delete in one batch" batched create-update-delete create-update-delete 300
part "two updates in one batch" tie
parts_done
