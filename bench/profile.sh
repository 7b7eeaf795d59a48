#!/usr/bin/env bash
# Profile one consumer run on the local stand-ins (called directly), -c 64:
#   bench/profile.sh PATH N MODE [consumer options...]
# PATH: sqs-ddb (standard queue, no sequence attribute -> DynamoDB), sqs-s3 (FIFO queue -> S3
# bucket) or s3-s3. MODE: time (CPU s per 1,000 requests and peak RSS, /usr/bin/time), perf
# (perf record --call-graph dwarf; read it with perf report --no-children), ir (instructions per
# request, callgrind: steady on busy cores), massif (the heap at its peak), pmap (pmap -x at the
# highest VmRSS). The run's files stay in the folder printed at the end. BIN=build by default;
# WC_STANDINS_DIR: stand-ins already started (standins.sh start DIR), else started and stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
P=$1 N=$2 MODE=$3
shift 3
BIN=${BIN:-build}
W=$(mktemp -d "${BENCH_DIR:-/dev/shm}/wc-profile-XXXXXX")
if [ -n "${WC_STANDINS_DIR:-}" ]; then
  SD=$WC_STANDINS_DIR
else
  SD=$W/standins
  trap 'bash tests/standins/standins.sh stop "$SD"' EXIT
  bash tests/standins/standins.sh start "$SD" >/dev/null
fi
source "$SD/env"
name=p$RANDOM$RANDOM
case $P in
  sqs-ddb)
    aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name" >/dev/null
    aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$name" --billing-mode PAY_PER_REQUEST \
      --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
    "$BIN/widget-producer" -rq "$name" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 4 --no-sequence \
      --expected "$W/expected.json" -q 2>/dev/null
    from=(-rq "$name" -qwt 1); to=(-dwt "$name") ;;
  sqs-s3)
    aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name.fifo" --attributes FifoQueue=true >/dev/null
    aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-w" >/dev/null
    "$BIN/widget-producer" -rq "$name.fifo" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 4 \
      --expected "$W/expected.json" -q 2>/dev/null
    from=(-rq "$name.fifo" -qwt 1); to=(-wb "$name-w") ;;
  s3-s3)
    aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-r" >/dev/null
    aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-w" >/dev/null
    "$BIN/widget-producer" -rb "$name-r" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 4 \
      --expected "$W/expected.json" -q 2>/dev/null
    from=(-rb "$name-r"); to=(-wb "$name-w") ;;
  *) echo "profile: no path $P (sqs-ddb, sqs-s3, s3-s3)" >&2; exit 2 ;;
esac
export AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE
cmd=("$BIN/widget-consumer" "${from[@]}" "${to[@]}" -c 64 --max-empty-polls 1 --log-file "$W/log" -q "$@")
case $MODE in
  time)
    /usr/bin/time -f "%e %U %S %M" -o "$W/time" "${cmd[@]}" 2>/dev/null
    read -r _ u s rss < "$W/time"
    awk -v n="$N" -v u="$u" -v s="$s" -v m="$rss" -v p="$P" 'BEGIN {
      printf "%s, %d requests: %.3f CPU s per 1,000 (user %.3f, sys %.3f), peak RSS %.1f MiB\n",
        p, n, (u + s) / n * 1000, u / n * 1000, s / n * 1000, m / 1024 }' ;;
  perf)
    perf record -F 4000 --call-graph dwarf,16384 -o "$W/perf.data" -- "${cmd[@]}" >/dev/null 2>&1
    perf report -i "$W/perf.data" --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -8 ;;
  ir)
    valgrind --tool=callgrind --callgrind-out-file="$W/callgrind.out" "${cmd[@]}" 2>"$W/valgrind.err"
    ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$W/valgrind.err")
    awk -v n="$N" -v i="$ir" -v p="$P" 'BEGIN { printf "%s, %d requests: %.0fk instructions per request (start-up included)\n", p, n, i / n / 1000 }' ;;
  massif)
    valgrind --tool=massif --massif-out-file="$W/massif.out" "${cmd[@]}" 2>"$W/valgrind.err"
    ms_print "$W/massif.out" | sed -n '7,30p' ;;
  pmap)
    "${cmd[@]}" & pid=$! best=0
    while kill -0 "$pid" 2>/dev/null; do
      r=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      if [ "${r:-0}" -gt "$best" ]; then best=$r; pmap -x "$pid" > "$W/pmap" 2>/dev/null || true; fi
      sleep 0.05
    done
    wait "$pid"
    echo "pmap -x at the peak ($best KiB):"; sort -k3 -n -r "$W/pmap" | head -12 ;;
  *) echo "profile: no mode $MODE (time, perf, ir, massif, pmap)" >&2; exit 2 ;;
esac
AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE "$BIN/widget-verify" "${to[@]}" \
  --expected "$W/expected.json" | head -n 1
echo "profile: files in $W"
