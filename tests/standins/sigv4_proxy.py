#!/usr/bin/env python3
"""A signature-checking reverse proxy for the tests.

Every request is checked with AWS's own signer (botocore's SigV4Auth, S3SigV4Auth for S3)
before it is forwarded: the proxy rebuilds the canonical request from what arrived on the wire
(method, raw path, raw query, the headers named in SignedHeaders, the body), recomputes the
signature with the known test credentials, and answers 403 on any mismatch, an unknown access
key, a wrong credential scope, or a body whose SHA-256 differs from x-amz-content-sha256.
Requests with X-Amz-Target DynamoDB_* go to the DynamoDB stand-in, all others to the S3/SQS one.
GET /__proxy_stats answers {"checked": N, "rejected": M}.

Faults for the failure tests: POST /__proxy_faults with a JSON list of rules adds them (DELETE
clears all). A rule applies to the requests whose method, path, X-Amz-Target or body contain its
"match" string (tests match their own queue, table or bucket names, so tests running at once do not
disturb each other), for "times" requests (0: until cleared), after the signature check:
  {"match": "...", "delay_ms": 3000}              answer late;
  {"match": "...", "status": 503, "code": "..."}  answer an error in the service's own format;
  {"match": "...", "drop": true}                  close the connection without an answer.
"""
import argparse
import hashlib
import http.client
import json
import re
import socket
import sys
import threading
import time
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
    faults = []


def fault_for(text):
    """The first fault rule matching text, counted (None when none applies)."""
    with Stats.lock:
        for rule in Stats.faults:
            if rule.get("match", "") in text and rule.get("left", 1) != 0:
                if "left" in rule:
                    rule["left"] -= 1
                return dict(rule)
    return None


def error_answer(handler, service, status, code, message):
    if service == "s3":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
                f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>").encode()
        ctype = "application/xml"
    else:
        body = json.dumps({"__type": f"com.amazon.coral.service#{code}", "message": message}).encode()
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

    def upstream(self, target):
        conn = self.upstreams.get(target)
        if conn is None:
            conn = http.client.HTTPConnection(*target, timeout=60)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upstreams[target] = conn
        return conn

    def handle_any(self):
        if self.path == "/__proxy_faults":
            length = int(self.headers.get("Content-Length") or 0)
            rules = json.loads(self.rfile.read(length) or b"[]") if self.command == "POST" else None
            with Stats.lock:
                if rules is None:
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
            body = json.dumps({"checked": Stats.checked, "rejected": Stats.rejected}).encode()
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
        service_guess = "dynamodb" if target.startswith("DynamoDB_") else (
            "sqs" if target.startswith("AmazonSQS") else "s3")
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
        self.forward(upstream, body)

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

    def forward(self, upstream, body):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        try:
            for attempt in (1, 2):  # a kept-alive upstream connection may have been closed
                conn = self.upstream(upstream)
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    self.upstreams.pop(upstream, None)
                    if attempt == 2:
                        raise
        except Exception as e:  # the stand-in died: answer like an overloaded server
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.wfile.flush()
            sys.stderr.write(f"sigv4-proxy: upstream {upstream} failed: {e}\n")
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--fauxqs", required=True, help="host:port")
    p.add_argument("--dynamodb", required=True, help="host:port")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="us-east-1")
    args = p.parse_args()
    # A deep accept queue: many consumers at once, each with many connections, on a busy machine
    # (the default of 5 refuses connections under load).
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.args = args
    h, pt = args.fauxqs.rsplit(":", 1)
    server.fauxqs = (h, int(pt))
    h, pt = args.dynamodb.rsplit(":", 1)
    server.dynamodb = (h, int(pt))
    server.serve_forever()


if __name__ == "__main__":
    main()
