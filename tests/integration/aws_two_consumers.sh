#!/usr/bin/env bash
# Two consumers at once on one SQS queue (SQS -> DynamoDB), 1,000 requests. The queue is FIFO and
# the producer sets MessageGroupId = widgetId, so requests of one widget arrive in order even with
# two consumers, and the final state is exact. Every request ends applied once or in the
# dead-letter queue with its reason: nothing is lost. (On a standard queue two updates of one
# widget held by two consumers at once may swap in --order classic; see docs/guarantees.md.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=1000
url=$(mk_queue "$RUN-requests.fifo" --attributes FifoQueue=true)
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-widgets"
"$PRODUCER" -rq "$RUN-requests.fifo" --endpoint-url "$EP" -mwr $N --seed 7 --expected "$WORK/expected.json" -q
for i in 1 2; do
  "$CONSUMER" -rq "$RUN-requests.fifo" -dwt "$RUN-widgets" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" \
    -qwt 1 --max-empty-polls 3 --retry-delay 200 --log-file "$WORK/c$i.log" -q &
  PIDS+=($!)
done
wait "${PIDS[0]}" || fail "consumer 1 failed"
wait "${PIDS[1]}" || fail "consumer 2 failed"
c1=$(grep -c outcome=applied "$WORK/c1.log")
c2=$(grep -c outcome=applied "$WORK/c2.log")
[ "$c1" -gt 0 ] && [ "$c2" -gt 0 ] || fail "both consumers should have worked ($c1, $c2)"
ok "both consumers took a share ($c1 + $c2)"
dups=$(cat "$WORK/c1.log" "$WORK/c2.log" | grep outcome=applied | grep -o 'requestId=[^ ]*' | sort | uniq -d | wc -l)
expect_eq "no request applied twice" "$dups" 0
dead=$(queue_depth "$dlq")
expect_eq "every request applied or dead-lettered" $((c1 + c2 + dead)) $N
expect_eq "the request queue is empty" "$(queue_depth "$url")" 0
out=$("$VERIFY" -dwt "$RUN-widgets" --endpoint-url "$EP" --expected "$WORK/expected.json") || fail "$out"
expect_contains "store equals the expected state" "$out" "OK: "
echo "figures: two consumers, $N requests: $c1 + $c2 applied, $dead dead-lettered"
echo "$checks passed, 0 failed"
