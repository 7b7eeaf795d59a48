#!/usr/bin/env bash
# The main job end to end, on local directories (no AWS account needed):
#   widget-producer -> two widget-consumers at once -> widget-verify, then a summary.
# Usage: scripts/demo.sh [REQUESTS]   (default 1000). Leaves its files in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
bash scripts/deps.sh
bash scripts/build.sh build
OUT=$PWD/demo-out
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== producing $N requests into $OUT/requests"
build/widget-producer --request-dir "$OUT/requests" -mwr "$N" --expected "$OUT/expected.json"
echo "== two consumers at once"
start=$(date +%s%N)
build/widget-consumer --request-dir "$OUT/requests" --widget-dir "$OUT/widgets" \
  --log-file "$OUT/consumer-1.log" -q & c1=$!
build/widget-consumer --request-dir "$OUT/requests" --widget-dir "$OUT/widgets" \
  --log-file "$OUT/consumer-2.log" -q & c2=$!
wait $c1; wait $c2
ms=$(( ($(date +%s%N) - start) / 1000000 ))
tail -n 1 "$OUT/consumer-1.log" | sed 's/^/  consumer 1: /'
tail -n 1 "$OUT/consumer-2.log" | sed 's/^/  consumer 2: /'
echo "== verifying the widget store against the expected state"
build/widget-verify --widget-dir "$OUT/widgets" --expected "$OUT/expected.json"
left=$(find "$OUT/requests" -type f | wc -l)
dead=0; [ -d "$OUT/requests.dead-letter" ] && dead=$(find "$OUT/requests.dead-letter" -type f | wc -l)
echo "== summary: $N requests in $ms ms with 2 consumers (including 5 empty polls at the end);" \
     "$left left in the source, $dead dead-letter files; widgets in $OUT/widgets"
