#!/usr/bin/env python3
"""The AWS baseline: an SQS -> DynamoDB consumer written the way the course's Python versions are
(boto3; receive up to 10, apply each, delete it). Used only by bench/run.sh, against the same
stand-ins and the same request stream as widget-consumer. It applies the same rules, so
widget-verify can check its result too.
Usage: baseline_consumer_aws.py SQS_ENDPOINT DYNAMODB_ENDPOINT QUEUE_NAME TABLE"""
import json
import sys

import boto3

sqs_endpoint, ddb_endpoint, queue_name, table = sys.argv[1:5]
sqs = boto3.client("sqs", endpoint_url=sqs_endpoint)
ddb = boto3.client("dynamodb", endpoint_url=ddb_endpoint)
url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
CORE = {"id", "owner", "label", "description"}


def item_name(name):
    return "attr_" + name if name in CORE or name.startswith("attr_") else name


empty = 0
while empty < 2:
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    if not msgs:
        empty += 1
        continue
    empty = 0
    for m in msgs:
        req = json.loads(m["Body"])
        key = {"id": {"S": req["widgetId"]}}
        if req["type"] == "create":
            item = dict(key, owner={"S": req["owner"]})
            for k in ("label", "description"):
                if req.get(k):
                    item[k] = {"S": req[k]}
            for a in req.get("otherAttributes") or []:
                if a["value"]:
                    item[item_name(a["name"])] = {"S": a["value"]}
            ddb.put_item(TableName=table, Item=item)
        elif req["type"] == "update":
            item = ddb.get_item(TableName=table, Key=key).get("Item")
            if item is None:
                continue  # not there: leave the message for later
            for k in ("label", "description"):
                v = req.get(k)
                if v == "":
                    item.pop(k, None)
                elif v is not None:
                    item[k] = {"S": v}
            for a in req.get("otherAttributes") or []:
                if a["value"] == "":
                    item.pop(item_name(a["name"]), None)
                else:
                    item[item_name(a["name"])] = {"S": a["value"]}
            ddb.put_item(TableName=table, Item=item)
        else:
            ddb.delete_item(TableName=table, Key=key)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
