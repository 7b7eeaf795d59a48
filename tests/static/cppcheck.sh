#!/usr/bin/env bash
# Static checks of src/ with cppcheck: warnings, style, performance and portability, every
# finding an error (exit 1) unless tests/static/cppcheck-suppressions.xml says why it is not a
# defect. Run by scripts/test.sh; about two seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cppcheck >/dev/null || { echo "static: cppcheck is needed (apt-get install cppcheck)"; exit 1; }
start=$(date +%s%N)
cppcheck --std=c11 -I src -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
  --enable=warning,style,performance,portability \
  --suppress-xml=tests/static/cppcheck-suppressions.xml \
  --error-exitcode=1 -q -j"$(nproc)" --template='{file}:{line}: {severity} ({id}): {message}' src
ms=$((($(date +%s%N) - start) / 1000000))
echo "static: cppcheck $(cppcheck --version | cut -d' ' -f2): src/ clean ($(ls src/*/*.c | wc -l) files, ${ms} ms)"
