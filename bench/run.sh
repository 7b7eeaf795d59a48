#!/usr/bin/env bash
# Benchmark: widget-consumer against a baseline (bench/baseline_consumer.py, a consumer written the
# way the course's Python versions are) on the same request stream, in the same run.
# Prints requests per second, CPU time per request and peak memory (max RSS) of each, and checks
# both results with widget-verify. Usage: bench/run.sh [REQUESTS] (default 10000).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
bash scripts/deps.sh
for tool in python3:python3 /usr/bin/time:time; do
  command -v "${tool%%:*}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool##*:}" >/dev/null
done
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
# On tmpfs by default, so the figures are the programs' and not the disk's (file creation on a
# VM disk costs ~1 ms); BENCH_DIR=/some/disk/folder measures with the disk.
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] || base=/tmp
W=$(mktemp -d "$base/wc-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT

# measure NAME COMMAND...: runs it under GNU time; prints throughput, CPU (user+sys) per request
# and peak RSS. Both consumers stop after 5 empty polls of 100 ms: that 0.5 s is not work and is
# taken off the wall time.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" "$@"
  read -r wall user sys rss < "$W/time.$name"
  awk -v name="$name" -v n="$N" -v wall="$wall" -v user="$user" -v sys="$sys" -v rss="$rss" 'BEGIN {
    work = wall - 0.5; if (work <= 0) work = 0.001
    printf "%-18s %9.0f req/s %8.1f us CPU/req (user %.1f, sys %.1f) %7.1f MiB peak RSS\n",
      name, n / work, (user + sys) / n * 1e6, user / n * 1e6, sys / n * 1e6, rss / 1024 }'
}

for who in c python; do
  build/widget-producer --request-dir "$W/$who/requests" -mwr "$N" --seed 1 --expected "$W/expected.json" -q
done
echo "benchmark: $N requests, one consumer each, local directories"
measure widget-consumer build/widget-consumer --request-dir "$W/c/requests" --widget-dir "$W/c/widgets" --log-file "$W/c.log" -q
measure baseline-python python3 bench/baseline_consumer.py "$W/python/requests" "$W/python/widgets"
for who in c python; do
  build/widget-verify --widget-dir "$W/$who/widgets" --expected "$W/expected.json" | sed "s/^/verify $who: /"
done
