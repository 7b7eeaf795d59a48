#!/usr/bin/env bash
# TLS for real: the signature-checking proxy serves HTTPS (tests/standins/sigv4_proxy.py
# --tls-cert/--tls-key) with a private CA and certificates this test makes with openssl, in front
# of the shared stand-ins.
#   1. SQS -> DynamoDB and S3 -> S3 over HTTPS, the CA from AWS_CA_BUNDLE; SQS -> DynamoDB again
#      with the CA from the profile's ca_bundle (AWS_CONFIG_FILE): widget-verify exact, the source
#      empty, keep-alive held (far fewer TLS connections than requests).
#   2. A wrong CA, and a certificate for another host name: refused at start-up, exit 1 within
#      seconds, the error names the endpoint and the TLS reason, one connection (no retry).
#   3. Verification cannot be turned off: no option for it, an empty AWS_CA_BUNDLE or curl's and
#      OpenSSL's environment variables do not make an unknown CA trusted.
#   4. Mid-run, the certificate changes to one for another host name: the consumer says so (TLS
#      verification failed, naming the endpoint), keeps the requests in the queue (no dead
#      letter); with the right certificate back, everything is applied, exact.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
PROXY=$(cd "$(dirname "$0")/../standins" && pwd)/sigv4_proxy.py
N=${WC_TLS_REQUESTS:-300}
command -v openssl >/dev/null || fail "openssl is not installed (scripts/deps.sh)"

# --- the certificates: a private CA, the server's (127.0.0.1, localhost), another CA, and one
# for another host name signed by the right CA.
certs() {
  local d=$WORK/pki
  mkdir -p "$d"
  for ca in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$ca.key" -out "$d/$ca.pem" -days 2 \
      -subj "/CN=widget test $ca" 2>/dev/null
  done
  leaf() { # NAME SAN
    openssl req -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$1" 2>/dev/null
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -out "$d/$1.pem" -days 2 -extfile "$d/$1.ext" 2>/dev/null
  }
  leaf server "IP:127.0.0.1,DNS:localhost"
  leaf other-host "DNS:other.example"
}
certs
CA=$WORK/pki/ca.pem

# https_proxy NAME CERT [PORT]: an HTTPS proxy with that certificate; its URL in $NAME_url.
https_proxy() {
  local name=$1 cert=$2 port=${3:-}
  [ -n "$port" ] || port=$(free_port)
  python3 "$PROXY" --port "$port" --fauxqs "${WC_FAUXQS#http://}" --dynamodb "${WC_DYNALITE#http://}" \
    --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" --region us-east-1 \
    --tls-cert "$WORK/pki/$cert.pem" --tls-key "$WORK/pki/$cert.key" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  echo $! > "$WORK/$name.pid"
  if [ "$cert" = server ]; then
    wait_until 20 "the proxy $name answering" curl -sf --cacert "$CA" "https://127.0.0.1:$port/__proxy_stats"
  else # its certificate is refused: listening is all there is to see
    wait_until 20 "the proxy $name listening" python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))"
  fi
  printf -v "${name}_url" '%s' "https://127.0.0.1:$port"
}
# connections URL: the connections that proxy accepted so far, this question's included (asked
# with curl, which need not check the certificate of the test's own stand-in: -k).
connections() {
  curl -sk "$1/__proxy_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'
}
https_proxy good server
https_proxy wronghost other-host
EPS=$good_url

# --- 1. the demo's path over HTTPS
path_sqs_dynamodb() { # NAME: produce, consume, verify; then the connections per request
  local name=$RUN-$1 before
  mk_queue "$name-requests" >/dev/null
  mk_table "$name-widgets"
  "$PRODUCER" -rq "$name-requests" --endpoint-url "$EPS" -mwr "$N" --seed 42 --expected "$WORK/$1.json" -q ||
    fail "$1: the producer failed over HTTPS"
  before=$(connections "$EPS")
  "$CONSUMER" -rq "$name-requests" -dwt "$name-widgets" --endpoint-url "$EPS" -qwt 1 --concurrency 64 \
    --max-empty-polls 2 --log-file "$WORK/$1.log" -q || fail "$1: consumer failed: $(tail -n 3 "$WORK/$1.log")"
  local opened=$(($(connections "$EPS") - before - 1))
  out=$("$VERIFY" -dwt "$name-widgets" --endpoint-url "$EPS" --expected "$WORK/$1.json") || fail "$1: $out"
  expect_contains "$1: the table equals the expected state (HTTPS)" "$out" "OK: "
  expect_eq "$1: the queue is empty" "$(queue_depth "$(mk_queue "$name-requests")")" 0
  expect_eq "$1: every request applied once" "$(grep -c 'outcome=applied' "$WORK/$1.log")" "$N"
  # Keep-alive through TLS: each of the 64 concurrent lanes reuses its connection.
  # At most one connection per call in flight: 64 store calls and a few of the source.
  [ "$opened" -le 128 ] || fail "$1: $opened TLS connections for $N requests (keep-alive lost?)"
  ok "$1: $opened TLS connections for $N requests (keep-alive)"
  expect_eq "$1: the consumer counts the connections the proxy accepted" \
    "$(grep -o '[0-9]* connections opened' "$WORK/$1.log")" "$opened connections opened"
}
with_env_bundle() {
  AWS_CA_BUNDLE=$CA path_sqs_dynamodb env-sqs-dynamodb
  # One S3 path: S3 source -> S3 store.
  local name=$RUN-s3
  export AWS_CA_BUNDLE=$CA
  mk_bucket "$name-requests"
  mk_bucket "$name-widgets"
  "$PRODUCER" -rb "$name-requests" --endpoint-url "$EPS" -mwr 100 --seed 7 --expected "$WORK/s3.json" -q ||
    fail "s3: the producer failed over HTTPS"
  "$CONSUMER" -rb "$name-requests" -wb "$name-widgets" --endpoint-url "$EPS" --max-empty-polls 2 \
    --log-file "$WORK/s3.log" -q || fail "s3: consumer failed: $(tail -n 3 "$WORK/s3.log")"
  out=$("$VERIFY" -wb "$name-widgets" --endpoint-url "$EPS" --expected "$WORK/s3.json") || fail "s3: $out"
  expect_contains "s3 -> s3: the bucket equals the expected state (HTTPS)" "$out" "OK: "
  expect_eq "s3 -> s3: the request bucket is empty" "$(bucket_count "$name-requests")" 0
}
with_profile_bundle() {
  unset AWS_CA_BUNDLE
  printf '[default]\nca_bundle = %s\n' "$CA" > "$WORK/config"
  export AWS_CONFIG_FILE=$WORK/config
  path_sqs_dynamodb profile-sqs-dynamodb
}
part "HTTPS with AWS_CA_BUNDLE" with_env_bundle
part "HTTPS with the profile's ca_bundle" with_profile_bundle

# --- 2. refused at start-up
# refused WHAT URL REASON ENV...: a consumer with that environment is refused at start-up: exit 1
# within 5 s, one connection (no retry), the error names the endpoint and REASON.
refused() {
  local what=$1 url=$2 reason=$3 before t0 rc=0 log=$WORK/refused-$RANDOM.log
  shift 3
  before=$(connections "$url")
  t0=$(date +%s%N)
  env "$@" "$CONSUMER" -rq "$RUN-env-sqs-dynamodb-requests" -dwt "$RUN-env-sqs-dynamodb-widgets" \
    --endpoint-url "$url" -qwt 1 --max-empty-polls 1 --log-file "$log" -q 2>"$log.stderr" || rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  expect_eq "$what: exit 1" "$rc" 1
  [ "$ms" -lt 5000 ] || fail "$what: took $ms ms to give up"
  ok "$what: refused in $ms ms"
  expect_eq "$what: one connection, no retry" "$(($(connections "$url") - before - 1))" 1
  local line
  line=$(grep ' ERROR ' "$log" | tail -n 1) # the last word, which says the consumer stopped
  expect_contains "$what: the error is TLS's" "$line" "TLSError: TLS verification of $url"
  expect_contains "$what: the error says why" "$line" "$reason"
  expect_contains "$what: the same on stderr" "$(cat "$log.stderr")" "TLS verification of $url"
  expect_eq "$what: nothing started" "$(grep -c 'consumer started' "$log" || true)" 0
}
refusals() {
  refused "a wrong CA" "$EPS" "unable to get local issuer certificate" AWS_CA_BUNDLE="$WORK/pki/other-ca.pem"
  refused "the system's CAs" "$EPS" "unable to get local issuer certificate" -u AWS_CA_BUNDLE
  refused "another host name" "$wronghost_url" "no alternative certificate subject name matches" \
    AWS_CA_BUNDLE="$CA"
  printf '[default]\nca_bundle = %s\n' "$WORK/pki/other-ca.pem" > "$WORK/config-other"
  refused "a wrong CA in the profile" "$EPS" "unable to get local issuer certificate" -u AWS_CA_BUNDLE \
    AWS_CONFIG_FILE="$WORK/config-other"
}
part "refused at start-up" refusals

# --- 3. no way to turn verification off
never_off() {
  local help
  help=$("$CONSUMER" --help)
  expect_eq "no option about verification in --help" "$(grep -ciE 'insecure|verify|no-ssl|ssl' <<<"$help" || true)" 0
  for opt in --no-verify-ssl --insecure -k; do
    rc=0
    "$CONSUMER" "$opt" -rq x -dwt y --endpoint-url "$EPS" >/dev/null 2>&1 || rc=$?
    expect_eq "$opt is not an option (exit 2)" "$rc" 2
  done
  refused "AWS_CA_BUNDLE empty, curl's and OpenSSL's variables set" "$EPS" \
    "unable to get local issuer certificate" AWS_CA_BUNDLE= CURL_CA_BUNDLE="$CA" \
    CURL_SSL_NO_VERIFY=1 CURLOPT_SSL_VERIFYPEER=0 SSL_CERT_DIR="$WORK/pki" \
    SSL_CERT_FILE="$CA" PYTHONHTTPSVERIFY=0 AWS_CLI_NO_VERIFY_SSL=1 AWS_CONFIG_FILE=/dev/null
  # And in the code: verification set on every transfer, never off.
  local src
  src=$(cd "$(dirname "$0")/../.." && pwd)/src
  expect_eq "VERIFYPEER 1 and VERIFYHOST 2, once each" \
    "$(grep -rhoE 'CURLOPT_SSL_VERIFY(PEER|HOST|STATUS)?, *[0-9]L' "$src" | sort | paste -sd' ')" \
    "CURLOPT_SSL_VERIFYHOST, 2L CURLOPT_SSL_VERIFYPEER, 1L"
  expect_eq "no other TLS relaxation in the code" \
    "$(grep -rhoE 'CURLOPT_(PROXY_)?SSL_VERIFY[A-Z]*|CURLSSLOPT_[A-Z_]*|CURLOPT_SSL_OPTIONS' "$src" | sort -u | paste -sd' ')" \
    "CURLOPT_SSL_VERIFYHOST CURLOPT_SSL_VERIFYPEER"
}
part "verification is never off" never_off

# --- 4. mid-run: the certificate becomes one for another host name, then the right one again
mid_run() {
  local name=$RUN-mid port=${EPS##*:}
  export AWS_CA_BUNDLE=$CA
  https_proxy mid server
  local url=$mid_url
  mk_queue "$name-requests" >/dev/null
  mk_queue "$name-dead" >/dev/null
  mk_table "$name-widgets"
  "$CONSUMER" -rq "$name-requests" -dwt "$name-widgets" --dead-letter-queue "$name-dead" --endpoint-url "$url" \
    -qwt 1 --concurrency 16 --max-empty-polls 0 --max-outage 60000 --metrics-addr 127.0.0.1:0 \
    --log-file "$WORK/mid.log" -q &
  local pid=$!
  # A part runs in a subshell, whose exit does not run lib.sh's cleanup: its own.
  trap 'kill -9 '"$pid"' $(cat "$WORK/mid.pid") 2>/dev/null || true' EXIT
  wait_until 10 "the consumer started" grep -q 'consumer started' "$WORK/mid.log"
  # The certificate changes: the same port, a new proxy (new connections, so new handshakes).
  kill -9 "$(cat "$WORK/mid.pid")"
  wait "$(cat "$WORK/mid.pid")" 2>/dev/null || true
  https_proxy mid other-host "${url##*:}"
  "$PRODUCER" -rq "$name-requests" --endpoint-url "$EPS" -mwr 100 --seed 9 --expected "$WORK/mid.json" -q
  wait_until 10 "the refusal logged" grep -q 'TLS verification of' "$WORK/mid.log"
  local line
  line=$(grep -m1 'TLSError' "$WORK/mid.log" || true)
  expect_contains "mid-run: the refusal is reported" "$line" " ERROR "
  expect_contains "mid-run: naming the endpoint" "$line" "TLSError: TLS verification of $url"
  expect_contains "mid-run: with the reason" "$line" "no alternative certificate subject name matches"
  expect_contains "mid-run: the requests stay" "$(grep -m1 'is failing' "$WORK/mid.log")" "requests stay in the source"
  expect_eq "mid-run: said once, not per call" "$(grep -cE ' ERROR [a-z0-9]+ [A-Za-z]+: TLSError' "$WORK/mid.log")" 1
  sleep 2 # the wrong certificate's time: calls go on being refused, said once
  local refusals
  refusals=$(curl -s "http://127.0.0.1:$(metrics_port "$WORK/mid.log")/metrics" |
    awk '$1 == "widget_consumer_tls_refusals_total" { print $2 }')
  expect_eq "mid-run: /metrics counts the refusals ($refusals)" "$([ "${refusals:-0}" -ge 1 ] && echo counted)" counted
  kill -9 "$(cat "$WORK/mid.pid")"
  wait "$(cat "$WORK/mid.pid")" 2>/dev/null || true
  https_proxy mid server "${url##*:}"
  # Done when the queue is empty: a message is deleted once its request is concluded.
  local q
  q=$(mk_queue "$name-requests")
  wait_until 60 "the queue empty" output_is -eq 0 queue_depth "$q"
  kill -TERM "$pid"
  wait "$pid" || fail "mid-run: the consumer failed: $(tail -n 3 "$WORK/mid.log")"
  out=$("$VERIFY" -dwt "$name-widgets" --endpoint-url "$EPS" --expected "$WORK/mid.json") || fail "mid-run: $out"
  expect_contains "mid-run: the table equals the expected state" "$out" "OK: "
  expect_eq "mid-run: the queue is empty" "$(queue_depth "$(mk_queue "$name-requests")")" 0
  expect_eq "mid-run: no dead letter" "$(queue_depth "$(mk_queue "$name-dead")")" 0
  expect_eq "mid-run: no failed outcome" "$(grep -c 'outcome=failed' "$WORK/mid.log" || true)" 0
  expect_contains "mid-run: the last words count the refusals" "$(cat "$WORK/mid.log")" "refused by TLS verification"
}
part "mid-run certificate change" mid_run

parts_done
echo "$checks passed, 0 failed"
