#!/usr/bin/env bash
# Random faults on every source x store combination: the signature-checking proxy injects, on a
# seeded random schedule (POST $EP/__proxy_chaos, matching this run's names only), 15% faults into
# the consumers' calls: 500, 503, throttling in each service's own format, connection resets
# before the request reaches the service and after it did (the answer lost), answers 1-3 s late.
#   0. the schedule itself (tests/standins/chaos_check.py, with botocore): one schedule a seed,
#      each fault as drawn, in each service's own format, resets before and after forwarding;
#   1. SQS -> DynamoDB (standard queue), SQS -> S3 (FIFO queue), S3 -> S3 (two shards),
#      S3 -> DynamoDB (one bucket shared): WC_FAULT_REQUESTS (1,000) requests each, two consumers.
#      Each: both consumers exit 0, the source is empty, the store exactly the expected state
#      (widget-verify), nothing lost (every request applied, superseded, already applied, or
#      dead-lettered with a reason: none is, no false warning), the retries visible in the log
#      ("aws calls: N sent, M of them retries"), and every kind of fault injected.
# The S3 store's combinations keep one widget to one consumer at a time (FIFO, shards): the S3
# stand-in ignores If-Match, which real S3 honours (see docs/guarantees.md).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
N=${WC_FAULT_REQUESTS:-1000}
RATE=${WC_FAULT_RATE:-0.15}
name=$RUN
chaos_clear() { curl -s -X DELETE "$EP/__proxy_chaos?match=$name" >/dev/null; }
trap 'chaos_clear; cleanup' EXIT

python3 "$HERE/../standins/chaos_check.py" "$EP" "$RUN-check" > "$WORK/chaos_check.out" ||
  fail "the chaos schedule: $(grep -v '^ok' "$WORK/chaos_check.out")"
ok "the chaos schedule: $(tail -n 1 "$WORK/chaos_check.out")"

seed=0
for combo in ${WC_FAULT_COMBOS:-sqs:dynamodb sqs:s3 s3:s3 s3:dynamodb}; do
  src=${combo%%:*} dst=${combo##*:}
  name=$RUN-$src-$dst
  seed=$((seed + 1))
  extra=(); dead_args=(); shard=()
  case $combo in
    sqs:dynamodb) q=$name-requests ;;
    sqs:s3) q=$name-requests.fifo ;;
  esac
  case $src in
    sqs)
      url=$(mk_queue "$q" $([ "${q%.fifo}" != "$q" ] && echo --attributes FifoQueue=true))
      dlq=$(mk_queue "$name-dead") # standard: the consumer's dead letters carry no group
      src_args=(-rq "$q")
      # A received batch whose answer was lost comes back after the visibility timeout: the
      # consumers wait longer than that before they call the queue empty.
      extra=(-qwt 1 -qvt 10 --max-empty-polls 14)
      dead_args=(--dead-letter-queue "$dlq")
      dead=sqs:$dlq
      ;;
    s3)
      mk_bucket "$name-requests"
      mk_bucket "$name-dead"
      src_args=(-rb "$name-requests")
      extra=(--max-empty-polls 5)
      dead_args=(--dead-letter-bucket "$name-dead")
      dead=s3:$name-dead/dead-letter/
      ;;
  esac
  case $dst in
    dynamodb) mk_table "$name-widgets"; dst_args=(-dwt "$name-widgets") ;;
    s3) mk_bucket "$name-widgets"; dst_args=(-wb "$name-widgets") ;;
  esac
  [ "$combo" = s3:s3 ] && shard=(0/2 1/2)
  tp=$(date +%s%N)
  "$PRODUCER" "${src_args[@]}" --endpoint-url "$EP" -mwr "$N" --seed $((60 + seed)) \
    --expected "$WORK/$src-$dst.json" --request-log "$WORK/$src-$dst.requests" -q
  curl -s -X POST --data "{\"seed\": $seed, \"rate\": $RATE, \"match\": \"$name\"}" "$EP/__proxy_chaos" >/dev/null
  t0=$(date +%s%N)
  pids=()
  for k in 0 1; do
    # --max-attempts: an update may wait for its create longer than usual while the create's
    # calls fail and come back late.
    "$CONSUMER" "${src_args[@]}" "${dst_args[@]}" "${dead_args[@]}" "${extra[@]}" \
      ${shard:+--shard ${shard[$k]}} --endpoint-url "$EP" --concurrency 8 --max-attempts 20 \
      --retry-delay 100 --log-file "$WORK/$src-$dst-$k.log" -q &
    pids+=($!)
    PIDS+=($!)
  done
  rcs=0
  for p in "${pids[@]}"; do wait "$p" || rcs=$((rcs + 1)); done
  secs=$(( ($(date +%s%N) - t0) / 1000000 ))
  chaos=$(curl -s "$EP/__proxy_chaos?match=$name")
  chaos_clear
  [ $rcs -eq 0 ] || fail "$combo: $rcs consumers failed: $(tail -n 2 "$WORK/$src-$dst"-?.log)"
  ok "$combo: both consumers exit 0"
  if [ "$src" = sqs ]; then
    expect_eq "$combo: the queue is empty" "$(queue_depth "$url")" 0
  else
    expect_eq "$combo: the request bucket is empty" "$(bucket_count "$name-requests")" 0
  fi
  tv=$(date +%s%N)
  out=$("$VERIFY" "${dst_args[@]}" --endpoint-url "$EP" --expected "$WORK/$src-$dst.json") || fail "$combo: $out"
  expect_contains "$combo: the store is exactly the expected state" "$out" "OK: "
  lost=$(python3 "$HERE/nothing_lost.py" "$EP" "$WORK/$src-$dst.requests" "$dead" "$WORK/$src-$dst"-?.log) ||
    fail "$combo: $lost"
  ok "$combo: nothing lost ($lost)"
  all=$(cat "$WORK/$src-$dst"-?.log)
  expect_eq "$combo: no dead letters, no warnings" \
    "$(grep -c 'outcome=dead-lettered\|outcome=warning' <<<"$all" || true)" 0
  retries=$(sed -n 's/.*aws calls: \([0-9]*\) sent, \([0-9]*\) of them retries.*/\1 \2/p' <<<"$all" |
    awk '{ s += $1; r += $2 } END { print s + 0, r + 0 }')
  [ "${retries#* }" -gt 0 ] || fail "$combo: no retry in the log: the faults did nothing"
  ok "$combo: retries in the log (calls sent, retries: $retries)"
  figures=$(python3 -c '
import json, sys
rule = json.loads(sys.argv[1])[0]
c = rule["counts"]
missing = [k for k, v in c.items() if v == 0]
calls, faults = rule["requests"], sum(c.values())
print(f"{calls} calls drew {faults} faults: " +
      ", ".join(f"{v} {k}" for k, v in c.items()) + (f"; MISSING {missing}" if missing else ""))
sys.exit(1 if missing else 0)' "$chaos") || fail "$combo: $figures"
  ok "$combo: every kind of fault injected"
  echo "figures: $combo: $N requests, 2 consumers, $secs ms (produced in $(( (t0 - tp) / 1000000 )) ms, checked in $(( ($(date +%s%N) - tv) / 1000000 )) ms); $figures; calls sent and retried: $retries;" \
    "$(grep -c 'outcome=applied' <<<"$all") applied, $(grep -c 'outcome=already-applied' <<<"$all") already applied," \
    "$(grep -c 'outcome=superseded' <<<"$all") superseded, $(grep -c 'outcome=deferred' <<<"$all") deferrals," \
    "$(grep -c 'outcome=failed' <<<"$all") failed" | tee -a "$WORK/figures"
done
cat "$WORK/figures"
echo "$checks passed, 0 failed"
