#!/usr/bin/env bash
# Guarantees: three consumers at --concurrency 8 on one source give exactly the expected state:
#   a FIFO queue (MessageGroupId = widgetId; the producer sends SendMessageBatch of 10) -> DynamoDB;
#   an S3 request bucket, sharded by widget (--shard K/3) -> S3;
#   a request directory, sharded by widget -> a widget directory;
#   an S3 request bucket shared by the three without --shard -> DynamoDB (each consumer may read
#   the same key: the ledger makes a second application "already applied");
#   a request directory shared without --shard -> a widget directory.
# Every request applied once, the source empty, every signature checked by the proxy.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_GUARANTEE_REQUESTS:-1500}

run_three() { # run_three NAME ARGS... (a consumer's source and store), sharded when SHARD=1
  local name=$1; shift
  for k in 0 1 2; do
    local shard=()
    [ "${SHARD:-0}" = 1 ] && shard=(--shard "$k/3")
    "$CONSUMER" "$@" "${shard[@]}" --concurrency 8 --max-empty-polls 3 --log-file "$WORK/$name-$k.log" -q &
    PIDS+=($!)
  done
  for p in "${PIDS[@]: -3}"; do wait "$p" || fail "$name: a consumer failed"; done
  local applied
  applied=$(cat "$WORK/$name"-?.log | grep -c outcome=applied)
  expect_eq "$name: every request applied once" "$applied" "$N"
  local dups
  dups=$(cat "$WORK/$name"-?.log | grep outcome=applied | grep -o 'requestId=[^ ]*' | sort | uniq -d | wc -l)
  expect_eq "$name: no request applied twice" "$dups" 0
  echo "figures: $name: $(for k in 0 1 2; do grep -c outcome=applied "$WORK/$name-$k.log"; done | paste -sd+) applied"
}

# FIFO queue -> DynamoDB
url=$(mk_queue "$RUN-q.fifo" --attributes FifoQueue=true)
mk_table "$RUN-t"
"$PRODUCER" -rq "$RUN-q.fifo" --endpoint-url "$EP" -mwr "$N" --seed 101 --batch 10 --expected "$WORK/fifo.json" -q
run_three fifo -rq "$RUN-q.fifo" -dwt "$RUN-t" --endpoint-url "$EP" -qwt 1
out=$("$VERIFY" -dwt "$RUN-t" --endpoint-url "$EP" --expected "$WORK/fifo.json") || fail "fifo: $out"
expect_contains "fifo: store equals the expected state exactly" "$out" "OK: "
expect_eq "fifo: queue empty" "$(queue_depth "$url")" 0

# S3 bucket, sharded -> S3
mk_bucket "$RUN-requests"
mk_bucket "$RUN-widgets"
"$PRODUCER" -rb "$RUN-requests" --endpoint-url "$EP" -mwr "$N" --seed 102 --expected "$WORK/s3.json" -q
SHARD=1 run_three s3 -rb "$RUN-requests" -wb "$RUN-widgets" --endpoint-url "$EP"
out=$("$VERIFY" -wb "$RUN-widgets" --endpoint-url "$EP" --expected "$WORK/s3.json") || fail "s3: $out"
expect_contains "s3: store equals the expected state exactly" "$out" "OK: "
expect_eq "s3: request bucket empty" "$(bucket_count "$RUN-requests")" 0

# Directory, sharded -> directory
"$PRODUCER" --request-dir "$WORK/requests" -mwr "$N" --seed 103 --expected "$WORK/dir.json" -q
SHARD=1 run_three dir --request-dir "$WORK/requests" --widget-dir "$WORK/widgets"
out=$("$VERIFY" --widget-dir "$WORK/widgets" --expected "$WORK/dir.json") || fail "dir: $out"
expect_contains "dir: store equals the expected state exactly" "$out" "OK: "
expect_eq "dir: request directory empty" "$(files_in "$WORK/requests")" 0
# S3 bucket, shared without --shard -> DynamoDB
mk_bucket "$RUN-shared"
mk_table "$RUN-shared"
"$PRODUCER" -rb "$RUN-shared" --endpoint-url "$EP" -mwr "$N" --seed 104 --expected "$WORK/shared.json" -q
run_three shared -rb "$RUN-shared" -dwt "$RUN-shared" --endpoint-url "$EP"
out=$("$VERIFY" -dwt "$RUN-shared" --endpoint-url "$EP" --expected "$WORK/shared.json") || fail "shared: $out"
expect_contains "shared bucket: store equals the expected state exactly" "$out" "OK: "
expect_eq "shared bucket: request bucket empty" "$(bucket_count "$RUN-shared")" 0

# Directory, shared without --shard -> directory
"$PRODUCER" --request-dir "$WORK/shared-requests" -mwr "$N" --seed 105 --expected "$WORK/shared-dir.json" -q
run_three shared-dir --request-dir "$WORK/shared-requests" --widget-dir "$WORK/shared-widgets"
out=$("$VERIFY" --widget-dir "$WORK/shared-widgets" --expected "$WORK/shared-dir.json") || fail "shared-dir: $out"
expect_contains "shared directory: store equals the expected state exactly" "$out" "OK: "
expect_eq "shared directory: request directory empty" "$(files_in "$WORK/shared-requests")" 0
echo "$checks passed, 0 failed"
