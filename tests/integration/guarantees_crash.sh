#!/usr/bin/env bash
# Crash test: 5,000 requests on a standard queue delivered out of order (--disorder 300), three
# consumers at --concurrency 8, each killed with SIGKILL at random moments and restarted, many
# times. Afterwards: nothing lost (every request applied, superseded, already applied or
# dead-lettered with a reason), the queue empty, the store exactly the expected state: a create
# delivered again after its delete does not bring the widget back, a delete delivered again is
# no false warning (exact order, core/ledger.h).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
N=${WC_CRASH_REQUESTS:-5000}
url=$(mk_queue "$RUN-q")
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-t"
"$PRODUCER" -rq "$RUN-q" --endpoint-url "$EP" -mwr "$N" --seed 2024 --disorder 300 --expected "$WORK/expected.json" \
  --request-log "$WORK/requests.jsonl" -q

start_consumer() { # start_consumer K: (re)starts consumer K in the background
  "$CONSUMER" -rq "$RUN-q" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" \
    -qwt 1 -qvt 2 --concurrency 8 --max-empty-polls 4 --log-file "$WORK/c$1.log" -q &
  PIDS+=($!)
}
kill_restart 12 60 42 start_consumer
for k in 0 1 2; do wait "${slot[$k]}" || true; done
# Whatever the kills left invisible comes back after the visibility timeout: a last consumer.
"$CONSUMER" -rq "$RUN-q" -dwt "$RUN-t" --dead-letter-queue "$RUN-dead" --endpoint-url "$EP" \
  -qwt 1 -qvt 2 --concurrency 8 --max-empty-polls 5 --log-file "$WORK/last.log" -q || fail "last consumer failed"

expect_eq "the queue is empty" "$(queue_depth "$url")" 0
# Every produced request is applied (in some consumer's log) or in the dead-letter queue.
cat "$WORK"/c?.log "$WORK/last.log" | grep -E 'outcome=(applied|superseded|already-applied) ' |
  grep -o 'requestId=[^ ]*' | cut -d= -f2 | sort -u > "$WORK/applied"
dead=$(queue_depth "$dlq")
read_dead "$dlq" "$WORK/dead.jsonl"
python3 - "$WORK/requests.jsonl" "$WORK/applied" "$WORK/dead.jsonl" <<'PY' || fail "requests were lost"
import json, sys
produced = {json.loads(l)["requestId"] for l in open(sys.argv[1])}
applied = set(open(sys.argv[2]).read().split())
dead = [json.loads(l) for l in open(sys.argv[3])]
dead_ids = {json.loads(m["body"]).get("requestId") for m in dead}
for m in dead:
    assert m["reason"], "a dead letter without a reason"
lost = produced - applied - dead_ids
print(f"produced {len(produced)}, applied {len(applied & produced)}, dead-lettered {len(dead_ids)}, lost {len(lost)}")
sys.exit(1 if lost else 0)
PY
ok "every request applied or dead-lettered with a reason"
# The producer aims updates and deletes at live widgets only: in production order nothing is a
# warning, so a dead letter here would be a false one (a delete delivered again after a kill).
expect_eq "no dead letters: no false warnings after redeliveries" "$dead" 0
out=$("$VERIFY" -dwt "$RUN-t" --endpoint-url "$EP" --expected "$WORK/expected.json") || fail "$out"
expect_contains "the store is exactly the expected state" "$out" "OK: "
echo "figures: crash test: $N requests (standard queue, --disorder 300), 3 consumers, $kills SIGKILLs," \
  "$(outcome_counts "$WORK"/c?.log "$WORK/last.log") (already applied: delivered again after a kill), $dead dead letters," \
  "0 differences"
echo "$checks passed, 0 failed"
