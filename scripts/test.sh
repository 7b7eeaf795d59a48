#!/usr/bin/env bash
# Every test: installs what it needs, then builds and runs the whole suite three ways:
#   1. a normal build (-Werror), all unit and integration tests (ctest);
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build, all tests again;
#   3. the unit tests under valgrind (memcheck, leaks are errors);
# and the static checks (cppcheck, first) and a short fuzz pass (tests/fuzz/run.sh, at the end).
# A test that fails fails the run: it is never run again until it passes (a flaky test is a
# defect of the test or of the code, found and fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

echo "== static checks"
bash tests/static/cppcheck.sh

echo "== build and test (release, -Werror)"
bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j2

echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
bash scripts/build.sh build-asan -DWC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== unit tests under valgrind"
failed=0
for t in build/test_*; do
  if ! WC_TESTDATA=$PWD/tests/data valgrind -q --error-exitcode=99 --leak-check=full \
       --errors-for-leak-kinds=definite,indirect "$t" >/tmp/valgrind-$$.log 2>&1; then
    echo "valgrind: $t failed"; cat /tmp/valgrind-$$.log; failed=$((failed + 1))
  fi
done
rm -f /tmp/valgrind-$$.log
n=$(ls build/test_* | wc -l)
echo "valgrind: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]

echo "== fuzz, short pass (each target ${WC_FUZZ_SECONDS:-7} s; long runs: tests/fuzz/run.sh 600)"
bash tests/fuzz/run.sh "${WC_FUZZ_SECONDS:-7}"
