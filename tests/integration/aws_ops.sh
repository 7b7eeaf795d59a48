#!/usr/bin/env bash
# What an operator sees on the stand-ins: the stand-ins listen on 127.0.0.1 only (never on every
# interface); the consumer logs at start-up which credential source it uses, never the secret;
# --log-format json gives one object a line with the same fields as the text line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"

# --- every listening socket of the stand-ins is on 127.0.0.1
ports=$(sed -nE 's|^export WC_[A-Z]+=http://127\.0\.0\.1:([0-9]+)$|\1|p' "$WC_STANDINS/env" | sort -u)
expect_eq "three stand-in ports (proxy, fauxqs, dynalite)" "$(wc -w <<<"$ports")" 3
for port in $ports; do
  listen=$(ss -ltnH "sport = :$port" | awk '{ print $4 }')
  expect_eq "port $port: listened on 127.0.0.1 only" "$listen" "127.0.0.1:$port"
done
# And whatever else the stand-ins' processes listen on (ss -p names them by PID).
while read -r pid; do
  [ -d "/proc/$pid" ] || continue
  wide=$(ss -ltnpH | grep "pid=$pid," | awk '{ print $4 }' | grep -v '^127\.0\.0\.1:' || true)
  expect_eq "stand-in PID $pid: no socket on another address" "$wide" ""
done <"$WC_STANDINS/pids"

# --- the credential source at start-up, never the secret; JSON lines
mk_table "$RUN-widgets"
url=$(mk_queue "$RUN-q")
"$PRODUCER" --endpoint-url "$EP" -rq "$RUN-q" -mwr 20 --seed 9 --expected "$WORK/expected.json" -q
"$CONSUMER" --endpoint-url "$EP" -rq "$RUN-q" -dwt "$RUN-widgets" --max-empty-polls 1 -qwt 1 \
  --log-format json -q --log-file "$WORK/c.log"
log=$(cat "$WORK/c.log")
expect_eq "verify: exact" "$("$VERIFY" --endpoint-url "$EP" -dwt "$RUN-widgets" --expected "$WORK/expected.json" | cut -c1-3)" "OK:"
[[ "$log" != *"$AWS_SECRET_ACCESS_KEY"* ]] || fail "the secret key is in the log"
ok "the secret key is not in the log"
python3 - "$WORK/c.log" "$AWS_ACCESS_KEY_ID" <<'PY' || fail "JSON log: see above"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
msgs = [l.get("msg", "") for l in lines]
want = "credentials: environment, access key %s" % sys.argv[2]
cred = [i for i, m in enumerate(msgs) if m == want]
start = [i for i, m in enumerate(msgs) if m.startswith("consumer started")]
assert cred and start and cred[0] < start[0], "no %r before the start line: %s" % (want, msgs[:5])
applied = [l for l in lines if l.get("outcome") == "applied"]
assert len(applied) == 20, len(applied)
for l in applied:
    assert set(l) == {"time", "level", "request", "requestId", "widgetId", "type", "outcome", "ms"}, l
    assert l["level"] == "INFO" and isinstance(l["ms"], float), l
print("ok - JSON log: the credential source before the start, 20 applied lines with the text line's fields")
PY
checks=$((checks + 1))
echo "$checks passed, 0 failed"
