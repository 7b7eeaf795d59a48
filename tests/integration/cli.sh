#!/usr/bin/env bash
# The command lines: help, bad usage (one line, exit 2), backends not built yet, verifier exit codes.
source "$(dirname "$0")/lib.sh"

out=$("$CONSUMER" --help); rc=$?
expect_eq "--help exits 0" "$rc" 0
for opt in -rb -rq -wb -dwt -wkp -p -r -mrt -qwt -qvt --request-dir --widget-dir --dead-letter-dir \
           --max-empty-polls --max-requests --log-file; do
  expect_contains "--help lists $opt" "$out" "$opt"
done
expect_contains "--help shows defaults" "$out" "(default: 100)"

set +e
err=$("$CONSUMER" --request-dir a --widget-dir b --bogus 2>&1); rc=$?
set -e
expect_eq "unknown option exits 2" "$rc" 2
expect_eq "unknown option: one line" "$err" 'widget-consumer: unknown option "--bogus" (see --help)'

set +e
err=$("$CONSUMER" ftp requests dynamodb widgets 2>&1); rc=$?
set -e
expect_eq "unknown source type exits 2" "$rc" 2
expect_eq "unknown source type: says so" "$err" 'widget-consumer: source type "ftp" is not s3, sqs or dir'
set +e
err=$("$CONSUMER" -rq a -rb b -dwt c 2>&1); rc=$?
set -e
expect_eq "two sources exit 2" "$rc" 2
expect_eq "two sources: says so" "$err" 'widget-consumer: name exactly one request source: --request-dir, -rb or -rq'

set +e
err=$("$CONSUMER" --request-dir "$WORK/none" --widget-dir "$WORK/out" 2>&1); rc=$?
set -e
expect_eq "missing request directory exits 1" "$rc" 1
expect_contains "missing request directory is named" "$err" "request directory \"$WORK/none\": No such file or directory"

expect_eq "--version" "$("$CONSUMER" --version)" "widget-consumer 0.1.0"

set +e
err=$("$PRODUCER" -mwr ten --request-dir "$WORK/r" 2>&1); rc=$?
set -e
expect_eq "producer bad number exits 2" "$rc" 2
expect_eq "producer bad number message" "$err" 'widget-producer: -mwr: "ten" is not a whole number'

# Same seed, same requests (keys differ: they are times).
"$PRODUCER" --request-dir "$WORK/s1" -mwr 50 --seed 5 -q
"$PRODUCER" --request-dir "$WORK/s2" -mwr 50 --seed 5 -q
expect_eq "producer is deterministic for a seed" "$(cat "$WORK"/s1/* | md5sum)" "$(cat "$WORK"/s2/* | md5sum)"
expect_eq "producer keys are 13-digit and unique" "$(ls "$WORK/s1" | grep -cE '^[0-9]{13}$')" 50

# The verifier: 0 when equal, 1 on a difference, with a summary.
"$PRODUCER" --request-dir "$WORK/req" -mwr 100 --seed 3 --expected "$WORK/expected.json" -q
"$CONSUMER" --request-dir "$WORK/req" --widget-dir "$WORK/out" -q
out=$("$VERIFY" --widget-dir "$WORK/out" --expected "$WORK/expected.json")
expect_contains "verify: OK summary" "$out" "OK: "
victim=$(find "$WORK/out/widgets" -type f -print -quit)
rm "$victim"
set +e
out=$("$VERIFY" --widget-dir "$WORK/out" --expected "$WORK/expected.json"); rc=$?
set -e
expect_eq "verify: exit 1 on a difference" "$rc" 1
expect_contains "verify: names the missing widget" "$out" "missing: $(basename "$victim")"
echo "$checks passed, 0 failed"
