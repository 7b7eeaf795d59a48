#!/usr/bin/env python3
"""Plays the two credential endpoints of AWS compute for the tests: the EC2 instance metadata
service (IMDSv2: PUT /latest/api/token, then GET with X-aws-ec2-metadata-token) and the ECS
container credentials endpoint (GET /ecs/creds with an Authorization token). Each fetch is
logged on stderr ("imds token ok", "imds credentials ok", "ecs ok")."""
import argparse
import datetime
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.args = p.parse_args()
    server.server_close()
    server = ThreadingHTTPServer(("127.0.0.1", server.args.port), Handler)
    server.args = p.parse_args()
    server.serve_forever()


if __name__ == "__main__":
    main()
