#!/usr/bin/env python3
"""A signature-checking reverse proxy for the tests.

Every request is checked with AWS's own signer (botocore's SigV4Auth, S3SigV4Auth for S3)
before it is forwarded: the proxy rebuilds the canonical request from what arrived on the wire
(method, raw path, raw query, the headers named in SignedHeaders, the body), recomputes the
signature with the known test credentials, and answers 403 on any mismatch, an unknown access
key, a wrong credential scope, or a body whose SHA-256 differs from x-amz-content-sha256.
Requests with X-Amz-Target DynamoDB_* go to the DynamoDB stand-in, all others to the S3/SQS one.
GET /__proxy_stats answers {"checked": N, "rejected": M, "connections": C} (C: the client
connections accepted, TLS handshakes included when it serves HTTPS).

HTTPS: with --tls-cert FILE --tls-key FILE it serves TLS (Python's ssl module; the handshake is
made in the connection's own thread, keep-alive as over plain HTTP) and forwards in plain HTTP to
the stand-ins. A test makes the CA and the certificate with openssl (see tests/integration/tls.sh).

Faults for the failure tests: POST /__proxy_faults with a JSON list of rules adds them (DELETE
clears all; DELETE /__proxy_faults?owner=NAME only the rules carrying "owner": NAME, which is how
tests running at once under ctest -j2 clear their own without wiping the others'). A rule applies
to the requests whose method, path, X-Amz-Target or body contain its "match" string, or every
string of a "match" list (tests match their own queue, table or bucket names, with a widget id
where they aim at one widget: tests running at once make the same ids from the same seed), for
"times" requests (0: until cleared), after the signature check:
  {"match": "...", "delay_ms": 3000}              answer late;
  {"match": "...", "status": 503, "code": "..."}  answer an error in the service's own format;
  {"match": "...", "drop": true}                  close the connection without an answer.

A seeded random schedule: POST /__proxy_chaos {"seed": 7, "rate": 0.15, "match": "..."} adds a
rule (DELETE clears all, GET answers each rule with its counts and the first 1,000 draws; both
take ?match=... to touch only the rules of that match). Each request matching a rule (the first
that matches, after the signature check and the targeted rules) takes three draws from that
rule's own RNG, in the order the requests arrive, so a seed gives one schedule: with probability
"rate" one fault of the kinds listed in "kinds" (default all of them):
  500           InternalError (S3, SQS) / InternalServerError (DynamoDB), HTTP 500;
  503           ServiceUnavailable, HTTP 503;
  throttle      S3 SlowDown (503), DynamoDB ProvisionedThroughputExceededException or
                ThrottlingException (400), SQS ThrottlingException or RequestThrottled (400);
  reset-before  the connection reset (RST) before the request is forwarded;
  reset-after   forwarded (the service acted on it), then the connection reset: the answer is lost;
  slow          forwarded after 1-3 s.
S3 conditional writes, enforced (fauxqs ignores If-Match and If-None-Match on writes): a PutObject
with "If-None-Match: *" is refused with 412 PreconditionFailed when the key exists; a PutObject or
DeleteObject with "If-Match: ETAG" with 412 when the key's ETag differs ("*": any) and with 404
NoSuchKey when the key is missing, as S3 answers both. Atomic per key: every PUT and DELETE of an
object holds that key's lock across the check (a HEAD to fauxqs for the current ETag) and the
forwarded write, so two writers conditional on one ETag cannot both win. The errors are S3's XML.
POST /__proxy_conditions takes {"match": "...", "conflicts": N}: the next N conditional writes
whose "METHOD PATH" contains match are answered 409 ConditionalRequestConflict (not forwarded),
as S3 does when another conditional write of the key is under way; {"match": "...",
"enforce": false}: conditions on matching paths are ignored again (as fauxqs alone does; for
tests that show a check can fail). DELETE clears the rules (?match=... only that match's). GET
(?match=... to pick buckets by name) answers per bucket {"checked", "passed", "412", "404",
"409"}: the conditional writes seen and how each ended.
Only 127.0.0.1 is listened on.
"""
import argparse
import hashlib
import http.client
import json
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


class Stats:
    lock = threading.Lock()
    checked = 0
    rejected = 0
    connections = 0
    faults = []
    chaos = []


class Conditions:
    """S3 conditional writes: per-key locks, the test's rules and the counts per bucket."""
    lock = threading.Lock()
    keys = {}       # "/bucket/key" -> threading.Lock held across check + forwarded write
    rules = []      # {"match", "conflicts" (left), "enforce"}
    counts = {}     # bucket -> {"checked", "passed", "412", "404", "409"}

    @classmethod
    def key_lock(cls, key):
        with cls.lock:
            return cls.keys.setdefault(key, threading.Lock())

    @classmethod
    def count(cls, bucket, what):
        with cls.lock:
            c = cls.counts.setdefault(bucket, {"checked": 0, "passed": 0, "412": 0, "404": 0, "409": 0})
            c[what] += 1

    @classmethod
    def decide(cls, text):
        """(enforce, conflict) for a conditional write: whether its conditions are checked, and
        whether it takes one of the 409s a test asked for."""
        with cls.lock:
            enforce = not any(r["match"] in text and r.get("enforce") is False for r in cls.rules)
            for r in cls.rules:
                if r["match"] in text and r.get("conflicts", 0) > 0:
                    r["conflicts"] -= 1
                    if r["conflicts"] == 0 and "enforce" not in r:
                        cls.rules.remove(r)  # used up
                    return enforce, True
            return enforce, False


S3_ERRORS = {  # code -> (status, S3's message)
    "PreconditionFailed": (412, "At least one of the pre-conditions you specified did not hold"),
    "NoSuchKey": (404, "The specified key does not exist."),
    "ConditionalRequestConflict": (409, "A conflicting operation occurred. If using PutObject you "
                                        "can retry the request. If using multipart upload you "
                                        "should initiate another CreateMultipartUpload request "
                                        "and re-upload each part."),
}


def s3_error(handler, code, extra):
    """An S3 error answer as S3 words it: the XML body with the code's own elements (Condition,
    Key), RequestId and HostId, and the x-amz-request-id header."""
    status, message = S3_ERRORS[code]
    request_id = "%016X" % random.getrandbits(64)
    fields = "".join(f"<{k}>{xml_escape(v)}</{k}>" for k, v in extra)
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
            f"<Message>{message}</Message>{fields}<RequestId>{request_id}</RequestId>"
            f"<HostId>proxy</HostId></Error>").encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("x-amz-request-id", request_id)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unquote_etag(etag):
    etag = etag.strip()
    return etag[2:] if etag.startswith("W/") else etag


CHAOS_KINDS = ("500", "503", "throttle", "reset-before", "reset-after", "slow")
CHAOS_HISTORY = 1000


def chaos_add(spec):
    """A chaos rule from its JSON (ValueError on a bad one)."""
    kinds = spec.get("kinds") or list(CHAOS_KINDS)
    if any(k not in CHAOS_KINDS for k in kinds):
        raise ValueError(f"kinds must be among {CHAOS_KINDS}")
    rate = float(spec.get("rate", 0.15))
    if not 0 <= rate <= 1:
        raise ValueError("rate must be within 0..1")
    return {"match": str(spec.get("match", "")), "seed": int(spec.get("seed", 0)), "rate": rate,
            "kinds": list(kinds), "rng": random.Random(int(spec.get("seed", 0))), "requests": 0,
            "counts": {k: 0 for k in kinds}, "history": []}


def chaos_for(text):
    """(kind, variant) drawn for text by the first chaos rule matching it, or None."""
    with Stats.lock:
        for rule in Stats.chaos:
            if rule["match"] in text:
                rng = rule["rng"]
                hit, pick, variant = rng.random(), rng.randrange(len(rule["kinds"])), rng.random()
                kind = rule["kinds"][pick] if hit < rule["rate"] else None
                rule["requests"] += 1
                if kind:
                    rule["counts"][kind] += 1
                if len(rule["history"]) < CHAOS_HISTORY:
                    rule["history"].append(kind or "-")
                return (kind, variant) if kind else None
    return None


def chaos_error(service, kind, variant):
    """(status, code) of an injected error in the service's own words."""
    if kind == "500":
        return 500, "InternalServerError" if service == "dynamodb" else "InternalError"
    if kind == "503":
        return 503, "ServiceUnavailable"
    if service == "s3":
        return 503, "SlowDown"
    if service == "dynamodb":
        return 400, "ProvisionedThroughputExceededException" if variant < 0.5 else "ThrottlingException"
    return 400, "ThrottlingException" if variant < 0.5 else "RequestThrottled"


def matches(match, text):
    """A rule's match: a string in text, or a list of strings all in text (a widget id AND this
    run's table: tests running at once make the same widget ids from the same seed)."""
    return all(m in text for m in match) if isinstance(match, list) else match in text


def fault_for(text):
    """The first fault rule matching text, counted (None when none applies)."""
    with Stats.lock:
        for rule in Stats.faults:
            if matches(rule.get("match", ""), text) and rule.get("left", 1) != 0:
                if "left" in rule:
                    rule["left"] -= 1
                return dict(rule)
    return None


JSON_TYPE_PREFIX = {"dynamodb": "com.amazonaws.dynamodb.v20120810#", "sqs": "com.amazonaws.sqs#"}


LISTED = re.compile(rb"<(Key|Prefix|StartAfter|Delimiter)>(.*?)</\1>", re.S)


def url_encoded_listing(command, path, status, data):
    """ListObjectsV2 with encoding-type=url answered as S3 does (fauxqs ignores the parameter):
    Key, Prefix, StartAfter and Delimiter URL-encoded (a space as '+'), and
    <EncodingType>url</EncodingType>. fauxqs writes a key's control characters raw, which no XML
    parser reads (and a CR would come back as LF); encoded, they are plain text."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if command != "GET" or status != 200 or query.get("list-type") != ["2"] or \
            query.get("encoding-type") != ["url"]:
        return data

    def encode(m):
        text = m.group(2)
        for entity, char in ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'),
                             (b"&apos;", b"'"), (b"&amp;", b"&")):
            text = text.replace(entity, char)
        return b"<%s>%s</%s>" % (m.group(1), urllib.parse.quote_plus(text, safe="/").encode(),
                                 m.group(1))
    data = LISTED.sub(encode, data)
    return data.replace(b"</ListBucketResult>", b"<EncodingType>url</EncodingType></ListBucketResult>")


def error_answer(handler, service, status, code, message):
    if service in ("s3", "sns"):  # SNS: <ErrorResponse><Error>…, read alike by clients
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>").encode()
        ctype = "application/xml"
    else:
        prefix = JSON_TYPE_PREFIX.get(service, "com.amazon.coral.service#")
        body = json.dumps({"__type": f"{prefix}{code}", "message": message}).encode()
        ctype = "application/x-amz-json-1.0"
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("x-amzn-RequestId", "proxy")
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    handler.wfile.flush()


def reject(handler, service, code, message):
    with Stats.lock:
        Stats.rejected += 1
    sys.stderr.write(f"sigv4-proxy: rejected {handler.command} {handler.path}: {code}: {message}\n")
    error_answer(handler, service, 403, code, message)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response, and no Nagle delay: small request/response pairs on a
    # kept-alive connection would otherwise wait for delayed ACKs (40 ms each).
    wbufsize = -1

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.upstreams = {}

    def log_message(self, fmt, *args):
        pass

    def handle_expect_100(self):
        # The buffered writer (wbufsize) would hold "100 Continue" back, and the client waits a
        # second for it (botocore on every S3 PUT).
        result = super().handle_expect_100()
        self.wfile.flush()
        return result

    def upstream(self, target):
        conn = self.upstreams.get(target)
        if conn is None:
            conn = http.client.HTTPConnection(*target, timeout=60)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upstreams[target] = conn
        return conn

    def reset(self):
        """Reset the connection (RST, not FIN): SO_LINGER 0, then close."""
        self.close_connection = True
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()

    def answer_json(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def handle_rules(self, holder, name, listing, make_rule, added):
        """A control endpoint of the rules in holder.<name> (under holder.lock), each with a
        "match". ?match=NAME: GET and DELETE only that match's (tests running at once). GET
        answers listing(only), DELETE drops the rules, POST adds make_rule(its JSON body) and
        answers added(rule); a body that makes no rule is a 400."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        only = query["match"][0] if "match" in query else None
        if self.command == "GET":
            with holder.lock:
                answer = listing(only)
            self.answer_json(200, answer)
            return
        if self.command == "DELETE":
            with holder.lock:
                setattr(holder, name, [r for r in getattr(holder, name)
                                       if only is not None and r["match"] != only])
            self.answer_json(200, [])
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            rule = make_rule(json.loads(self.rfile.read(length) or b"{}"))
        except (ValueError, TypeError, AttributeError) as e:
            self.answer_json(400, {"error": str(e)})
            return
        with holder.lock:
            getattr(holder, name).append(rule)
        self.answer_json(200, added(rule))

    def handle_chaos(self):
        def listing(only):
            return [{k: (v.copy() if isinstance(v, (list, dict)) else v) for k, v in r.items()
                     if k != "rng"} for r in Stats.chaos if only is None or r["match"] == only]

        self.handle_rules(Stats, "chaos", listing, chaos_add,
                          lambda rule: {"match": rule["match"], "seed": rule["seed"],
                                        "rate": rule["rate"]})

    def handle_conditions(self):
        def listing(only):
            # the counts of the buckets whose name holds only
            return {b: dict(c) for b, c in Conditions.counts.items() if only is None or only in b}

        def make_rule(spec):
            rule = {"match": str(spec.get("match", "")), "conflicts": int(spec.get("conflicts", 0))}
            if "enforce" in spec:
                rule["enforce"] = bool(spec["enforce"])
            return rule

        self.handle_rules(Conditions, "rules", listing, make_rule, lambda rule: rule)

    def handle_any(self):
        if self.path.split("?")[0] == "/__proxy_chaos":
            self.handle_chaos()
            return
        if self.path.split("?")[0] == "/__proxy_conditions":
            self.handle_conditions()
            return
        if self.path.split("?")[0] == "/__proxy_faults":
            length = int(self.headers.get("Content-Length") or 0)
            rules = json.loads(self.rfile.read(length) or b"[]") if self.command == "POST" else None
            owner = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("owner")
            with Stats.lock:
                if rules is None and owner:
                    Stats.faults = [r for r in Stats.faults if r.get("owner") != owner[0]]
                elif rules is None:
                    Stats.faults = []
                for rule in rules or []:
                    if rule.get("times"):
                        rule["left"] = rule["times"]
                    Stats.faults.append(rule)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
            return
        if self.path == "/__proxy_stats":
            body = json.dumps({"checked": Stats.checked, "rejected": Stats.rejected,
                               "connections": Stats.connections}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        upstream = self.server.dynamodb if target.startswith("DynamoDB_") else self.server.fauxqs
        # SNS speaks the query protocol: a form POSTed to "/" (S3 never takes a form there).
        form = self.command == "POST" and self.path == "/" and self.headers.get(
            "Content-Type", "").startswith("application/x-www-form-urlencoded")
        service_guess = "dynamodb" if target.startswith("DynamoDB_") else (
            "sqs" if target.startswith("AmazonSQS") else "sns" if form else "s3")
        if not self.check(body, service_guess):
            return
        rule = fault_for(f"{self.command} {self.path} {target} " + body.decode("utf-8", "replace"))
        if rule:
            if rule.get("delay_ms"):
                time.sleep(rule["delay_ms"] / 1000.0)
            if rule.get("drop"):
                self.close_connection = True
                self.request.shutdown(socket.SHUT_RDWR)
                return
            if rule.get("status"):
                error_answer(self, service_guess, rule["status"], rule.get("code", "InternalError"),
                             "injected by the test proxy")
                return
        chaos = chaos_for(f"{self.command} {self.path} {target} " + body.decode("utf-8", "replace"))
        if chaos:
            kind, variant = chaos
            if kind == "reset-before":
                self.reset()
                return
            if kind in ("500", "503", "throttle"):
                status, code = chaos_error(service_guess, kind, variant)
                error_answer(self, service_guess, status, code, "injected by the test proxy (chaos)")
                return
            if kind == "slow":
                time.sleep(1.0 + 2.0 * variant)
        reset_after = bool(chaos) and chaos[0] == "reset-after"
        key = self.object_key() if service_guess == "s3" and self.command in ("PUT", "DELETE") else None
        if key is None:
            self.forward(upstream, body, reset_after=reset_after)
            return
        with Conditions.key_lock(key):  # check and write as one, per key
            if self.conditions_hold(upstream, key):
                self.forward(upstream, body, reset_after=reset_after)

    def object_key(self):
        """"/bucket/key" of a path-style object request (no sub-resource query), else None."""
        path, _, query = self.path.partition("?")
        parts = path.split("/", 2)
        if len(parts) < 3 or not parts[1] or not parts[2] or query:
            return None
        return path

    def conditions_hold(self, upstream, key):
        """Checks If-Match / If-None-Match of a write against the key's current ETag (HEAD to the
        stand-in); answers S3's error and returns False when they do not hold."""
        if_match = self.headers.get("If-Match")
        if_none = self.headers.get("If-None-Match") if self.command == "PUT" else None
        if if_match is None and if_none is None:
            return True
        bucket = key.split("/")[1]
        enforce, conflict = Conditions.decide(f"{self.command} {self.path}")
        if not enforce:
            return True
        Conditions.count(bucket, "checked")
        if conflict:
            Conditions.count(bucket, "409")
            s3_error(self, "ConditionalRequestConflict", [])
            return False
        try:
            etag = self.current_etag(upstream, key)
        except (http.client.HTTPException, OSError) as e:  # the stand-in died: as forward() does
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
            sys.stderr.write(f"sigv4-proxy: upstream {upstream} failed: {e}\n")
            return False
        if if_none is not None and if_none.strip() == "*" and etag is not None:
            Conditions.count(bucket, "412")
            s3_error(self, "PreconditionFailed", [("Condition", "If-None-Match")])
            return False
        if if_match is not None:
            if etag is None:
                Conditions.count(bucket, "404")
                s3_error(self, "NoSuchKey", [("Key", urllib.parse.unquote(key.split("/", 2)[2]))])
                return False
            wanted = [unquote_etag(e) for e in if_match.split(",")]
            if "*" not in wanted and unquote_etag(etag) not in wanted:
                Conditions.count(bucket, "412")
                s3_error(self, "PreconditionFailed", [("Condition", "If-Match")])
                return False
        Conditions.count(bucket, "passed")
        return True

    def upstream_request(self, upstream, method, path, body, headers):
        """(the response, its body) of method path sent upstream; once more on a new connection
        when a kept-alive one had been closed."""
        for attempt in (1, 2):
            conn = self.upstream(upstream)
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.upstreams.pop(upstream, None)
                if attempt == 2:
                    raise

    def current_etag(self, upstream, key):
        """The ETag fauxqs has for key, or None when it has no such object."""
        resp, _ = self.upstream_request(upstream, "HEAD", key, None,
                                        {"Host": self.headers.get("Host", "")})
        if resp.status == 404:
            return None
        if resp.status != 200 or not resp.getheader("ETag"):
            raise OSError(f"HEAD {key}: HTTP {resp.status} from the stand-in")
        return resp.getheader("ETag")

    def check(self, body, service_guess):
        with Stats.lock:
            Stats.checked += 1
        auth = self.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            reject(self, service_guess, "MissingAuthenticationToken", "no SigV4 Authorization header")
            return False
        key_id, day, region, service, signed, signature = m.groups()
        args = self.server.args
        if key_id != args.access_key:
            code = {"s3": "InvalidAccessKeyId", "sqs": "InvalidClientTokenId"}.get(
                service_guess, "UnrecognizedClientException")
            reject(self, service_guess, code, "The security token included in the request is invalid.")
            return False
        if service != service_guess or region != args.region:
            reject(self, service_guess, "SignatureDoesNotMatch",
                   f"credential scope {region}/{service} should be {args.region}/{service_guess}")
            return False
        amz_date = self.headers.get("X-Amz-Date", "")
        if not amz_date.startswith(day):
            reject(self, service_guess, "SignatureDoesNotMatch", "X-Amz-Date does not match the scope")
            return False
        content_sha = self.headers.get("X-Amz-Content-SHA256")
        if service == "s3" and content_sha is None:
            reject(self, service, "InvalidRequest", "missing x-amz-content-sha256")
            return False
        if content_sha and content_sha != "UNSIGNED-PAYLOAD" and \
                content_sha != hashlib.sha256(body).hexdigest():
            reject(self, service, "XAmzContentSHA256Mismatch", "body does not match x-amz-content-sha256")
            return False
        headers = {}
        for name in signed.split(";"):
            values = self.headers.get_all(name)
            if values is None:
                reject(self, service, "SignatureDoesNotMatch", f"signed header {name} is missing")
                return False
            headers[name] = ",".join(values)
        request = AWSRequest(method=self.command, url=f"http://{self.headers['Host']}{self.path}",
                             headers=headers, data=body)
        request.context["timestamp"] = amz_date
        creds = Credentials(args.access_key, args.secret_key, self.headers.get("X-Amz-Security-Token"))
        signer = (S3SigV4Auth if service == "s3" else SigV4Auth)(creds, service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != signature:
            reject(self, service, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided. "
                   f"Canonical request: {canonical!r}")
            return False
        return True

    def forward(self, upstream, body, reset_after=False):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        try:
            resp, data = self.upstream_request(upstream, self.command, self.path, body or None, headers)
            data = url_encoded_listing(self.command, self.path, resp.status, data)
        except Exception as e:  # the stand-in died: answer like an overloaded server
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
            sys.stderr.write(f"sigv4-proxy: upstream {upstream} failed: {e}\n")
            return
        if reset_after:  # the service acted on it; its answer is lost
            self.reset()
            return
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    """Counts the connections it accepts; with a TLS context, each connection's handshake is made
    in its own thread (a slow or refused handshake never holds up the accept loop)."""
    tls = None

    def finish_request(self, request, client_address):
        with Stats.lock:
            Stats.connections += 1
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:  # the client refused our certificate, or left
            sys.stderr.write(f"sigv4-proxy: TLS handshake with {client_address}: {e}\n")
            return
        try:
            super().finish_request(request, client_address)
        finally:
            request.close()  # the plain socket was detached into this one


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--fauxqs", required=True, help="host:port")
    p.add_argument("--dynamodb", required=True, help="host:port")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, chain first)")
    p.add_argument("--tls-key", help="the certificate's private key (PEM)")
    args = p.parse_args()
    # A deep accept queue: many consumers at once, each with many connections, on a busy machine
    # (the default of 5 refuses connections under load).
    Server.request_queue_size = 512
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
    server.daemon_threads = True
    server.args = args
    h, pt = args.fauxqs.rsplit(":", 1)
    server.fauxqs = (h, int(pt))
    h, pt = args.dynamodb.rsplit(":", 1)
    server.dynamodb = (h, int(pt))
    server.serve_forever()


if __name__ == "__main__":
    main()
