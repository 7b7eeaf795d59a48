#!/usr/bin/env bash
# Outages of one stand-in, on a set of stand-ins private to this test (its own ports, started
# with WC_STANDINS_OUTAGES=1: dynalite keeps its tables on disk, fauxqs sits behind a TCP gate;
# see standins.sh), so that the shared stand-ins of the other tests are not disturbed. The
# consumer talks to the stand-ins directly (AWS_ENDPOINT_URL_SQS/_DYNAMODB), so a stand-in down
# is a refused connection, as a service out of reach is. SQS -> DynamoDB, one consumer,
# WC_OUTAGE_REQUESTS (3,000) requests, the stand-in stopped after the first 300 are applied:
#   1. dynalite stopped for 10 s and started again on its port: the consumer says "store is
#      failing", then "store works again after", exits 0; the table exact, the queue empty,
#      nothing dead-lettered, nothing lost (every request applied, superseded or already applied:
#      a write dynalite made just before it died, whose answer was lost, comes back as
#      already applied);
#   2. fauxqs (SQS) out of reach for 10 s: the same with "source is failing" / "source works
#      again after";
#   3. dynalite killed for good: "store is failing", exit 1 after --max-outage 5 s with "store
#      failing for", nothing dead-lettered, every request not applied still in the queue; then
#      dynalite back and a second consumer (run again until the requests hidden for their
#      backoff came back): the table exact;
#   4. fauxqs out of reach for good: "source still failing", exit 1 after --max-outage with
#      "source failing for"; fauxqs back: nothing was lost (the queue holds every request not
#      applied and deleted), and a second consumer ends exact.
source "$(dirname "$0")/lib.sh"
STANDINS=$(cd "$(dirname "$0")/../standins" && pwd)
N=${WC_OUTAGE_REQUESTS:-3000}
SI=$WORK/standins
WC_STANDINS_OUTAGES=1 bash "$STANDINS/standins.sh" start "$SI" >/dev/null
trap 'bash "$STANDINS/standins.sh" stop "$SI"; cleanup' EXIT
source "$SI/env"
export AWS_ENDPOINT_URL_SQS=$WC_FAUXQS AWS_ENDPOINT_URL_S3=$WC_FAUXQS AWS_ENDPOINT_URL_DYNAMODB=$WC_DYNALITE
EP=$WC_ENDPOINT # the proxy, for the test's own calls (the aws CLI)
awscli() { aws --endpoint-url "$EP" --output json "$@"; }
queue_depth() {
  awscli sqs get-queue-attributes --queue-url "$1" \
    --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
    --query 'Attributes.[ApproximateNumberOfMessages,ApproximateNumberOfMessagesNotVisible]' --output text |
    awk '{ print $1 + $2 }'
}
applied() { count_in outcome=applied "$1"; }
# setup NAME: a queue with N requests, an empty table; the queue URL in $url
setup() {
  url=$(awscli sqs create-queue --queue-name "out-$1" --query QueueUrl --output text)
  awscli dynamodb create-table --table-name "out-$1" --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
  table_active "out-$1"
  "$PRODUCER" -rq "out-$1" -mwr "$N" --seed $((70 + ${#1})) --expected "$WORK/$1.json" \
    --request-log "$WORK/$1.requests" -q
}
# consume NAME LOG ARGS...: a consumer in the background, its PID in $pid
consume() {
  local name=$1 log=$2
  shift 2
  "$CONSUMER" -rq "out-$name" -dwt "out-$name" -qwt 1 -qvt 2 --log-file "$log" -q "$@" &
  pid=$!
  PIDS+=($pid)
}
wait_applied() { wait_until 30 "more than $2 requests applied in $1" output_is -gt "$2" applied "$1"; }
# nothing_lost NAME LOG...: every request applied, superseded or already applied
nothing_lost() {
  local name=$1 out
  shift
  out=$(python3 "$(dirname "$0")/nothing_lost.py" "$EP" "$WORK/$name.requests" none "$@") || fail "$name: $out"
  ok "$name: nothing lost ($out)"
}
exact() {
  local out
  out=$("$VERIFY" -dwt "out-$1" --expected "$WORK/$1.json") || fail "$1: $out"
  expect_contains "$1: the table is exactly the expected state" "$out" "OK: "
}

# 1 and 2: down for 10 s, then back.
for svc in ${WC_OUTAGE_10S-dynalite fauxqs}; do
  case $svc in dynalite) what=store ;; fauxqs) what=source ;; esac
  setup "$svc-10s"
  consume "$svc-10s" "$WORK/$svc-10s.log" --max-empty-polls 3
  wait_applied "$WORK/$svc-10s.log" 300
  bash "$STANDINS/standins.sh" stop-one "$SI" "$svc"
  before=$(applied "$WORK/$svc-10s.log")
  sleep 10
  during=$(( $(applied "$WORK/$svc-10s.log") - before ))
  bash "$STANDINS/standins.sh" start-one "$SI" "$svc"
  set +e; wait $pid; rc=$?; set -e
  log=$(cat "$WORK/$svc-10s.log")
  expect_eq "$svc down 10 s: the consumer kept going (exit 0)" "$rc" 0
  expect_contains "$svc down 10 s: reported" "$log" "$what is failing: "
  expect_contains "$svc down 10 s: recovery reported" "$log" "$what works again after"
  expect_eq "$svc down 10 s: nothing dead-lettered" "$(grep -c 'outcome=dead-lettered\|outcome=warning' <<<"$log" || true)" 0
  nothing_lost "$svc-10s" "$WORK/$svc-10s.log"
  expect_eq "$svc down 10 s: the queue is empty" "$(queue_depth "$url")" 0
  exact "$svc-10s"
  echo "figures: $svc down 10 s: $before applied before, $during during, $(applied "$WORK/$svc-10s.log") in all;" \
    "$(grep -o "$what works again after [0-9.]* s" <<<"$log" | tail -n 1);" \
    "$(grep -c 'outcome=failed' <<<"$log" || true) failed attempts; $(grep -o 'aws calls: .*' <<<"$log")"
done

# 3 and 4: down for good.
for svc in ${WC_OUTAGE_GONE-dynalite fauxqs}; do
  case $svc in dynalite) what=store ;; fauxqs) what=source ;; esac
  setup "$svc-gone"
  consume "$svc-gone" "$WORK/$svc-gone.log" --max-empty-polls 0 --max-outage 5000
  wait_applied "$WORK/$svc-gone.log" 300
  t0=$(date +%s%N)
  bash "$STANDINS/standins.sh" stop-one "$SI" "$svc"
  set +e; wait $pid; rc=$?; set -e
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  log=$(cat "$WORK/$svc-gone.log")
  done_before=$(applied "$WORK/$svc-gone.log")
  expect_eq "$svc gone: exit 1" "$rc" 1
  expect_contains "$svc gone: reported at once" "$log" "$what is failing: "
  [ "$svc" = fauxqs ] && expect_contains "$svc gone: reported again while it lasts" "$log" "source still failing"
  expect_contains "$svc gone: a clear last line" "$(tail -n 2 <<<"$log")" "consumer stopped: $what failing for"
  [ $ms -ge 5000 ] && [ $ms -lt 20000 ] || fail "$svc gone: stopped after $ms ms (--max-outage 5000)"
  ok "$svc gone: stopped after $ms ms (--max-outage 5000)"
  expect_eq "$svc gone: nothing dead-lettered" "$(grep -c 'outcome=dead-lettered\|outcome=warning' <<<"$log" || true)" 0
  [ "$svc" = fauxqs ] && bash "$STANDINS/standins.sh" start-one "$SI" "$svc"
  # (the count settles once the calls the consumer left when it stopped are answered)
  if [ "$svc" = dynalite ]; then
    wait_until 30 "every request not applied ($((N - done_before))) in the queue" \
      output_is -eq $((N - done_before)) queue_depth "$url"
    depth=$seen
    ok "$svc gone: every request not applied is still in the queue"
    bash "$STANDINS/standins.sh" start-one "$SI" "$svc"
  else
    # Requests applied while SQS was out of reach could not be deleted: they are still there too.
    wait_until 30 "every request not applied ($((N - done_before))) in the queue" \
      output_is -ge $((N - done_before)) queue_depth "$url"
    depth=$seen
    ok "$svc gone: every request not applied is still in the queue ($depth for $((N - done_before)) not applied)"
  fi
  # A request that failed in the outage stays hidden for the backoff it had (up to 30 s; 25.6 s
  # seen) after the consumer stopped; the next consumer's updates of its widget wait for it with
  # the default --max-attempts: a missing widget is waited for 40 s at least before the warning
  # (with 8 quick misses, about 9 s, this gave a false warning and a wrong final state). Consumers
  # run until the queue is empty.
  for _ in $(seq 15); do
    "$CONSUMER" -rq "out-$svc-gone" -dwt "out-$svc-gone" -qwt 1 --max-empty-polls 3 \
      --log-file "$WORK/$svc-gone-2.log" -q || fail "$svc gone: the second consumer failed"
    [ "$(queue_depth "$url")" = 0 ] && break
  done
  expect_eq "$svc gone: no warning after it came back" "$(grep -c 'outcome=warning' "$WORK/$svc-gone-2.log" || true)" 0
  expect_eq "$svc gone: after a second consumer the queue is empty" "$(queue_depth "$url")" 0
  nothing_lost "$svc-gone" "$WORK/$svc-gone.log" "$WORK/$svc-gone-2.log"
  exact "$svc-gone"
  echo "figures: $svc gone: $done_before applied before, exit 1 after $ms ms, $depth left in the queue;" \
    "the second consumer: $(applied "$WORK/$svc-gone-2.log") applied," \
    "$(grep -c 'outcome=already-applied' "$WORK/$svc-gone-2.log" || true) already applied"
done
echo "$checks passed, 0 failed"
