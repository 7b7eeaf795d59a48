#!/usr/bin/env python3
"""Nothing lost: every produced request was applied, superseded, already applied or warned (in
some consumer's log), or lies in the dead letters with a reason.

Usage: nothing_lost.py ENDPOINT REQUEST_LOG DEAD LOG...
  REQUEST_LOG  widget-producer's --request-log (one JSON request a line)
  DEAD         sqs:QUEUE_URL, s3:BUCKET/PREFIX or none: where the dead letters are
  LOG          the consumers' --log-file (text format)
Prints the counts; exits 1 when a request is lost or a dead letter has no reason.
Reads the dead letters with botocore (the stand-ins' credentials come from the environment).
"""
import json
import re
import sys

import botocore.session
from botocore.config import Config

endpoint, request_log, dead_spec, logs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
produced = {json.loads(line)["requestId"] for line in open(request_log)}
done = set()
outcome = re.compile(r"requestId=(\S+) .*outcome=(applied|superseded|already-applied|warning) ")
for log in logs:
    for line in open(log):
        m = outcome.search(line)
        if m:
            done.add(m.group(1))

dead, no_reason = set(), 0
session = botocore.session.get_session()
config = Config(s3={"addressing_style": "path"})
if dead_spec.startswith("sqs:"):
    sqs = session.create_client("sqs", endpoint_url=endpoint, config=config)
    while True:
        page = sqs.receive_message(QueueUrl=dead_spec[4:], MaxNumberOfMessages=10, VisibilityTimeout=600,
                                   MessageAttributeNames=["All"]).get("Messages", [])
        if not page:
            break
        for m in page:
            dead.add(json.loads(m["Body"])["requestId"])
            no_reason += not m.get("MessageAttributes", {}).get("reason", {}).get("StringValue")
elif dead_spec.startswith("s3:"):
    bucket, _, prefix = dead_spec[3:].partition("/")
    s3 = session.create_client("s3", endpoint_url=endpoint, config=config)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            obj = s3.get_object(Bucket=bucket, Key=o["Key"])
            dead.add(json.loads(obj["Body"].read())["requestId"])
            no_reason += not obj.get("Metadata", {}).get("reason")

lost = produced - done - dead
print(f"produced {len(produced)}: applied, superseded, already applied or warned {len(done & produced)}, "
      f"dead-lettered {len(dead & produced)} ({no_reason} without a reason), lost {len(lost)}"
      + (f", e.g. {sorted(lost)[:3]}" if lost else ""))
sys.exit(1 if lost or no_reason else 0)
