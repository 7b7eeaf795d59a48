#!/usr/bin/env bash
# Exact order on an S3 *store*, through the proxy that enforces S3's conditional writes
# (If-None-Match: *, If-Match: ETAG, atomically per key; fauxqs alone ignores them):
#   0. the proxy's conditional writes checked with botocore (tests/standins/conditions_check.py);
#   1. crash: a standard queue delivered out of order (--disorder 300) plus one hot widget
#      (a create and 150 updates, hand-written, shuffled), three consumers at --concurrency 8 on
#      one widget bucket, each SIGKILLed at random moments and restarted; the proxy must have
#      refused some conditional writes (412), so concurrent writers of one widget really met;
#   2. conflicts: the proxy answers 409 ConditionalRequestConflict to 60 conditional writes;
#   3. spill: a widget of 300 attributes with long names, whose ledger is over S3's 2 KB of
#      metadata: created and updated twice through the queue, its ledger in one wc-ledgers/
#      object (the one named before the last write deleted).
# Each: the bucket exactly the expected state (widget-verify), the queue empty, nothing lost,
# no dead letters (widget-producer aims updates and deletes at live widgets only).
# WC_S3_STORE_ENFORCE=0 runs it with the proxy's conditions off (fauxqs alone): it must fail.
#   4. tomb: creates PUT blind beside a tombstone (a create delivered again, a new life), then
#      an update of the old life delivered late: it must be superseded.
# WC_S3_STORE_CASES picks cases (default "crash conflicts spill tomb").
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
N=${WC_S3_STORE_REQUESTS:-1500}
conditions() { curl -s -X "$1" ${2:+--data "$2"} "$EP/__proxy_conditions${3:-}"; }
# refused BUCKET CODE: how many conditional writes to BUCKET the proxy answered with CODE
refused() {
  conditions GET "" "?match=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], {}).get(sys.argv[2], 0))' "$1" "$2"
}
trap 'for c in crash conflicts spill tomb; do conditions DELETE "" "?match=/$RUN-$c/" >/dev/null; done; cleanup' EXIT

python3 "$HERE/../standins/conditions_check.py" "$EP" "$RUN-check" > "$WORK/conditions_check.out" ||
  fail "the proxy's conditional writes: $(grep -v '^ok' "$WORK/conditions_check.out")"
ok "the proxy's conditional writes: $(tail -n 1 "$WORK/conditions_check.out")"

# hand NAME QUEUE_URL KIND: sends hand-written requests of one widget to the queue (with the
# producer's sequence attribute), appends them to NAME.requests and the widget the sequential
# rules give to NAME.json. KIND: hot (a create, then 150 updates of a label, ten attributes and
# a description set and cleared, shuffled) or big (a create of 300 attributes with 26-byte names,
# then two updates of 100 of them each, so that the ledger is long whatever the ledger keeps of a
# create; sent backwards).
hand() {
  python3 - "$EP" "$2" "$3" "$WORK/$1" <<'PY'
import json, random, sys, time, uuid
import botocore.session
ep, url, kind, out = sys.argv[1:5]
rng = random.Random(kind)
wid = str(uuid.UUID(int=rng.getrandbits(128)))
base = {"widgetId": wid, "owner": "Hot Hands" if kind == "hot" else "Big Ben"}
def attrs(pairs): return [{"name": n, "value": v} for n, v in pairs]
if kind == "hot":
    names = [f"hot-{j}" for j in range(10)]
    reqs = [dict(base, type="create", label="L0", otherAttributes=attrs((n, "init") for n in names))]
    reqs += [dict(base, type="update", label=f"L{i}", otherAttributes=attrs([(names[i % 10], f"v{i}")]))
             for i in range(1, 151)]
    for i in range(1, 151):  # descriptions set and cleared: some writes change only the ledger
        if i % 3:
            reqs[i]["description"] = f"D{i}" if i % 3 == 1 else ""
        if i % 7 == 0:
            reqs[i] = {k: v for k, v in reqs[i].items() if k not in ("label", "otherAttributes")}
    order = [0] + rng.sample(range(1, len(reqs)), len(reqs) - 1)
else:
    names = [f"attribute-long-name-{j:06d}" for j in range(300)]
    reqs = [dict(base, type="create", label="BIG", otherAttributes=attrs((n, f"v{j}") for j, n in enumerate(names))),
            dict(base, type="update", label="BIGGER", otherAttributes=attrs((n, "w") for n in names[::3])),
            dict(base, type="update", description="D", otherAttributes=attrs((n, "x") for n in names[1::3]))]
    order = [2, 1, 0]
values, fields = {}, {}
for r in reqs:  # the sequential rules (no attribute removals here): the last set wins, "" clears
    r["requestId"] = str(uuid.UUID(int=rng.getrandbits(128)))
    fields.update({k: r[k] for k in ("label", "description") if k in r})
    for a in r.get("otherAttributes", []):
        values[a["name"]] = a["value"]
widget = {"id": wid, "owner": base["owner"], **{k: v for k, v in fields.items() if v},
          "otherAttributes": attrs((n, values[n]) for n in names)}
now = int(time.time() * 1000)
sqs = botocore.session.get_session().create_client("sqs", endpoint_url=ep)
with open(out + ".requests", "a") as log:
    for i in order:
        body = json.dumps(reqs[i], separators=(",", ":"))
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
            "sequence": {"DataType": "String", "StringValue": f"{now:013d}-{i:010d}"}})
        log.write(body + "\n")
expected = json.load(open(out + ".json")) if kind == "hot" else []
json.dump(expected + [widget], open(out + ".json", "w"))
print(f"{len(reqs)} hand-written requests of widget {wid}")
PY
}

# consumer NAME K [ARGS...]: starts consumer K of case NAME in the background (its pid in $!).
consumer() {
  local name=$1 k=$2; shift 2
  "$CONSUMER" -rq "$RUN-$name" -wb "$RUN-$name" --dead-letter-queue "$RUN-$name-dead" --endpoint-url "$EP" \
    -qwt 1 -qvt 2 --concurrency 8 --retry-delay 100 --log-file "$WORK/$name-$k.log" -q "$@" &
  PIDS+=($!)
}

# setup NAME: a queue, its dead-letter queue and a widget bucket (URL in $url, $dlq).
setup() {
  url=$(mk_queue "$RUN-$1")
  dlq=$(mk_queue "$RUN-$1-dead")
  mk_bucket "$RUN-$1"
  [ "${WC_S3_STORE_ENFORCE:-1}" = 1 ] || conditions POST "{\"match\": \"/$RUN-$1/\", \"enforce\": false}" >/dev/null
}

# finish NAME: the last consumer drains what kills left invisible; then the checks.
finish() {
  local name=$1
  consumer "$name" last --max-empty-polls 5
  wait $! || fail "$name: the last consumer failed"
  expect_eq "$name: the queue is empty" "$(queue_depth "$url")" 0
  local dead
  dead=$(queue_depth "$dlq")
  python3 "$HERE/nothing_lost.py" "$EP" "$WORK/$name.requests" "sqs:$dlq" "$WORK/$name"-*.log ||
    fail "$name: requests were lost"
  ok "$name: nothing lost"
  expect_eq "$name: no dead letters (no false warnings)" "$dead" 0
  local out
  out=$("$VERIFY" -wb "$RUN-$name" --endpoint-url "$EP" --expected "$WORK/$name.json") || fail "$name: $out"
  expect_contains "$name: the bucket is exactly the expected state" "$out" "OK: "
  echo "figures: $name: $(outcome_counts "$WORK/$name"-*.log), conditional writes refused by the proxy:" \
    "$(refused "$RUN-$name" 412) with 412, $(refused "$RUN-$name" 404) with 404, $(refused "$RUN-$name" 409) with 409"
}

CASES=" ${WC_S3_STORE_CASES:-crash conflicts spill tomb} "

# 1. Crash: three consumers killed and restarted.
case_crash() {
  setup crash
  "$PRODUCER" -rq "$RUN-crash" --endpoint-url "$EP" -mwr "$N" --seed 2026 --disorder 300 \
    --expected "$WORK/crash.json" --request-log "$WORK/crash.requests" -q
  hand crash "$url" hot
  crash_consumer() { consumer crash "$1.$2" --max-empty-polls 4; } # K N: consumer K's Nth start
  kill_restart 8 60 14 crash_consumer
  for k in 0 1 2; do wait "${slot[$k]}" || true; done
  finish crash
  [ "$(refused "$RUN-crash" 412)" -gt 0 ] || fail "crash: the proxy refused no conditional write: no writers met"
  ok "crash: concurrent writers met (the proxy refused $(refused "$RUN-crash" 412) conditional writes with 412)"
}

# 2. Conflicts: 60 conditional writes answered 409 ConditionalRequestConflict.
case_conflicts() {
  setup conflicts
  "$PRODUCER" -rq "$RUN-conflicts" --endpoint-url "$EP" -mwr 400 --seed 2027 --disorder 100 \
    --expected "$WORK/conflicts.json" --request-log "$WORK/conflicts.requests" -q
  conditions POST "{\"match\": \"/$RUN-conflicts/\", \"conflicts\": 60}" >/dev/null
  consumer conflicts 1 --max-empty-polls 4; p1=$!
  consumer conflicts 2 --max-empty-polls 4; p2=$!
  wait $p1 || fail "conflicts: a consumer failed"
  wait $p2 || fail "conflicts: a consumer failed"
  finish conflicts
  expect_eq "conflicts: the proxy answered 409 60 times" "$(refused "$RUN-conflicts" 409)" 60
  ! grep -q 'store is failing' "$WORK"/conflicts-*.log || fail "conflicts: a 409 was taken for an outage"
  ok "conflicts: no 409 was taken for an outage"
}

# 3. Spill: a ledger over S3's 2 KB of metadata, in its own object.
case_spill() {
  setup spill
  : > "$WORK/spill.requests"
  hand spill "$url" big
  finish spill
  expect_eq "spill: one ledger object (the one before the last write deleted)" "$(bucket_count "$RUN-spill" wc-ledgers/)" 1
  key=$(awscli s3api list-objects-v2 --bucket "$RUN-spill" --prefix widgets/ --query 'Contents[0].Key' --output text)
  ref=$(awscli s3api head-object --bucket "$RUN-spill" --key "$key" --query 'Metadata."wc-ledger-ref"' --output text)
  expect_eq "spill: the widget names its ledger object" "$(bucket_count "$RUN-spill" "wc-ledgers/$ref")" 1
  awscli s3api get-object --bucket "$RUN-spill" --key "wc-ledgers/$ref" "$WORK/spill.ledger" >/dev/null
  expect_eq "spill: the ledger object is named by its SHA-256" "$(sha256sum < "$WORK/spill.ledger" | cut -d' ' -f1)" "$ref"
  echo "figures: spill: a ledger of $(wc -c < "$WORK/spill.ledger") bytes of JSON for 300 attributes"
}

# 4. Tombstones beside blind creates (issue 16): a widget created (place 0), updated (10) and
# deleted (20); then its create delivered again (superseded) and a create of a new life (30),
# both PUT blind beside the tombstone; then an update of the old life delivered late (15) and one
# of the new life (40). The new life's widget must carry the delete's place: else the late update
# is applied to it and the bucket is not the expected state.
tomb_send() { # PHASE: sends that phase's requests of the widget
  python3 - "$EP" "$url" "$1" "$WORK/tomb" <<'PY'
import json, sys, time
import botocore.session
ep, url, phase, out = sys.argv[1:5]
base = {"widgetId": "7b0e5e0c-0000-4000-8000-00000000dead", "owner": "Tom Stone"}
reqs = {0: dict(base, type="create", requestId="c0", label="OLD", otherAttributes=[{"name": "a", "value": "1"}]),
        10: dict(base, type="update", requestId="u10", description="old life"),
        20: dict(base, type="delete", requestId="d20"),
        30: dict(base, type="create", requestId="c30", label="NEW", otherAttributes=[{"name": "b", "value": "2"}]),
        15: dict(base, type="update", requestId="u15", description="late", otherAttributes=[{"name": "c", "value": "3"}]),
        40: dict(base, type="update", requestId="u40", otherAttributes=[{"name": "b", "value": "4"}])}
phases = {"1": [0, 10, 20], "2": [0, 30], "3": [15, 40]}
now = int(open(out + ".now").read()) if phase != "1" else int(time.time() * 1000)
open(out + ".now", "w").write(str(now))
sqs = botocore.session.get_session().create_client("sqs", endpoint_url=ep)
with open(out + ".requests", "a") as log:
    for i in phases[phase]:
        body = json.dumps(reqs[i], separators=(",", ":"))
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
            "sequence": {"DataType": "String", "StringValue": f"{now:013d}-{i:010d}"}})
        log.write(body + "\n")
json.dump([{"id": base["widgetId"], "owner": base["owner"], "label": "NEW",
            "otherAttributes": [{"name": "b", "value": "4"}]}], open(out + ".json", "w"))
PY
}
case_tomb() {
  setup tomb
  : > "$WORK/tomb.requests"
  for phase in 1 2; do
    tomb_send $phase
    consumer tomb "$phase" --max-empty-polls 3
    wait $! || fail "tomb: consumer $phase failed"
    expect_eq "tomb: phase $phase drained" "$(queue_depth "$url")" 0
  done
  local key meta
  key=$(awscli s3api list-objects-v2 --bucket "$RUN-tomb" --prefix widgets/ --query 'Contents[0].Key' --output text)
  meta=$(awscli s3api head-object --bucket "$RUN-tomb" --key "$key" --output json)
  echo "$meta" | python3 -c '
import base64, json, sys
m = json.load(sys.stdin)["Metadata"]
assert "wc-blind" not in m, m
ledger = base64.b64decode(m["wc-ledger"]).decode()
assert "-0000000020" in ledger and "-0000000030" in ledger, ledger' ||
    fail "tomb: the new life's widget does not carry its delete's place: $meta"
  ok "tomb: the new life's widget carries the delete's place, not marked blind"
  tomb_send 3
  finish tomb
  grep -q 'u15.*superseded\|superseded.*u15' "$WORK"/tomb-*.log || fail "tomb: the late update of the old life was not superseded"
  ok "tomb: the late update of the old life was superseded"
}

for c in crash conflicts spill tomb; do [[ "$CASES" != *" $c "* ]] || "case_$c"; done
echo "$checks passed, 0 failed"
