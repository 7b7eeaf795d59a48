#!/usr/bin/env bash
# Benchmark: what TLS costs. The same SQS -> DynamoDB stream (REQUESTS, default 10000, seed 1) at
# --concurrency 64, once over plain HTTP and once over HTTPS, both through the tests'
# signature-checking proxy (tests/standins/sigv4_proxy.py; with --tls-cert it serves HTTPS with a
# private CA made here with openssl, RSA 2048 as AWS's), so the two differ only by TLS. Prints per
# run the requests per second, the consumer's CPU seconds per 1,000 requests, and the connections
# opened for the whole stream (the proxy's accept count, and the consumer's own
# CURLINFO_NUM_CONNECTS sum: with keep-alive a pool's worth, not a number per request); checks
# each result with widget-verify. About 3 minutes on 2 cores. Usage: bench/tls.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
C=64
bash scripts/deps.sh
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
base=/dev/shm
[ -d "$base" ] || base=/tmp
W=$(mktemp -d "$base/wc-bench-tls-XXXXXX")
PROXY_PID=
trap '[ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null; bash tests/standins/standins.sh stop "$W/standins"; rm -rf "$W"' EXIT
bash tests/standins/standins.sh start "$W/standins" >/dev/null
source "$W/standins/env"

# The private CA and the server's certificate (127.0.0.1).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$W/server.key" -out "$W/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$W/server.ext"
openssl x509 -req -in "$W/server.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -out "$W/server.pem" \
  -days 1 -extfile "$W/server.ext" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
python3 tests/standins/sigv4_proxy.py --port "$port" --fauxqs "${WC_FAUXQS#http://}" --dynamodb "${WC_DYNALITE#http://}" \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" --tls-cert "$W/server.pem" \
  --tls-key "$W/server.key" 2>"$W/tls-proxy.log" &
PROXY_PID=$!
for _ in $(seq 100); do curl -sf --cacert "$W/ca.pem" "https://127.0.0.1:$port/__proxy_stats" >/dev/null && break; sleep 0.1; done
export AWS_CA_BUNDLE=$W/ca.pem
connections() { curl -s --cacert "$W/ca.pem" "$1/__proxy_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'; }

IDLE=2.2 # two empty long polls of 1 s (and a 100 ms wait), not work
echo "benchmark: $N requests, SQS -> DynamoDB through the signature-checking proxy, --concurrency $C, $(nproc) cores"
for mode in http https; do
  ep=$WC_ENDPOINT
  [ "$mode" = https ] && ep=https://127.0.0.1:$port
  aws --endpoint-url "$WC_ENDPOINT" sqs create-queue --queue-name "bench-$mode" >/dev/null
  aws --endpoint-url "$WC_ENDPOINT" dynamodb create-table --table-name "bench-$mode" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
  build/widget-producer -rq "bench-$mode" --endpoint-url "$ep" -mwr "$N" --seed 1 --expected "$W/expected.json" -q
  before=$(connections "$ep")
  /usr/bin/time -f "%e %U %S %M" -o "$W/time.$mode" build/widget-consumer -rq "bench-$mode" -dwt "bench-$mode" \
    --endpoint-url "$ep" -qwt 1 --max-empty-polls 2 --concurrency "$C" --log-file "$W/$mode.log" -q
  opened=$(($(connections "$ep") - before - 1)) # less the second question's own
  own=$(grep -o '[0-9]* connections opened' "$W/$mode.log" | cut -d' ' -f1)
  read -r wall user sys rss < "$W/time.$mode"
  awk -v m="$mode" -v n="$N" -v idle="$IDLE" -v w="$wall" -v u="$user" -v s="$sys" -v rss="$rss" -v o="$opened" -v own="$own" 'BEGIN {
    work = w - idle; if (work <= 0) work = 0.001
    printf "%-6s %7.0f requests/s %6.3f CPU s per 1,000 requests %6.1f MiB peak RSS  %d connections opened for %d requests (consumer: %d)\n",
      m, n / work, (u + s) * 1000 / n, rss / 1024, o, n, own }'
  build/widget-verify -dwt "bench-$mode" --endpoint-url "$ep" --expected "$W/expected.json" | sed "s/^/verify $mode: /" | head -n 1
done
