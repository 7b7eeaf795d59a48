#!/usr/bin/env python3
"""Plays the two credential endpoints of AWS compute for the tests: the EC2 instance metadata
service (IMDSv2: PUT /latest/api/token, then GET with X-aws-ec2-metadata-token) and the ECS
container credentials endpoint (GET /ecs/creds with an Authorization token), and STS (POST /,
Query protocol): AssumeRoleWithWebIdentity when the WebIdentityToken is the contents of
--web-token-file (read at each call) and the RoleArn is --role-arn, AssumeRole when the RoleArn is
--role-arn and the request is signed (checked with botocore's signer) with --source-key and
--source-secret. Each fetch is logged on stderr ("imds token ok", "imds credentials ok", "ecs ok",
"sts AssumeRole ok", "sts AssumeRoleWithWebIdentity ok token=..."), each refusal too ("sts
refused: why")."""
import argparse
import datetime
import re
import urllib.parse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/sts/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")

ROLE = "widget-consumer-role"
IMDS_TOKEN = "imds-session-token-1"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b"", ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def credentials(self):
        a = self.server.args
        expires = datetime.datetime.utcnow() + datetime.timedelta(seconds=a.expires_in)
        return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": a.access_key,
                           "SecretAccessKey": a.secret_key, "Token": a.token,
                           "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()

    def sts_error(self, code, message):
        print(f"sts refused: {code}: {message}", file=sys.stderr, flush=True)
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>")
        self.answer(403 if code == "AccessDenied" else 400, body.encode(), "text/xml")

    def signed_by_source(self, body):
        a = self.server.args
        m = AUTH_RE.match(self.headers.get("Authorization", ""))
        if not m or m.group(1) != a.source_key:
            return False
        region, signed, signature = m.group(3), m.group(4), m.group(5)
        headers = {name: self.headers.get(name, "") for name in signed.split(";")}
        request = AWSRequest(method="POST", url=f"http://{self.headers['Host']}{self.path}",
                             headers=headers, data=body)
        request.context["timestamp"] = self.headers.get("X-Amz-Date", "")
        signer = SigV4Auth(Credentials(a.source_key, a.source_secret,
                                       self.headers.get("X-Amz-Security-Token")), "sts", region)
        canonical = signer.canonical_request(request)
        return signer.signature(signer.string_to_sign(request, canonical), request) == signature

    def do_POST(self):
        a = self.server.args
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = dict(urllib.parse.parse_qsl(body.decode()))
        action = form.get("Action")
        if self.path != "/" or form.get("Version") != "2011-06-15" or not a.role_arn:
            return self.answer(404)
        if form.get("RoleArn") != a.role_arn:
            return self.sts_error("AccessDenied", f"not allowed to assume {form.get('RoleArn')}")
        if not form.get("RoleSessionName"):
            return self.sts_error("ValidationError", "RoleSessionName is required")
        if action == "AssumeRoleWithWebIdentity":
            if "Authorization" in self.headers:
                return self.sts_error("InvalidAction", "AssumeRoleWithWebIdentity is not signed")
            with open(a.web_token_file) as f:
                want = f.read().strip()
            if form.get("WebIdentityToken") != want:
                return self.sts_error("InvalidIdentityToken", "the token is not the current one")
            note = f" token={want}"
        elif action == "AssumeRole":
            if not self.signed_by_source(body):
                return self.sts_error("SignatureDoesNotMatch", "not signed by the source's keys")
            if a.external_id and form.get("ExternalId") != a.external_id:
                return self.sts_error("AccessDenied", "wrong ExternalId")
            note = ""
        else:
            return self.sts_error("InvalidAction", f"{action}")
        print(f"sts {action} ok{note}", file=sys.stderr, flush=True)
        expires = datetime.datetime.utcnow() + datetime.timedelta(seconds=a.expires_in)
        xml = (f"<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>"
               f"<Credentials><AccessKeyId>{a.access_key}</AccessKeyId>"
               f"<SecretAccessKey>{a.secret_key}</SecretAccessKey><SessionToken>{a.token}</SessionToken>"
               f"<Expiration>{expires.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration></Credentials>"
               f"</{action}Result></{action}Response>")
        self.answer(200, xml.encode(), "text/xml")

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            print("imds token ok", file=sys.stderr, flush=True)
            return self.answer(200, IMDS_TOKEN.encode())
        self.answer(400)

    def do_GET(self):
        if self.path == "/ping":
            return self.answer(200, b"pong")
        if self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
                return self.answer(401)
            if self.path == "/latest/meta-data/iam/security-credentials/":
                return self.answer(200, ROLE.encode())
            if self.path == f"/latest/meta-data/iam/security-credentials/{ROLE}":
                print("imds credentials ok", file=sys.stderr, flush=True)
                return self.answer(200, self.credentials(), "application/json")
            return self.answer(404)
        if self.path == "/ecs/creds":
            if self.headers.get("Authorization") != self.server.args.ecs_auth:
                return self.answer(401)
            print("ecs ok", file=sys.stderr, flush=True)
            return self.answer(200, self.credentials(), "application/json")
        self.answer(404)


def main():
    p = argparse.ArgumentParser()
    for name in ("--access-key", "--secret-key", "--token", "--ecs-auth"):
        p.add_argument(name, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--expires-in", type=int, default=3600)
    for name in ("--role-arn", "--web-token-file", "--source-key", "--source-secret", "--external-id"):
        p.add_argument(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.args = p.parse_args()
    server.server_close()
    server = ThreadingHTTPServer(("127.0.0.1", server.args.port), Handler)
    server.args = p.parse_args()
    server.serve_forever()


if __name__ == "__main__":
    main()
