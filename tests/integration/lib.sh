# lib.sh - shared by the integration tests: sourced with the build's bin directory as $1.
set -euo pipefail
BIN=${1:?usage: $0 BIN_DIR}
BIN=$(cd "$BIN" && pwd)
CONSUMER=$BIN/widget-consumer
PRODUCER=$BIN/widget-producer
VERIFY=$BIN/widget-verify
DATA=${WC_TESTDATA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)}
WORK=$(mktemp -d /tmp/wc-it-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" == "$3" ] || fail "$1: got [$2], want [$3]"; ok "$1"; }
# expect_contains WHAT TEXT NEEDLE
expect_contains() { [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"; ok "$1"; }
files_in() { find "$1" -mindepth 1 -maxdepth 1 | wc -l; }
