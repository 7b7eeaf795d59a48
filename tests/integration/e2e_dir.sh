#!/usr/bin/env bash
# End to end on directories: 1,000 produced requests, two consumers at once, then the verifier.
# The two share the directory by widget (--shard K/2), which keeps each widget's order exact.
source "$(dirname "$0")/lib.sh"
N=${WC_E2E_REQUESTS:-1000}

"$PRODUCER" --request-dir "$WORK/requests" -mwr "$N" --seed 2024 --expected "$WORK/expected.json"
start=$(date +%s.%N)
"$CONSUMER" --request-dir "$WORK/requests" --widget-dir "$WORK/widgets" --shard 0/2 --log-file "$WORK/c1.log" -q &
PIDS+=($!)
"$CONSUMER" --request-dir "$WORK/requests" --widget-dir "$WORK/widgets" --shard 1/2 --log-file "$WORK/c2.log" -q &
PIDS+=($!)
wait "${PIDS[0]}" || fail "consumer 1 exited $?"
wait "${PIDS[1]}" || fail "consumer 2 exited $?"
end=$(date +%s.%N)

out=$("$VERIFY" --widget-dir "$WORK/widgets" --expected "$WORK/expected.json") || fail "verify: $out"
echo "$out"
expect_contains "store equals the expected state" "$out" "OK: "
expect_eq "request directory is empty" "$(files_in "$WORK/requests")" 0
expect_eq "nothing dead-lettered" "$(ls "$WORK/requests.dead-letter" 2>/dev/null | wc -l)" 0
applied=$(cat "$WORK/c1.log" "$WORK/c2.log" | grep -c 'outcome=applied')
expect_eq "one applied line per request across both logs" "$applied" "$N"
c1=$(grep -c 'outcome=applied' "$WORK/c1.log")
c2=$(grep -c 'outcome=applied' "$WORK/c2.log")
[ "$c1" -gt 0 ] && [ "$c2" -gt 0 ] || fail "both consumers should have worked ($c1, $c2)"
ok "both consumers took a share ($c1 + $c2)"
ids=$(cat "$WORK/c1.log" "$WORK/c2.log" | grep outcome=applied | grep -o 'requestId=[^ ]*' | sort | uniq -d | wc -l)
expect_eq "no request applied twice" "$ids" 0
awk -v n="$N" -v s="$start" -v e="$end" \
  'BEGIN { printf "figures: %d requests, 2 consumers, %.3f s, %.0f requests/s\n", n, e - s, n / (e - s) }'
echo "$checks passed, 0 failed"
