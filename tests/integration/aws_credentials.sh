#!/usr/bin/env bash
# Credentials from each source the SDKs use, against the signature-checking proxy: a profile in
# the shared files, the ECS container endpoint (with its authorization token; and as EKS Pod
# Identity, with a token file), EC2 instance metadata (IMDSv2), web identity and assumed roles
# (STS), credential_process; the metadata endpoints and STS are played by a local HTTP server
# (tests/standins/metadata_server.py). Temporary credentials that expire soon are fetched again.
# A profile that names a role without a source stops the consumer. The secret never reaches the
# log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
url=$(mk_queue "$RUN-q")
mk_table "$RUN-widgets"
KEY=$AWS_ACCESS_KEY_ID SECRET=$AWS_SECRET_ACCESS_KEY
ROLE=arn:aws:iam::123456789012:role/widgets
echo "eks-token-$RUN" > "$WORK/web-token"
# metadata_server LOG ARGS...: the ECS / IMDS / STS stand-in giving out these credentials (and
# ARGS), logging to $WORK/LOG, once it answers; its port in $mport.
metadata_server() {
  local log=$1
  shift
  mport=$(free_port)
  python3 "$(dirname "$0")/../standins/metadata_server.py" --port "$mport" --access-key "$KEY" \
    --secret-key "$SECRET" --token "TOKEN-$RUN" "$@" > "$WORK/$log" 2>&1 &
  PIDS+=($!)
  wait_until 10 "the metadata server on port $mport" curl -s -o /dev/null "http://127.0.0.1:$mport/ping"
}
metadata_server metadata.log --ecs-auth "ecs-secret-token" --expires-in 120 \
  --role-arn "arn:aws:iam::123456789012:role/widgets" --web-token-file "$WORK/web-token" \
  --source-key AKIDSOURCE --source-secret sourcesecret --external-id ext-42
port=$mport

run() { # run NAME ENV... -- : one producer request and one consumer run with only that source
  local name=$1; shift
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$WORK/home-$name" "$@" \
    "$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr 3 --seed 1 -q || fail "$name: producer failed"
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$WORK/home-$name" "$@" \
    "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -qwt 0 --max-empty-polls 1 \
    --log-level debug --log-file "$WORK/$name.log" -q || fail "$name: consumer failed: $(tail -n 2 "$WORK/$name.log")"
  expect_eq "$name: requests applied" "$(grep -c outcome=applied "$WORK/$name.log")" 3
  grep -qF "$SECRET" "$WORK/$name.log" && fail "$name: the secret key is in the log"
  ok "$name: the secret key is not in the log"
}

mkdir -p "$WORK/home-profile/.aws"
printf '[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n[widgets]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$KEY" "$SECRET" > "$WORK/home-profile/.aws/credentials"
run profile AWS_PROFILE=widgets AWS_EC2_METADATA_DISABLED=true

run ecs AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs/creds" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-secret-token AWS_EC2_METADATA_DISABLED=true
expect_contains "ecs: the source is logged" "$(cat "$WORK/ecs.log")" "credentials: ECS container, access key $KEY, temporary"

# Credentials that expire in two minutes are fetched once for a run of 300 requests (they were
# fetched again before every call: 301 fetches), and again when their half-life is past.
"$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr 300 --seed 2 -q
before=$(grep -c 'ecs ok' "$WORK/metadata.log")
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$WORK/home-ecs" \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs/creds" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-secret-token AWS_EC2_METADATA_DISABLED=true \
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -qwt 0 --max-empty-polls 1 \
  --log-file "$WORK/ecs300.log" -q || fail "ecs300: consumer failed"
expect_eq "ecs: 300 requests applied" "$(grep -c outcome=applied "$WORK/ecs300.log")" 300
expect_eq "ecs: one credential fetch for 300 requests (2-minute credentials)" \
  $(( $(grep -c 'ecs ok' "$WORK/metadata.log") - before )) 1
metadata_server metadata4.log --ecs-auth "ecs-secret-token" --expires-in 4
port4=$mport
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$WORK/home-ecs" \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port4/ecs/creds" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-secret-token AWS_EC2_METADATA_DISABLED=true \
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -qwt 0 --max-runtime 5500 \
  --max-empty-polls 0 --log-file "$WORK/ecs4.log" -q || fail "ecs4: consumer failed"
n4=$(grep -c 'ecs ok' "$WORK/metadata4.log")
[ "$n4" -ge 2 ] && [ "$n4" -le 4 ] || fail "4-second credentials over 5.5 s: $n4 fetches, want 2 to 4"
ok "ecs: 4-second credentials fetched again at half-life ($n4 fetches in 5.5 s)"

run imds AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port"
expect_contains "IMDSv2: token first, then role and credentials" "$(cat "$WORK/metadata.log")" "imds token ok"
grep -q "imds credentials ok" "$WORK/metadata.log" || fail "IMDS credentials were not fetched"
ok "IMDSv2 credentials fetched with a session token"

STS="http://127.0.0.1:$port"
run webid AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" AWS_ROLE_ARN="$ROLE" AWS_ROLE_SESSION_NAME=it \
  AWS_ENDPOINT_URL_STS="$STS" AWS_EC2_METADATA_DISABLED=true
expect_contains "web identity: the source is logged" "$(cat "$WORK/webid.log")" \
  "credentials: web identity (AWS_ROLE_ARN), access key $KEY, temporary"
grep -q "sts AssumeRoleWithWebIdentity ok token=eks-token-$RUN" "$WORK/metadata.log" ||
  fail "web identity: STS did not see the token"
ok "web identity: STS got the token file's token"

mkdir -p "$WORK/home-role/.aws"
printf '[profile base]
aws_access_key_id = AKIDSOURCE
aws_secret_access_key = sourcesecret

[profile app]
role_arn = %s
source_profile = base
external_id = ext-42
' \
  "$ROLE" > "$WORK/home-role/.aws/config"
run role AWS_PROFILE=app AWS_ENDPOINT_URL_STS="$STS" AWS_EC2_METADATA_DISABLED=true
expect_contains "assumed role: the source is logged" "$(cat "$WORK/role.log")" \
  "credentials: profile app (assumed role), access key $KEY, temporary"
grep -q "sts AssumeRole ok" "$WORK/metadata.log" || fail "AssumeRole was not called"
ok "assumed role: AssumeRole signed with the source profile's keys (checked by botocore)"

mkdir -p "$WORK/home-proc/.aws"
printf '[default]
credential_process = printf %%s '"'"'{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'"'"'
' \
  "$KEY" "$SECRET" > "$WORK/home-proc/.aws/config"
run proc AWS_EC2_METADATA_DISABLED=true
expect_contains "credential_process: the source is logged" "$(cat "$WORK/proc.log")" \
  "credentials: profile default (credential_process), access key $KEY"

echo ecs-secret-token > "$WORK/pod-token"
before=$(grep -c 'ecs ok' "$WORK/metadata.log")
run podid AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs/creds" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/pod-token" AWS_EC2_METADATA_DISABLED=true
[ "$(grep -c 'ecs ok' "$WORK/metadata.log")" -gt "$before" ] || fail "Pod Identity: endpoint not asked"
ok "EKS Pod Identity: the container endpoint with the token from its file"

set +e
# role_arn with no source: a start-up error, not the instance role (IMDS is there and on).
mkdir -p "$WORK/home-norole/.aws"
printf '[default]
role_arn = %s
' "$ROLE" > "$WORK/home-norole/.aws/config"
imds_before=$(grep -c 'imds token ok' "$WORK/metadata.log")
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK/home-norole" \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=false \
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -q 2>&1); rc=$?
expect_eq "role_arn without a source: exit 1" "$rc" 1
expect_contains "role_arn without a source: says so" "$out" \
  "has role_arn but no source_profile, credential_source or web_identity_token_file"
expect_eq "role_arn without a source: IMDS not asked" "$(grep -c 'imds token ok' "$WORK/metadata.log")" "$imds_before"
echo wrong-token > "$WORK/bad-web-token"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK" AWS_EC2_METADATA_DISABLED=true \
  AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/bad-web-token" AWS_ROLE_ARN="$ROLE" AWS_ENDPOINT_URL_STS="$STS" \
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -q 2>&1); rc=$?
expect_eq "web identity with a wrong token: exit 1" "$rc" 1
expect_contains "web identity with a wrong token: says so" "$out" "STS says InvalidIdentityToken"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK" AWS_EC2_METADATA_DISABLED=true \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$port/ecs/creds" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong \
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-widgets" --endpoint-url "$EP" -q 2>&1); rc=$?
set -e
expect_eq "ECS with a wrong token: exit 1" "$rc" 1
expect_contains "ECS with a wrong token: says so" "$out" "ECS container credentials: http://127.0.0.1:$port/ecs/creds answered HTTP 401"
# STS refusing the token at a refresh (issue 15): the consumer stops with exit 1 and STS's words
# in one line, instead of retrying it as an outage for ever. A second STS whose credentials last
# 4 s (refreshed after 2 s) and whose idea of the current token changes once the consumer runs.
echo "tok-1-$RUN" > "$WORK/sts2-token"
echo "tok-1-$RUN" > "$WORK/pod-token"
metadata_server metadata2.log --ecs-auth unused --expires-in 4 --role-arn "$ROLE" \
  --web-token-file "$WORK/sts2-token"
port2=$mport
set +e
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN HOME="$WORK" \
  AWS_EC2_METADATA_DISABLED=true AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/pod-token" AWS_ROLE_ARN="$ROLE" \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port2" timeout 60 "$CONSUMER" -rq "$RUN-q" \
  -dwt "$RUN-widgets" --endpoint-url "$EP" -qwt 1 --max-empty-polls 0 --log-file "$WORK/refused.log" -q &
pid=$!
wait_until 10 "the consumer started" grep -q "consumer started" "$WORK/refused.log"
echo "tok-2-$RUN" > "$WORK/sts2-token" # the pod's token is no longer the one STS takes
wait $pid
rc=$?
set -e
expect_eq "STS refusing at a refresh: exit 1" "$rc" 1
expect_contains "STS refusing at a refresh: one clear line, STS's words" "$(tail -n 1 "$WORK/refused.log")" \
  "consumer stopped: the AWS credentials were refused: HTTP 400: web identity (AWS_ROLE_ARN)"
expect_contains "STS refusing at a refresh: the STS error" "$(tail -n 1 "$WORK/refused.log")" \
  "STS says InvalidIdentityToken: the token is not the current one"
expect_eq "STS refusing at a refresh: asked once, not retried" \
  "$(grep -c 'sts refused' "$WORK/metadata2.log")" 1
expect_eq "queue empty" "$(queue_depth "$url")" 0
echo "$checks passed, 0 failed"
