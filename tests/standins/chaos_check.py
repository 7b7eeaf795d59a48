#!/usr/bin/env python3
"""Checks the proxy's seeded random fault schedule (POST /__proxy_chaos) with botocore, AWS's own
client, retries off:
  - a seed gives one schedule: the same calls in the same order draw the same faults twice, and
    another seed draws others;
  - each call's outcome is the fault drawn for it: errors in each service's own format, as
    botocore reads them (S3 SlowDown 503; DynamoDB ProvisionedThroughputExceededException or
    ThrottlingException 400; SQS ThrottlingException or RequestThrottled 400; 500; 503); a reset
    before forwarding is a lost connection and the call did not reach the service; a reset after
    forwarding is a lost connection but the call did reach it; a slow answer takes 1-3 s;
  - the rate holds (within a wide band) and a rule touches only the calls matching it.
Usage: chaos_check.py ENDPOINT NAME   (NAME: a prefix for this run's queue, table and bucket)
The test credentials come from the environment (the stand-ins' env file).
"""
import random
import time
import urllib.parse
import urllib.request

from botocore.exceptions import ClientError, HTTPClientError

from checklib import NAME, check, client, create_table, finish, proxy

CHAOS = "/__proxy_chaos?match=" + urllib.parse.quote(NAME)
FAST = ["500", "503", "throttle", "reset-before", "reset-after"]
WANT = {  # service -> kind -> codes botocore must read (status, codes)
    "s3": {"500": (500, {"InternalError"}), "503": (503, {"ServiceUnavailable"}),
           "throttle": (503, {"SlowDown"})},
    "dynamodb": {"500": (500, {"InternalServerError"}), "503": (503, {"ServiceUnavailable"}),
                 "throttle": (400, {"ProvisionedThroughputExceededException", "ThrottlingException"})},
    "sqs": {"500": (500, {"InternalError"}), "503": (503, {"ServiceUnavailable"}),
            "throttle": (400, {"ThrottlingException", "RequestThrottled"})},
}
clients = {s: client(s) for s in ("s3", "sqs", "dynamodb")}
s3, sqs, ddb = clients["s3"], clients["sqs"], clients["dynamodb"]
bucket, queue, table = f"{NAME}-b", f"{NAME}-q", f"{NAME}-t"
s3.create_bucket(Bucket=bucket)
qurl = sqs.create_queue(QueueName=queue)["QueueUrl"]
create_table(ddb, table)

# The calls of one run: each writes something the test can look for afterwards, so a reset
# after forwarding is seen to have reached the service and one before it not to.
calls = []
for i in range(20):
    calls.append(("s3", f"s3-{i}", lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"),
                  lambda k: any(o["Key"] == k for o in s3.list_objects_v2(Bucket=bucket, Prefix=k).get("Contents", []))))
    calls.append(("dynamodb", f"ddb-{i}", lambda k: ddb.put_item(TableName=table, Item={"id": {"S": k}}),
                  lambda k: "Item" in ddb.get_item(TableName=table, Key={"id": {"S": k}})))
    calls.append(("sqs", f"sqs-{i}", lambda k: sqs.send_message(QueueUrl=qurl, MessageBody=k), None))


def run(seed, round_name, kinds=FAST, rate=0.5):
    """Makes every call once under a chaos rule; returns the rule's draws and the outcomes."""
    proxy("DELETE", CHAOS)
    proxy("POST", "/__proxy_chaos", {"seed": seed, "rate": rate, "match": NAME, "kinds": kinds})
    outcomes = []
    for service, key, call, _ in calls:
        key = f"{round_name}-{key}"
        t0 = time.monotonic()
        try:
            call(key)
            outcomes.append(("ok", None, None, time.monotonic() - t0))
        except ClientError as e:
            outcomes.append(("error", e.response["ResponseMetadata"]["HTTPStatusCode"],
                             e.response["Error"]["Code"], time.monotonic() - t0))
        except HTTPClientError as e:
            outcomes.append(("lost", type(e).__name__, None, time.monotonic() - t0))
    rules = proxy("GET", CHAOS)
    proxy("DELETE", CHAOS)
    return rules[0], outcomes


a, out_a = run(7, "a")
b, out_b = run(7, "b")
c, _ = run(8, "c")
check(f"seed 7 twice: the same schedule ({''.join(k[0] for k in a['history'])})", a["history"] == b["history"])
check("seed 8: another schedule", a["history"] != c["history"])
check(f"every call drew once ({a['requests']} draws for {len(calls)} calls)", a["requests"] == len(calls))
faults = sum(a["counts"].values())
check(f"rate 0.5: {faults} faults in {len(calls)} calls", 0.3 * len(calls) <= faults <= 0.7 * len(calls))
check("every kind drawn", all(a["counts"][k] > 0 for k in FAST))
# Outcome by outcome: what botocore saw is what the schedule drew.
for (service, key, _, reached), kind, (what, status, code, _) in zip(calls, a["history"], out_a):
    key = f"a-{key}"
    if kind == "-":
        check(f"{service} {key}: no fault, answered", what == "ok")
    elif kind in ("reset-before", "reset-after"):
        check(f"{service} {key}: {kind}: the connection lost ({status})", what == "lost")
        if reached:
            check(f"{service} {key}: {kind}: reached the service: {reached(key)}",
                  reached(key) == (kind == "reset-after"))
    else:
        want_status, want_codes = WANT[service][kind]
        check(f"{service} {key}: {kind}: {status} {code}", what == "error" and status == want_status and
              code in want_codes)
# Every throttling code of each service appears over a longer run of throttles alone.
proxy("POST", "/__proxy_chaos", {"seed": 3, "rate": 1.0, "match": NAME, "kinds": ["throttle"]})
seen = {s: set() for s in WANT}
for i in range(12):
    for service, key, call, _ in calls[:3]:
        try:
            call(f"t{i}-{key}")
        except ClientError as e:
            seen[service].add(e.response["Error"]["Code"])
proxy("DELETE", CHAOS)
for service in WANT:
    check(f"{service} throttling codes: {sorted(seen[service])}", seen[service] == WANT[service]["throttle"][1])
# Slow answers: held 1-3 s, then answered. The hold is the rule's first draw (the proxy's
# chaos_for draws hit, kind, variant; the hold is 1 + 2 * variant s), so the seed gives it (5:
# 2.59 s). The call takes at least the hold and at most 2.5 s more: room for its own time through
# a proxy the other tests share on a busy CI machine, and less than a second hold would add.
proxy("POST", "/__proxy_chaos", {"seed": 5, "rate": 1.0, "match": NAME, "kinds": ["slow"]})
rng = random.Random(5)
rng.random(), rng.randrange(1)
hold = 1.0 + 2.0 * rng.random()
t0 = time.monotonic()
ddb.put_item(TableName=table, Item={"id": {"S": "slow"}})
took = time.monotonic() - t0
check(f"slow: held {hold:.2f} s, answered after {took:.2f} s", hold <= took <= hold + 2.5)
# A rule touches only what matches it.
proxy("DELETE", CHAOS)
create_table(ddb, "other-" + table)
nothing = "/__proxy_chaos?match=" + urllib.parse.quote(NAME + "-nothing")
proxy("POST", "/__proxy_chaos", {"seed": 5, "rate": 1.0, "match": NAME + "-nothing", "kinds": ["500"]})
ddb.put_item(TableName="other-" + table, Item={"id": {"S": "x"}})
check("a rule leaves other calls alone", proxy("GET", nothing)[0]["requests"] == 0)
proxy("DELETE", nothing)
try:
    proxy("POST", "/__proxy_chaos", {"seed": 1, "rate": 2})
    check("a bad rule is refused", False)
except urllib.request.HTTPError as e:
    check(f"a bad rule is refused ({e.code})", e.code == 400)
finish("chaos schedule: all checks passed")
