#!/usr/bin/env bash
# SIGTERM during a busy run: the consumer finishes the request in hand and exits 0 quickly;
# a restarted consumer finishes the work, with nothing lost or doubled.
source "$(dirname "$0")/lib.sh"
N=20000
"$PRODUCER" --request-dir "$WORK/requests" -mwr $N --seed 77 --expected "$WORK/expected.json" -q

"$CONSUMER" --request-dir "$WORK/requests" --widget-dir "$WORK/widgets" --max-empty-polls 0 \
  --log-file "$WORK/first.log" -q &
pid=$!
PIDS+=($pid)
stop_when_busy $pid "$WORK/first.log" 200 2000
done_first=$(grep -c outcome=applied "$WORK/first.log")
[ "$done_first" -lt $N ] || fail "the first consumer finished everything; the test proves nothing"
ok "first consumer stopped part way ($done_first of $N)"
expect_eq "no claimed file left behind" "$(find "$WORK/requests" -name '.*claimed*' | wc -l)" 0
expect_eq "requests left = requests not applied" "$(files_in "$WORK/requests")" $((N - done_first))

"$CONSUMER" --request-dir "$WORK/requests" --widget-dir "$WORK/widgets" --log-file "$WORK/second.log" -q
done_second=$(grep -c outcome=applied "$WORK/second.log")
expect_eq "every request applied exactly once across both runs" $((done_first + done_second)) $N
out=$("$VERIFY" --widget-dir "$WORK/widgets" --expected "$WORK/expected.json") || fail "verify: $out"
expect_contains "final state" "$out" "OK: "

# A SIGKILL leaves a claimed file; once its lease ran out (not renewed for --claim-lease), the next
# consumer hands it back and applies it; a claim still renewed is left alone.
"$PRODUCER" --request-dir "$WORK/r2" -mwr 1 --seed 1 -q
name=$(ls "$WORK/r2")
mv "$WORK/r2/$name" "$WORK/r2/.$name.claimed-4194305"
"$CONSUMER" --request-dir "$WORK/r2" --widget-dir "$WORK/w2" --max-empty-polls 2 --claim-lease 60000 \
  --max-runtime 1000 --log-file "$WORK/live.log" -q
expect_eq "a live claim is left alone" "$(grep -c outcome=applied "$WORK/live.log" || true)" 0
touch -d '2 minutes ago' "$WORK/r2/.$name.claimed-4194305"
"$CONSUMER" --request-dir "$WORK/r2" --widget-dir "$WORK/w2" --log-file "$WORK/third.log" -q
expect_contains "orphaned claim handed back" "$(cat "$WORK/third.log")" "request $name: handed back from consumer 4194305, whose claim was not renewed"
expect_eq "and applied" "$(grep -c "request=$name .*outcome=applied" "$WORK/third.log")" 1
echo "$checks passed, 0 failed"
