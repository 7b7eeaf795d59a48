#!/usr/bin/env bash
# The bad-input corpus (tests/data/bad) mixed among good requests: every bad one is dead-lettered
# with its reason, every good one applied, nothing lost.
source "$(dirname "$0")/lib.sh"
REQ=$WORK/requests
DEAD=$WORK/dead

"$PRODUCER" --request-dir "$REQ" -mwr 300 --seed 11 --expected "$WORK/expected.json" -q
mapfile -t good < <(ls "$REQ")
head -c 300000 /dev/zero | tr '\0' ' ' > "$WORK/oversized"
declare -A want
i=0
while IFS=$'\t' read -r name reason; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  src=$DATA/bad/$name
  [ "$name" == oversized ] && src=$WORK/oversized
  [ -f "$src" ] || fail "corpus file $name is missing"
  key="${good[$((i * 11 % ${#good[@]}))]}-bad-$name"   # sorts right after a good request
  cp "$src" "$REQ/$key"
  want[$key]=${reason//KEY/$key}
  i=$((i + 1))
done < "$DATA/bad/EXPECTED"
expect_eq "corpus size" "$i" 24
# A good request under a name that is no 13-digit epoch ms: its place would outrank every real
# write for ever, so it is dead-lettered with the reason (issue 15 item 10).
odd=zz-not-epoch-ms
printf '%s' '{"type":"create","requestId":"zz-1","widgetId":"zz-widget","owner":"Sue Smith"}' > "$REQ/$odd"
want[$odd]="request $odd: no place in production order: its file name does not start with the 13 digits"
i=$((i + 1))

"$CONSUMER" --request-dir "$REQ" --widget-dir "$WORK/widgets" --dead-letter-dir "$DEAD" \
  --log-file "$WORK/consumer.log" -q || fail "consumer exited $?"

expect_eq "request directory is empty" "$(files_in "$REQ")" 0
for key in "${!want[@]}"; do
  [ -f "$DEAD/$key" ] || fail "$key was not dead-lettered"
  reason=$(cat "$DEAD/$key.reason")
  expect_contains "reason of $key" "$reason" "${want[$key]}"
  log_line=$(grep -F "request=$key " "$WORK/consumer.log")
  expect_contains "log line of $key" "$log_line" "outcome=dead-lettered"
done
expect_eq "dead letters are exactly the corpus (request + reason each)" "$(files_in "$DEAD")" $((2 * i))
cmp -s "$DATA/bad/invalid-utf8" "$DEAD/$(ls "$DEAD" | grep -- '-bad-invalid-utf8$')" || fail "dead letter changed the body"
ok "dead-lettered bodies are kept byte for byte"
out=$("$VERIFY" --widget-dir "$WORK/widgets" --expected "$WORK/expected.json") || fail "verify: $out"
expect_contains "all good requests applied" "$out" "OK: "
[ ! -e /etc/passwd.widget ] && [ -z "$(find "$WORK/widgets" -name passwd)" ] || fail "a path escaped"
ok "no widget written outside the store"
echo "$checks passed, 0 failed"
