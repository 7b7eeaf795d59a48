#!/usr/bin/env bash
# Soak: does the consumer's memory grow with the number of requests? Two long runs, the
# consumer's resident set (VmRSS of /proc/PID/status) sampled every SOAK_INTERVAL seconds (1):
#   1. SOAK_DIR_REQUESTS (100,000) requests through the directory path (on tmpfs, as bench/run.sh);
#   2. SOAK_SQS_REQUESTS (20,000) through SQS -> DynamoDB on stand-ins of its own, called
#      directly (no signature-checking proxy), --concurrency 8.
# Prints for each: the samples, the peak (the kernel's VmHWM), the RSS at the first sample after
# 10% of the requests were handled and at the last sample, and the growth between the two; and
# checks the result with widget-verify. Exits 1 when a run is not exact or the resident set grew
# by more than SOAK_MAX_GROWTH_KB (1024 KiB) from 10% to the end.
#   bench/soak.sh        (after scripts/build.sh; about 40 s on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build}
DIR_N=${SOAK_DIR_REQUESTS:-100000}
SQS_N=${SOAK_SQS_REQUESTS:-20000}
INTERVAL=${SOAK_INTERVAL:-1}
MAX_GROWTH=${SOAK_MAX_GROWTH_KB:-1024}
W=$(mktemp -d "${BENCH_DIR:-/dev/shm}/wc-soak-XXXXXX")
trap 'bash tests/standins/standins.sh stop "$W/standins" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
status=0

# watch NAME N PID LOG: samples PID until it exits; prints the figures.
watch() {
  local name=$1 n=$2 pid=$3 log=$4 t=0 rss hwm handled at10="" last="" peak=0
  : > "$W/$name.samples"
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    [ -n "$rss" ] || break
    handled=$(grep -c 'outcome=' "$log" 2>/dev/null) || handled=0
    echo "$t $handled $rss" >> "$W/$name.samples"
    [ -z "$at10" ] && [ "$handled" -ge $((n / 10)) ] && at10="$rss@$handled"
    last="$rss@$handled"
    [ "$hwm" -gt "$peak" ] && peak=$hwm
    sleep "$INTERVAL"
    t=$((t + INTERVAL))
  done
  wait "$pid" || { echo "$name: the consumer failed: $(tail -n 2 "$log")"; status=1; }
  echo "$name: samples (seconds, requests handled, VmRSS KiB):"
  awk '{ printf "  %4d s %7d %7d\n", $1, $2, $3 }' "$W/$name.samples"
  local r10=${at10%@*} rend=${last%@*}
  if [ -z "$at10" ]; then
    echo "$name: no sample after 10% of the requests (too fast for the interval)"
    return
  fi
  local growth=$((rend - r10))
  printf 'figures: %s: %d requests, peak RSS %.1f MiB, RSS %.1f MiB after 10%% (%s handled), %.1f MiB at the end (%s handled): growth %+d KiB\n' \
    "$name" "$n" "$(echo "$peak / 1024" | bc -l)" "$(echo "$r10 / 1024" | bc -l)" "${at10#*@}" \
    "$(echo "$rend / 1024" | bc -l)" "${last#*@}" "$growth"
  if [ "$growth" -gt "$MAX_GROWTH" ]; then
    echo "$name: the resident set grew by $growth KiB (more than $MAX_GROWTH)"
    status=1
  fi
}

# 1. The directory path.
"$BIN/widget-producer" --request-dir "$W/requests" -mwr "$DIR_N" --seed 90 --expected "$W/dir.json" -q
"$BIN/widget-consumer" --request-dir "$W/requests" --widget-dir "$W/widgets" --max-empty-polls 2 \
  --log-file "$W/dir.log" -q &
watch "directory" "$DIR_N" $! "$W/dir.log"
"$BIN/widget-verify" --widget-dir "$W/widgets" --expected "$W/dir.json" || status=1
rm -rf "$W/requests" "$W/widgets" "$W/dir.log"

# 2. SQS -> DynamoDB on stand-ins of its own.
bash tests/standins/standins.sh start "$W/standins" >/dev/null
source "$W/standins/env"
export AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE
aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name soak >/dev/null
aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name soak \
  --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST >/dev/null
"$BIN/widget-producer" -rq soak -mwr "$SQS_N" --seed 91 --expected "$W/sqs.json" -q
"$BIN/widget-consumer" -rq soak -dwt soak -qwt 1 --max-empty-polls 2 --concurrency 8 \
  --log-file "$W/sqs.log" -q &
watch "sqs-dynamodb" "$SQS_N" $! "$W/sqs.log"
"$BIN/widget-verify" -dwt soak --expected "$W/sqs.json" || status=1
exit $status
