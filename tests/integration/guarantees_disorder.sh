#!/usr/bin/env bash
# Guarantees: a standard queue, the producer delivering out of order within windows of 300 (as a
# distributed queue does): updates and deletes arrive before their creates. Every create and
# delete takes effect (the set of widgets is the expected set), no request is lost (each is
# applied or dead-lettered with its reason), the updates the disorder swapped are counted, and
# every other widget's data is exactly as expected.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=2000
url=$(mk_queue "$RUN-q")
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-t"
out=$("$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr $N --seed 7 --disorder 300 \
  --swapped "$WORK/swapped" --expected "$WORK/expected.json")
swapped=$(echo "$out" | grep -o '[0-9]* updates swapped' | cut -d' ' -f1)
"$CONSUMER" -rq "$RUN-q" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" -qwt 1 \
  --concurrency 8 --max-empty-polls 3 --retry-delay 100 --max-attempts 6 --log-file "$WORK/c.log" -q ||
  fail "consumer failed"
applied=$(grep -c outcome=applied "$WORK/c.log")
deferred=$(grep -c outcome=deferred "$WORK/c.log")
dead=$(queue_depth "$dlq")
[ "$deferred" -gt 0 ] || fail "the disorder should have made some requests wait for their widget"
ok "requests arriving before their widget were deferred ($deferred times), not lost"
expect_eq "every request applied or dead-lettered" $((applied + dead)) $N
expect_eq "the queue is empty" "$(queue_depth "$url")" 0
out=$("$VERIFY" -dwt "$RUN-t" --endpoint-url "$EP" --expected "$WORK/expected.json" \
  --ignore-data-of "$WORK/swapped") || fail "$out"
expect_contains "the widgets are the expected ones, and all but the swapped match exactly" "$out" "OK: "
echo "figures: disorder window 300, $N requests: $applied applied, $deferred deferrals, $dead dead-lettered (updates whose widget was deleted first), $swapped updates swapped by the disorder"
echo "$checks passed, 0 failed"
