#!/usr/bin/env bash
# Failure paths of the directory store, each a regression test of a measured defect:
#   1. a request whose widget file can never be written (a 250-byte widgetId: ENAMETOOLONG) is
#      dead-lettered with the reason after three tries, and the consumer still stops on empty
#      polls (it used to retry it forever);
#   2. the widget directory gone for a while (moved away): an outage - the consumer
#      backs off, dead-letters nothing, and when the directory is back applies everything, exact;
#   3. the same outage lasting past --max-outage: exit 1 with a clear error, nothing lost;
#   4. a dead-letter location that cannot be written;
#   5. request FILE names of 230 to 255 bytes (the claim's name, 26 bytes longer, is too long:
#      it used to be read as an outage, exit 1 after --max-outage, on every restart): each is
#      dead-lettered with the reason, the rest drained.
#   6. two consumers through an outage longer than --claim-lease: no claim taken from the other.
source "$(dirname "$0")/lib.sh"

# 1. A name too long for the file system.
mkdir -p "$WORK/r1"
long=$(printf 'w%.0s' $(seq 250))
printf '{"type":"create","requestId":"r-long","widgetId":"%s","owner":"Sue Smith"}' "$long" \
  > "$WORK/r1/1000000000000"
"$PRODUCER" --request-dir "$WORK/r1" -mwr 20 --seed 31 --expected "$WORK/e1.json" -q
timeout 60 "$CONSUMER" --request-dir "$WORK/r1" --widget-dir "$WORK/w1" --retry-delay 50 \
  --log-file "$WORK/c1.log" -q || fail "long name: consumer failed or did not stop"
expect_eq "long name: the others applied" "$(grep -c outcome=applied "$WORK/c1.log")" 20
expect_eq "long name: dead-lettered once" "$(grep -c outcome=dead-lettered "$WORK/c1.log")" 1
expect_contains "long name: the reason" "$(cat "$WORK/r1.dead-letter/1000000000000.reason")" \
  "the store refused it 3 times"
expect_eq "long name: the request directory is empty" "$(files_in "$WORK/r1")" 0

# 2. The widget directory gone for 2 s, mid-run.
"$PRODUCER" --request-dir "$WORK/r2" -mwr 30000 --seed 32 --expected "$WORK/e2.json" -q
mkdir -p "$WORK/w2"
"$CONSUMER" --request-dir "$WORK/r2" --widget-dir "$WORK/w2" --max-empty-polls 3 \
  --log-file "$WORK/c2.log" -q &
pid=$!
PIDS+=($pid)
wait_until 30 "100 requests applied" output_is -gt 100 count_in outcome=applied "$WORK/c2.log"
mv "$WORK/w2" "$WORK/w2.away" # gone: the consumer must not make a new empty store in its place
sleep 2 # the outage's length
mv "$WORK/w2.away" "$WORK/w2"
set +e; wait $pid; rc=$?; set -e
expect_eq "store outage: exit 0" "$rc" 0
expect_contains "store outage: reported" "$(cat "$WORK/c2.log")" "store is failing"
expect_contains "store outage: recovery reported" "$(cat "$WORK/c2.log")" "store works again after"
expect_eq "store outage: nothing dead-lettered" "$(grep -c 'outcome=dead-lettered\|outcome=warning' "$WORK/c2.log" || true)" 0
expect_eq "store outage: the request directory is empty" "$(files_in "$WORK/r2")" 0
out=$("$VERIFY" --widget-dir "$WORK/w2" --expected "$WORK/e2.json") || fail "$out"
expect_contains "store outage: final state exact" "$out" "OK: "

# 3. An outage past --max-outage.
"$PRODUCER" --request-dir "$WORK/r3" -mwr 50 --seed 33 -q
mkdir -p "$WORK/w3"
echo "not a directory" > "$WORK/w3/widgets" # the store opens, and every write fails
set +e
"$CONSUMER" --request-dir "$WORK/r3" --widget-dir "$WORK/w3" --max-outage 1500 --log-file "$WORK/c3.log" -q
rc=$?
set -e
expect_eq "long outage: exit 1" "$rc" 1
expect_contains "long outage: a clear error" "$(tail -n 1 "$WORK/c3.log")" "store failing for"
expect_eq "long outage: every request still there" "$(files_in "$WORK/r3")" 50
# 4. A dead-letter location that cannot be written: the bad request stays in the source, the
#    consumer backs off instead of retrying it in a tight loop, and stops after --max-outage.
mkdir -p "$WORK/r4"
echo "not json" > "$WORK/r4/1000000000000"
echo "in the way" > "$WORK/dl4"
set +e
"$CONSUMER" --request-dir "$WORK/r4" --widget-dir "$WORK/w4" --dead-letter-dir "$WORK/dl4/x" \
  --max-empty-polls 0 --max-outage 2000 --log-file "$WORK/c4.log" -q
rc=$?
set -e
expect_eq "dead letters unwritable: exit 1" "$rc" 1
expect_contains "dead letters unwritable: a clear error" "$(tail -n 1 "$WORK/c4.log")" "dead-letter location failing for"
tries=$(grep -c "outcome=failed" "$WORK/c4.log")
[ "$tries" -lt 20 ] || fail "dead letters unwritable: $tries tries in 2 s: no backoff"
ok "dead letters unwritable: backed off ($tries tries in 2 s)"
expect_eq "dead letters unwritable: the request is still there" "$(files_in "$WORK/r4")" 1

# 5. Request file names too long to claim.
"$PRODUCER" --request-dir "$WORK/r5" -mwr 20 --seed 35 --expected "$WORK/e5.json" -q
for n in 230 248 255; do
  name=1000000000000$(printf 'x%.0s' $(seq $((n - 13))))
  printf '{"type":"create","requestId":"r-%s","widgetId":"w-%s","owner":"Sue Smith"}' "$n" "$n" \
    > "$WORK/r5/$name"
done
name229=1000000000001$(printf 'y%.0s' $(seq 216)) # 229 bytes: claimed, and a bad request
echo "not json" > "$WORK/r5/$name229"
set +e
timeout 60 "$CONSUMER" --request-dir "$WORK/r5" --widget-dir "$WORK/w5" --max-outage 2000 \
  --log-file "$WORK/c5.log" -q
rc=$?
set -e
expect_eq "long file names: exit 0" "$rc" 0
expect_eq "long file names: the others applied" "$(grep -c outcome=applied "$WORK/c5.log")" 20
expect_eq "long file names: four dead-lettered" "$(grep -c outcome=dead-lettered "$WORK/c5.log")" 4
expect_eq "long file names: the request directory is empty" "$(files_in "$WORK/r5")" 0
for n in 230 248 255; do
  name=1000000000000$(printf 'x%.0s' $(seq $((n - 13))))
  [ -f "$WORK/r5.dead-letter/$name" ] || fail "long file names: $n bytes not in the dead letters"
done
expect_eq "long file names: a reason each" "$(ls "$WORK/r5.dead-letter" | grep -c '\.reason$')" 4
for n in 230 248 255; do # NAME.reason would be too long too: the first 200 bytes and a hash
  expect_contains "long file names: the reason of $n bytes" \
    "$(cat "$WORK/r5.dead-letter"/1000000000000xxx*-*.reason)" \
    "its file name ($n bytes) is too long to claim (at most 229 bytes)"
done
expect_contains "long file names: the bad one of 229 bytes was claimed and read" \
  "$(cat "$WORK/r5.dead-letter"/1000000000001yyy*.reason)" "request $name229: "
out=$("$VERIFY" --widget-dir "$WORK/w5" --expected "$WORK/e5.json") || fail "$out"
expect_contains "long file names: final state exact" "$out" "OK: "

# 6. Two consumers on one request directory, the widget directory away for 6 s, longer than
#    --claim-lease 3000: the claims each holds meanwhile are renewed from its loop, so the other
#    never hands them back to apply them again (issue 15 item 6: renewed only inside receive,
#    which the poller stops calling with enough in hand, 15 claims were handed back from a live
#    consumer and applied a second time). An "already-applied" alone proves nothing here: a save
#    the outage cut short is finished by the next load, and its retry finds itself applied.
#    The lease is 3 s, not 1 s: a claim is renewed once it is a third of the lease old, on a timer
#    of a third of the lease, so it may be two thirds of the lease old before its renewal; with
#    1 s, a consumer whose loop stalled about a second (a busy CI machine) while the other scanned
#    had a live claim handed back (shown by SIGSTOP for 1.2 s: 1 handed back; 0.8 s: none; with
#    3 s and 1.6 s: none).
"$PRODUCER" --request-dir "$WORK/r6" -mwr 3000 --seed 34 --expected "$WORK/e6.json" -q
mkdir -p "$WORK/w6"
pids6=()
for c in a b; do
  "$CONSUMER" --request-dir "$WORK/r6" --widget-dir "$WORK/w6" --claim-lease 3000 \
    --max-empty-polls 3 --log-file "$WORK/c6$c.log" -q &
  pids6+=($!)
  PIDS+=($!)
done
wait_until 30 "200 requests applied" output_is -gt 200 count_in outcome=applied "$WORK/c6a.log" "$WORK/c6b.log"
mv "$WORK/w6" "$WORK/w6.away"
sleep 6 # the outage's length: longer than --claim-lease, by 3 s as it was with 1 s
mv "$WORK/w6.away" "$WORK/w6"
for p in "${pids6[@]}"; do wait "$p" || fail "claims: a consumer failed"; done
expect_eq "claims: none handed back from a live consumer" \
  "$(cat "$WORK"/c6?.log | grep -c 'handed back from consumer' || true)" 0
expect_eq "claims: the request directory is empty" "$(files_in "$WORK/r6")" 0
out=$("$VERIFY" --widget-dir "$WORK/w6" --expected "$WORK/e6.json") || fail "$out"
expect_contains "claims: final state exact" "$out" "OK: "
echo "$checks passed, 0 failed"
