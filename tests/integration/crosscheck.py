#!/usr/bin/env python3
"""Reads widgets back with the aws CLI (a real AWS client) and compares them with the expected
state: crosscheck.py s3|dynamodb STORE EXPECTED_JSON ENDPOINT [HOW_MANY]."""
import json
import random
import subprocess
import sys
import tempfile

kind, store, expected_path, endpoint = sys.argv[1:5]
how_many = int(sys.argv[5]) if len(sys.argv) > 5 else 5
expected = json.load(open(expected_path))
random.seed(1)
sample = random.sample(expected, min(how_many, len(expected)))


def aws(*args):
    out = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else None


def owner_key(owner):
    return owner.replace(" ", "-").lower()


failed = 0
for want in sample:
    if kind == "s3":
        key = f"widgets/{owner_key(want['owner'])}/{want['id']}"
        with tempfile.NamedTemporaryFile() as f:
            aws("s3api", "get-object", "--bucket", store, "--key", key, f.name)
            got = json.load(open(f.name))
        ok = got == want
    else:
        item = aws("dynamodb", "get-item", "--table-name", store, "--key",
                   json.dumps({"id": {"S": want["id"]}}))["Item"]
        # wc:ledger, wc:version: the consumer's bookkeeping (reserved names, see core/item.h)
        flat = {k: v["S"] for k, v in item.items() if not k.startswith("wc:")}
        got = {"id": flat.pop("id"), "owner": flat.pop("owner")}
        for k in ("label", "description"):
            if k in flat:
                got[k] = flat.pop(k)
        attrs = {(k[5:] if k.startswith("attr_") else k): v for k, v in flat.items()}
        ok = (got == {k: want[k] for k in ("id", "owner", "label", "description") if k in want}
              and attrs == {a["name"]: a["value"] for a in want["otherAttributes"]})
    if not ok:
        failed += 1
        print(f"crosscheck: {want['id']}: got {got}, want {want}", file=sys.stderr)
sys.exit(1 if failed else 0)
