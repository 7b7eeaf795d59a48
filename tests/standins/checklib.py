"""What the proxy's botocore checks (chaos_check.py, conditions_check.py) share: the endpoint and
run name from the command line, a check that prints and counts, the proxy's control calls, the
botocore clients (retries off, S3 path-style), and the closing line and exit status."""
import json
import sys
import time
import urllib.request

import botocore.session
from botocore.config import Config

EP, NAME = sys.argv[1], sys.argv[2]
failures = []


def check(what, cond):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def proxy(method, path, value=None):
    data = json.dumps(value).encode() if value is not None else None
    req = urllib.request.Request(EP + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def client(service, **config):
    """A botocore client of the proxy, retries off (each call's own answer is what is checked)."""
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=10,
                 connect_timeout=5, s3={"addressing_style": "path"}, **config)
    return botocore.session.get_session().create_client(service, endpoint_url=EP, config=cfg)


def create_table(ddb, name):
    """Creates a table keyed by "id" and returns once it is ACTIVE. dynalite answers CreateTable with
    the table CREATING and turns it ACTIVE on a timer (--createTableMs 0 still means "on the next
    turn of its event loop, then a write"); a PutItem sent at once can find it CREATING and be
    answered ResourceNotFoundException."""
    ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    deadline = time.monotonic() + 10
    while ddb.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} still not ACTIVE after 10 s")
        time.sleep(0.01)


def finish(passed):
    """The closing line, and the exit status."""
    print(f"{len(failures)} failed" if failures else passed)
    sys.exit(1 if failures else 0)
