#!/usr/bin/env bash
# The main job end to end on local stand-ins for AWS (no AWS account needed):
#   widget-producer -> two widget-consumers at once -> widget-verify, then a summary.
# Usage: scripts/demo.sh [sqs|s3|dir] [dynamodb|s3|dir] [REQUESTS]
#   default: sqs dynamodb 1000. Every AWS call goes through the signature-checking proxy.
#   On a queue the producer sends 10 requests per SendMessageBatch call (WC_DEMO_BATCH=N: N per
#   call, 1: one SendMessage each).
# Leaves logs and the expected state in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-sqs} DST=${2:-dynamodb} N=${3:-1000}
bash scripts/deps.sh
bash scripts/build.sh build
OUT=$PWD/demo-out
rm -rf "$OUT" && mkdir -p "$OUT"
aws_args=() produce=()
if [ "$SRC" != dir ] || [ "$DST" != dir ]; then
  bash tests/standins/standins.sh start "$OUT/standins"
  trap 'bash tests/standins/standins.sh stop "$OUT/standins"' EXIT
  source "$OUT/standins/env"
  aws_args=(--endpoint-url "$WC_ENDPOINT")
  awscli() { aws --endpoint-url "$WC_ENDPOINT" --output json "$@" >/dev/null; }
fi
case $SRC in
  # A FIFO queue: the producer groups messages by widgetId, so the two consumers apply each
  # widget's requests in order and the result is exact (a standard queue may swap two updates).
  sqs) awscli sqs create-queue --queue-name demo-requests.fifo --attributes FifoQueue=true
       awscli sqs create-queue --queue-name demo-dead-letters
       src=(-rq demo-requests.fifo -qwt 1 --dead-letter-queue demo-dead-letters)
       produce=(--batch "${WC_DEMO_BATCH:-10}") ;;
  s3)  awscli s3api create-bucket --bucket demo-requests; src=(-rb demo-requests) ;;
  dir) src=(--request-dir "$OUT/requests") ;;
  *) echo "source is sqs, s3 or dir" >&2; exit 2 ;;
esac
case $DST in
  dynamodb) awscli dynamodb create-table --table-name demo-widgets --billing-mode PAY_PER_REQUEST \
              --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH
            # ACTIVE before use (dynalite creates it on a timer; the aws CLI's waiter polls every 20 s)
            for _ in $(seq 300); do
              [ "$(aws --endpoint-url "$WC_ENDPOINT" dynamodb describe-table --table-name demo-widgets \
                   --query Table.TableStatus --output text)" = ACTIVE ] && break
              sleep 0.1
            done
            dst=(-dwt demo-widgets) ;;
  s3)  awscli s3api create-bucket --bucket demo-widgets; dst=(-wb demo-widgets) ;;
  dir) dst=(--widget-dir "$OUT/widgets") ;;
  *) echo "store is dynamodb, s3 or dir" >&2; exit 2 ;;
esac

echo "== producing $N requests ($SRC)"
build/widget-producer "${src[@]:0:2}" "${aws_args[@]}" "${produce[@]}" -mwr "$N" --expected "$OUT/expected.json"
# Two consumers: on a FIFO queue as they are; on a bucket or a directory each takes its shard of
# the widgets (--shard K/2), which keeps every widget's requests in order.
consumers=2
echo "== $consumers consumers at once: $SRC -> $DST"
start=$(date +%s%N)
for i in $(seq $consumers); do
  shard=()
  [ "$SRC" != sqs ] && shard=(--shard "$((i - 1))/$consumers")
  build/widget-consumer "${src[@]}" "${dst[@]}" "${aws_args[@]}" "${shard[@]}" --max-empty-polls 3 \
    --log-file "$OUT/consumer-$i.log" -q &
  pids[$i]=$!
done
for i in $(seq $consumers); do wait "${pids[$i]}"; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
for i in $(seq $consumers); do tail -n 1 "$OUT/consumer-$i.log" | sed "s/^[^ ]* [A-Z]* */  consumer $i: /"; done
echo "== verifying the widget store against the expected state"
build/widget-verify "${dst[@]}" "${aws_args[@]}" --expected "$OUT/expected.json"
checked=""
[ ${#aws_args[@]} -gt 0 ] && checked="; signatures checked by botocore: $(curl -s "$WC_ENDPOINT/__proxy_stats")"
echo "== summary: $N requests, $SRC -> $DST, $consumers consumers, $ms ms in all (including the empty polls at the end)$checked"
