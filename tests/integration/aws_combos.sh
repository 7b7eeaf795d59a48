#!/usr/bin/env bash
# Each of the four combinations (S3 or SQS source x S3 or DynamoDB store) on the stand-ins, every
# request signature-checked by the proxy: 1,000 produced requests, one consumer, then
# widget-verify must report zero differences and the source must be empty. Prints per
# combination the requests per second and the consumer's CPU seconds per 1,000 requests.
# The aws CLI then reads what the consumer wrote, as a cross-check by a real AWS client.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_AWS_REQUESTS:-1000}
before=$(rejected)

for combo in sqs:dynamodb sqs:s3 s3:dynamodb s3:s3; do
  src=${combo%%:*} dst=${combo##*:}
  name=$RUN-$src-$dst
  case $src in
    sqs) url=$(mk_queue "$name-requests"); src_args=(-rq "$name-requests" -qwt 1) ;;
    s3)  mk_bucket "$name-requests"; src_args=(-rb "$name-requests") ;;
  esac
  case $dst in
    dynamodb) mk_table "$name-widgets"; dst_args=(-dwt "$name-widgets") ;;
    s3)       mk_bucket "$name-widgets"; dst_args=(-wb "$name-widgets") ;;
  esac
  "$PRODUCER" "${src_args[@]:0:2}" --endpoint-url "$EP" -mwr "$N" --seed 42 --expected "$WORK/$name.json" -q
  timed "$name" "$CONSUMER" "${src_args[@]}" "${dst_args[@]}" --endpoint-url "$EP" \
    --max-empty-polls 2 --log-file "$WORK/$name.log" -q || fail "$combo: consumer failed: $(tail -n 3 "$WORK/$name.log")"
  out=$("$VERIFY" "${dst_args[@]}" --endpoint-url "$EP" --expected "$WORK/$name.json") || fail "$combo: $out"
  expect_contains "$combo: store equals the expected state" "$out" "OK: "
  if [ "$src" = sqs ]; then
    expect_eq "$combo: queue is empty" "$(queue_depth "$url")" 0
  else
    expect_eq "$combo: request bucket is empty" "$(bucket_count "$name-requests")" 0
  fi
  expect_eq "$combo: every request applied once" "$(grep -c 'outcome=applied' "$WORK/$name.log")" "$N"
  # Figures: the wall time less the empty polls at the end (2 x (1 s long poll or 0) + 0.1 s).
  read -r wall user sys < "$WORK/time.$name"
  idle=$([ "$src" = sqs ] && echo 2.2 || echo 0.2)
  awk -v c="$combo" -v n="$N" -v w="$wall" -v u="$user" -v s="$sys" -v idle="$idle" \
    'BEGIN { printf "figures: %-13s %5d requests %7.0f requests/s %6.3f CPU s per 1,000 requests\n", c, n, n / (w - idle), (u + s) * 1000 / n }' \
    | tee -a "$WORK/figures"

  # Cross-check with the aws CLI: five expected widgets read back from the store.
  python3 "$(dirname "$0")/crosscheck.py" "$dst" "$name-widgets" "$WORK/$name.json" "$EP" ||
    fail "$combo: the aws CLI reads something else than expected"
  ok "$combo: the aws CLI reads back the expected widgets"
done
expect_eq "the proxy rejected no signature" "$(rejected)" "$before"
cat "$WORK/figures"
echo "$checks passed, 0 failed"
