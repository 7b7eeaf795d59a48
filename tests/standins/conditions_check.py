#!/usr/bin/env python3
"""Checks the proxy's S3 conditional writes with botocore, AWS's own client, retries off:
  - PutObject If-None-Match: * writes where there is nothing, and is refused with 412
    PreconditionFailed where the key exists;
  - PutObject If-Match: ETAG writes when the ETag is the key's, 412 when it is another one,
    404 NoSuchKey when the key is missing;
  - DeleteObject If-Match: the same (412 on another ETag, 404 NoSuchKey when missing, deleted
    when it matches);
  - a 409 ConditionalRequestConflict on demand (POST /__proxy_conditions {"conflicts": N}) for the
    next N conditional writes only, nothing written;
  - each answer parses in botocore as the right ClientError (code, HTTP status, S3's message);
  - atomic per key: 16 threads writing one new key with If-None-Match: * at once, exactly one
    wins; 16 threads writing one key If-Match the same ETag, exactly one wins; with enforcement
    off for the bucket (as fauxqs alone), all of them "win" (so the check can fail);
  - the counts per bucket (GET /__proxy_conditions).
Usage: conditions_check.py ENDPOINT NAME   (NAME: a prefix for this run's buckets)
The test credentials come from the environment (the stand-ins' env file).
"""
import threading
import urllib.parse
import urllib.request

from botocore.exceptions import ClientError

from checklib import NAME, check, client, finish, proxy

s3 = client("s3", max_pool_connections=32)
bucket, loose = f"{NAME}-b", f"{NAME}-loose"
s3.create_bucket(Bucket=bucket)
s3.create_bucket(Bucket=loose)


def outcome(call, **kw):
    """("ok", answer) or (code, status, message) of one call."""
    try:
        return ("ok", call(**kw))
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", ""))


def expect_error(what, got, code, status):
    check(f"{what}: {got[0]} {got[1] if len(got) > 2 else ''}", got[0] == code and got[1] == status)


# PutObject If-None-Match: *
got = outcome(s3.put_object, Bucket=bucket, Key="k1", Body=b"one", IfNoneMatch="*")
check("put If-None-Match * on a new key: written", got[0] == "ok")
etag1 = got[1]["ETag"] if got[0] == "ok" else ""
got = outcome(s3.put_object, Bucket=bucket, Key="k1", Body=b"two", IfNoneMatch="*")
expect_error("put If-None-Match * on an existing key", got, "PreconditionFailed", 412)
check(f"  with S3's message ({got[-1]!r})",
      got[-1] == "At least one of the pre-conditions you specified did not hold")
check("  and nothing written", s3.get_object(Bucket=bucket, Key="k1")["Body"].read() == b"one")
# PutObject If-Match
got = outcome(s3.put_object, Bucket=bucket, Key="k1", Body=b"three", IfMatch=etag1)
check("put If-Match the current ETag: written", got[0] == "ok")
etag3 = got[1]["ETag"] if got[0] == "ok" else ""
got = outcome(s3.put_object, Bucket=bucket, Key="k1", Body=b"four", IfMatch=etag1)
expect_error("put If-Match an old ETag", got, "PreconditionFailed", 412)
check("  and nothing written", s3.get_object(Bucket=bucket, Key="k1")["Body"].read() == b"three")
got = outcome(s3.put_object, Bucket=bucket, Key="missing", Body=b"x", IfMatch=etag1)
expect_error("put If-Match on a missing key", got, "NoSuchKey", 404)
check("  and nothing written", outcome(s3.head_object, Bucket=bucket, Key="missing")[0] != "ok")
# DeleteObject If-Match
got = outcome(s3.delete_object, Bucket=bucket, Key="k1", IfMatch=etag1)
expect_error("delete If-Match an old ETag", got, "PreconditionFailed", 412)
check("  and not deleted", outcome(s3.head_object, Bucket=bucket, Key="k1")[0] == "ok")
got = outcome(s3.delete_object, Bucket=bucket, Key="missing", IfMatch=etag1)
expect_error("delete If-Match on a missing key", got, "NoSuchKey", 404)
got = outcome(s3.delete_object, Bucket=bucket, Key="k1", IfMatch=etag3)
check("delete If-Match the current ETag: deleted",
      got[0] == "ok" and outcome(s3.head_object, Bucket=bucket, Key="k1")[0] != "ok")
# Unconditional writes pass as before.
check("an unconditional put passes", outcome(s3.put_object, Bucket=bucket, Key="k1", Body=b"u")[0] == "ok")
# 409 on demand: the next two conditional writes of the bucket, then no more.
proxy("POST", "/__proxy_conditions", {"match": f"/{bucket}/", "conflicts": 2})
got = outcome(s3.put_object, Bucket=bucket, Key="k2", Body=b"x", IfNoneMatch="*")
expect_error("409 on demand: put If-None-Match", got, "ConditionalRequestConflict", 409)
check(f"  with S3's message ({got[-1][:40]!r}...)", got[-1].startswith("A conflicting operation occurred."))
check("  and nothing written", outcome(s3.head_object, Bucket=bucket, Key="k2")[0] != "ok")
etag_u = s3.head_object(Bucket=bucket, Key="k1")["ETag"]
got = outcome(s3.delete_object, Bucket=bucket, Key="k1", IfMatch=etag_u)
expect_error("409 on demand: delete If-Match", got, "ConditionalRequestConflict", 409)
check("an unconditional write takes no 409", outcome(s3.put_object, Bucket=bucket, Key="k3", Body=b"x")[0] == "ok")
check("the third conditional write passes",
      outcome(s3.put_object, Bucket=bucket, Key="k2", Body=b"x", IfNoneMatch="*")[0] == "ok")
proxy("DELETE", "/__proxy_conditions?match=" + urllib.parse.quote(f"/{bucket}/"))


def race(b, key, n, **cond):
    """n threads writing key at once under cond; the outcomes."""
    results, start = [], threading.Barrier(n)

    def one(i):
        start.wait()
        # Bodies unlike any before: an ETag is the body's MD5, and a writer putting back what is
        # there would keep the ETag the others are conditional on.
        body = f"{sorted(cond)} writer {i}".encode()
        results.append(outcome(s3.put_object, Bucket=b, Key=key, Body=body, **cond)[0])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


for round_ in range(3):
    r = race(bucket, f"race-{round_}", 16, IfNoneMatch="*")
    check(f"16 creates of one key at once: {r.count('ok')} won, {r.count('PreconditionFailed')} refused",
          r.count("ok") == 1 and r.count("PreconditionFailed") == 15)
    base = s3.head_object(Bucket=bucket, Key=f"race-{round_}")["ETag"]
    r = race(bucket, f"race-{round_}", 16, IfMatch=base)
    check(f"16 writes If-Match one ETag at once: {r.count('ok')} won, {r.count('PreconditionFailed')} refused",
          r.count("ok") == 1 and r.count("PreconditionFailed") == 15)
# Enforcement off (fauxqs alone): the same races all "win".
proxy("POST", "/__proxy_conditions", {"match": f"/{loose}/", "enforce": False})
r = race(loose, "race", 16, IfNoneMatch="*")
check(f"enforcement off: 16 creates of one key, {r.count('ok')} 'won'", r.count("ok") == 16)
proxy("DELETE", "/__proxy_conditions?match=" + urllib.parse.quote(f"/{loose}/"))
counts = proxy("GET", "/__proxy_conditions?match=" + urllib.parse.quote(bucket))
c = counts.get(bucket, {})
check(f"the counts of {bucket}: {c}", c.get("412") == 3 + 90 and c.get("404") == 2 and c.get("409") == 2)
check("enforcement off: nothing counted", loose not in counts)
try:
    proxy("POST", "/__proxy_conditions", {"conflicts": "many"})
    check("a bad rule is refused", False)
except urllib.request.HTTPError as e:
    check(f"a bad rule is refused ({e.code})", e.code == 400)
finish("conditional writes: all checks passed")
