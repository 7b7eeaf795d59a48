#!/usr/bin/env bash
# Clean shutdown on SQS -> DynamoDB: SIGTERM during a busy run at --concurrency 8 stops receiving,
# finishes what is in flight, deletes what finished, hands back what was not started, and exits 0
# within the bound; a restarted consumer finishes the work: nothing lost, nothing applied twice.
# Then a second signal during a shutdown exits at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=3000
url=$(mk_queue "$RUN-q.fifo" --attributes FifoQueue=true)
mk_table "$RUN-t"
"$PRODUCER" -rq "$RUN-q.fifo" --endpoint-url "$EP" -mwr $N --seed 9 --expected "$WORK/expected.json" -q
"$CONSUMER" -rq "$RUN-q.fifo" -dwt "$RUN-t" --endpoint-url "$EP" -qwt 1 --concurrency 8 \
  --shutdown-timeout 3000 --max-empty-polls 0 --log-file "$WORK/first.log" -q &
pid=$!
PIDS+=($pid)
stop_when_busy $pid "$WORK/first.log" 300 4000 # --shutdown-timeout 3000 + start-up
first=$(grep -c outcome=applied "$WORK/first.log")
[ "$first" -lt $N ] || fail "the first consumer finished everything: the test proves nothing"
"$CONSUMER" -rq "$RUN-q.fifo" -dwt "$RUN-t" --endpoint-url "$EP" -qwt 1 --max-empty-polls 3 \
  --log-file "$WORK/second.log" -q || fail "second consumer failed"
second=$(grep -c outcome=applied "$WORK/second.log")
expect_eq "every request applied exactly once across both runs ($first + $second)" $((first + second)) $N
expect_eq "the queue is empty" "$(queue_depth "$url")" 0
out=$("$VERIFY" -dwt "$RUN-t" --endpoint-url "$EP" --expected "$WORK/expected.json") || fail "$out"
expect_contains "final state" "$out" "OK: "

# A second signal: at once, whatever is in flight.
"$PRODUCER" -rq "$RUN-q.fifo" --endpoint-url "$EP" -mwr 2000 --seed 10 -q
"$CONSUMER" -rq "$RUN-q.fifo" -dwt "$RUN-t" --endpoint-url "$EP" -qwt 1 --shutdown-timeout 60000 \
  --max-empty-polls 0 --log-file "$WORK/third.log" -q &
pid=$!
PIDS+=($pid)
wait_until 30 "the third consumer busy (50 requests applied)" output_is -gt 50 count_in outcome=applied "$WORK/third.log"
kill -TERM $pid; kill -INT $pid
set +e; wait $pid; rc=$?; set -e
# 128 + the signal handled second: SIGINT (130) or SIGTERM (143), in whichever order the kernel
# delivers two pending signals; 0 if the run ended first.
[ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ] || fail "second signal: exit status $rc"
ok "a second signal ends it at once (status $rc)"
echo "figures: shutdown after $first of $N requests in $ms ms; the restart applied the other $second"
echo "$checks passed, 0 failed"
