#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] [TARGET...]: builds the libFuzzer targets (clang-14, ASan + UBSan,
# into build-fuzz/) and runs each for SECONDS (default 7) from its seed corpus
# (tests/fuzz/corpus/TARGET) and what earlier runs found (build-fuzz/corpus/TARGET). A crash, a
# leak or a broken property stops with exit 1 and the input saved in build-fuzz/artifacts/.
# The test command runs it short (scripts/test.sh); long runs: tests/fuzz/run.sh 600.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-7}
shift || true
build=${WC_FUZZ_BUILD:-build-fuzz}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request widget_update s3_listing aws_error sqs_receive
                                     dynamodb_items credentials_ini credentials_json iso8601 ledger)

cc=$(command -v clang-14 || command -v clang || true)
[ -n "$cc" ] || { echo "fuzz: clang-14 is needed (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
start=$(date +%s)
CC=$cc cmake -S . -B "$build" -DWC_FUZZ=ON -DWC_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzzers -j"$(nproc)" >/dev/null
echo "fuzz: built in $(($(date +%s) - start)) s; ${seconds} s per target"

mkdir -p "$build/artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cat tests/fuzz/json.dict tests/fuzz/xml.dict >"$build/aws_error.dict"
dict_of() { # the dictionary of a target: its input's format
  case $1 in
    s3_listing) echo tests/fuzz/xml.dict ;;
    aws_error) echo "$build/aws_error.dict" ;;
    credentials_ini) echo tests/fuzz/ini.dict ;;
    iso8601) echo tests/fuzz/iso8601.dict ;;
    *) echo tests/fuzz/json.dict ;;
  esac
}
total=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  log="$build/fuzz_$t.log"
  if "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
       -dict="$(dict_of "$t")" -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
       "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    printf 'fuzz: %-17s %9s runs, %s, corpus %s\n' "$t" "$runs" "$cov" "$(ls "$build/corpus/$t" | wc -l)"
    total=$((total + runs))
  else
    echo "fuzz: $t FAILED:"; grep -v '^#' "$log" | tail -40
    failed=$((failed + 1))
  fi
done
echo "fuzz: $total runs in $(($(date +%s) - start)) s, $failed target(s) failed"
[ "$failed" -eq 0 ]
