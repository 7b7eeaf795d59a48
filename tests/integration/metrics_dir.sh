#!/usr/bin/env bash
# --metrics-addr on the directory source and store: /metrics scraped during a run and at its end,
# where every request counter equals the log's totals (by outcome and type); /healthz 200;
# /readyz 503 while the widget directory is gone (an outage, as in failures_dir.sh) and 200
# again once it is back; a port in use is a clear start-up error. The outage is provoked after
# the first 20,000 requests are done, with the last 200 of the stream held back until then, so
# that it is sure to meet requests whatever the machine's speed.
source "$(dirname "$0")/lib.sh"

# metric TEXT NAME{LABELS}: the value of one series (empty when absent).
metric() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$1"; }
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$port/metrics"; }
in_flight() { metric "$(scrape)" widget_consumer_requests_in_flight; }

"$PRODUCER" --request-dir "$WORK/all" -mwr 20200 --seed 41 --expected "$WORK/e.json" -q
mkdir -p "$WORK/r" "$WORK/later"
# Not "ls | sort | head": head leaves after 20,000 lines, and sort, still writing, then dies of
# SIGPIPE (exit 141), which pipefail and set -e turned into a silent failure of the whole test
# once in a while (whenever sort had not written everything yet).
mapfile -t names < <(ls "$WORK/all" | sort)
printf '%s\n' "${names[@]:0:20000}" | (cd "$WORK/all" && xargs mv -t "$WORK/r")
mv "$WORK/all"/* "$WORK/later"/
echo "not json" > "$WORK/r/0000000000001" # two bad requests: dead-lettered
echo '{"type":"create"}' > "$WORK/r/0000000000002"
mkdir -p "$WORK/w"
# serve LOG: a consumer of $WORK/r with /metrics on a port of its choice, logging to $WORK/LOG;
# its pid in $pid, its port in $port once it listens.
serve() {
  "$CONSUMER" --request-dir "$WORK/r" --widget-dir "$WORK/w" --max-empty-polls 0 \
    --metrics-addr 127.0.0.1:0 --log-file "$WORK/$1" -q &
  pid=$!
  PIDS+=($pid)
  wait_until 10 "the metrics port in the log" metrics_port "$WORK/$1"
  port=$seen
}
serve c.log
ok "listening on port $port"
expect_eq "/healthz" "$(status /healthz)" 200

# During the run: the counters move and never run ahead of the log.
wait_until 30 "100 requests applied" output_is -gt 100 count_in outcome=applied "$WORK/c.log"
during=$(scrape) || fail "/metrics during the run"
logged=$(grep -c outcome=applied "$WORK/c.log")
applied_during=$(metric "$during" 'widget_consumer_requests_total{outcome="applied",type="create"}')
[ "$applied_during" -gt 0 ] && [ "$applied_during" -le "$logged" ] ||
  fail "during the run: $applied_during creates applied in /metrics, $logged applied lines"
ok "during the run: $applied_during creates applied so far (log: $logged applied lines by now)"

wait_drained() {
  wait_until 60 "every request handled $1" output_is -eq 0 files_in "$WORK/r"
  ok "every request handled $1"
}
wait_drained "(the first 20,000)"
expect_eq "/readyz after the first part" "$(status /readyz)" 200
# The store gone: /readyz 503; back: 200.
mv "$WORK/w" "$WORK/w.away"
mv "$WORK/later"/* "$WORK/r"/ # the rest of the stream meets the outage
wait_until 10 "/readyz 503 while the widget directory is gone" output_is == 503 status /readyz
ok "/readyz while the widget directory is gone"
out=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics")
expect_eq "up{part=store} while it is gone" "$(metric "$out" 'widget_consumer_up{part="store"}')" 0
expect_eq "/healthz during the outage" "$(status /healthz)" 200
mv "$WORK/w.away" "$WORK/w"
wait_until 30 "/readyz 200 once it is back" output_is == 200 status /readyz
ok "/readyz once it is back"

wait_drained "(all)"
# The last lines are written before the removal; the request's end after it: nothing in flight.
wait_until 10 "nothing in flight" output_is -eq 0 in_flight
end=$(scrape) || fail "/metrics at the end"
stop_consumer $pid
expect_eq "stopped by SIGTERM: exit 0" "$rc" 0
for outcome in applied superseded already-applied deferred warning dead-lettered failed; do
  total=0
  for type in create update delete; do
    want=$(grep -c "type=$type outcome=$outcome " "$WORK/c.log" || true)
    got=$(metric "$end" "widget_consumer_requests_total{outcome=\"$outcome\",type=\"$type\"}")
    expect_eq "$outcome $type: /metrics equals the log ($want)" "$got" "$want"
    total=$((total + got))
  done
  got=$(metric "$end" "widget_consumer_requests_total{outcome=\"$outcome\",type=\"unknown\"}")
  total=$((total + got))
  expect_eq "$outcome: /metrics total equals the log" "$total" \
    "$(grep -c "outcome=$outcome " "$WORK/c.log" || true)"
done
expect_eq "dead letters: the two bad requests" \
  "$(metric "$end" widget_consumer_dead_letters_total)" 2
expect_eq "the two bad requests in the log" "$(grep -c 'outcome=dead-lettered ' "$WORK/c.log")" 2
expect_eq "failed requests during the outage seen" \
  "$([ "$(grep -c 'outcome=failed ' "$WORK/c.log")" -gt 0 ] && echo yes)" yes
expect_eq "nothing in flight at the end" "$(metric "$end" widget_consumer_requests_in_flight)" 0
count=$(metric "$end" 'widget_consumer_request_duration_seconds_count{outcome="applied"}')
expect_eq "the latency histogram counts every applied request" "$count" \
  "$(grep -c 'outcome=applied ' "$WORK/c.log")"
out=$("$VERIFY" --widget-dir "$WORK/w" --expected "$WORK/e.json") || fail "$out"
expect_contains "final state exact" "$out" "OK: "

# A port in use: a clear start-up error, exit 1.
serve c2.log
set +e
err=$("$CONSUMER" --request-dir "$WORK/r" --widget-dir "$WORK/w" --metrics-addr ":$port" -q 2>&1)
rc=$?
set -e
expect_eq "port in use: exit 1" "$rc" 1
expect_contains "port in use: a clear error" "$err" "cannot listen there"
kill -TERM $pid
wait $pid || true
echo "$checks passed, 0 failed"
