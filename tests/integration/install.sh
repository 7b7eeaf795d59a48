#!/usr/bin/env bash
# Installing and configuring: `cmake --install` into a staging directory (DESTDIR) puts the three
# programs, their man pages and the systemd unit in place; --version gives CMake's one version;
# every option may come from the environment (the command line wins); a release build needs no
# cmocka. $1 is the build directory (where the programs are).
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$BIN
VERSION=$(sed -nE 's/^project\([a-z_]+ VERSION ([0-9.]+) .*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$VERSION" ] || fail "no project(... VERSION ...) in CMakeLists.txt"

# --- cmake --install into DESTDIR
DESTDIR=$WORK/stage cmake --install "$BUILD" --prefix /usr >"$WORK/install.log"
S=$WORK/stage/usr
for p in widget-consumer widget-producer widget-verify; do
  [ -x "$S/bin/$p" ] || fail "$p is not installed in $S/bin"
  ok "installed: bin/$p"
  expect_eq "$p --version: CMake's version" "$("$S/bin/$p" --version)" "$p $VERSION"
  [ -f "$S/share/man/man1/$p.1" ] || fail "no man page $p.1"
  warnings=$(groff -man -Tutf8 -ww -z "$S/share/man/man1/$p.1" 2>&1)
  expect_eq "man page $p.1 installed, formats without a warning" "$warnings" ""
  expect_contains "man page $p.1 names the environment" "$(cat "$S/share/man/man1/$p.1")" \
    "WIDGET_$(echo "${p#widget-}" | tr a-z A-Z)_"
done
UNIT=$S/lib/systemd/system/widget-consumer.service
[ -f "$UNIT" ] || fail "the systemd unit is not installed"
unit=$(cat "$UNIT")
expect_contains "unit: ExecStart names the installed program" "$unit" $'\nExecStart=/usr/bin/widget-consumer\n'
for line in DynamicUser=yes Restart=on-failure KillSignal=SIGTERM ProtectSystem=strict NoNewPrivileges=yes \
            EnvironmentFile=-/etc/default/widget-consumer; do
  expect_contains "unit: $line" "$unit" $'\n'"$line"$'\n'
done
stop_s=$(sed -n 's/^TimeoutStopSec=//p' "$UNIT")
shutdown_ms=$("$S/bin/widget-consumer" --help | sed -nE 's/.*--shutdown-timeout MS .*\(default: ([0-9]+)\).*/\1/p')
[ -n "$shutdown_ms" ] && [ $((stop_s * 1000)) -gt "$shutdown_ms" ] ||
  fail "unit: TimeoutStopSec=$stop_s is not longer than --shutdown-timeout ($shutdown_ms ms)"
ok "unit: TimeoutStopSec ($stop_s s) is longer than the shutdown timeout ($shutdown_ms ms)"
if command -v systemd-analyze >/dev/null; then
  # Checked with ExecStart pointing at the staged program (the real path is not there yet).
  sed "s|^ExecStart=/usr/bin/|ExecStart=$S/bin/|" "$UNIT" >"$WORK/widget-consumer.service"
  out=$(systemd-analyze verify --man=no "$WORK/widget-consumer.service" 2>&1) ||
    fail "systemd-analyze verify: $out"
  expect_eq "unit: systemd-analyze verify has nothing to say" "$(grep widget-consumer.service <<<"$out" || true)" ""
fi

# --- options from the environment; the command line wins
C=$S/bin/widget-consumer
help=$("$C" --help)
expect_contains "--help names the variable of an option" "$help" "[env WIDGET_CONSUMER_CONCURRENCY]"
expect_contains "--help names both variables of --region" "$help" "[env WIDGET_CONSUMER_REGION, AWS_REGION]"
WIDGET_PRODUCER_MAX_WIDGET_REQUESTS=7 "$S/bin/widget-producer" --request-dir "$WORK/req" \
  --expected "$WORK/expected.json" -q
expect_eq "producer: -mwr from WIDGET_PRODUCER_MAX_WIDGET_REQUESTS" "$(files_in "$WORK/req")" 7
err=$(WIDGET_CONSUMER_REQUEST_DIR=$WORK/req WIDGET_CONSUMER_WIDGET_DIR=$WORK/out \
      WIDGET_CONSUMER_LOG_FORMAT=json WIDGET_CONSUMER_MAX_EMPTY_POLLS=1 "$C" --log-format text 2>&1)
expect_eq "consumer: source, store and --max-empty-polls from the environment" \
  "$(grep -c 'outcome=applied' <<<"$err")" 7
expect_eq "consumer: --log-format on the command line beats the environment" "$(grep -c '^{' <<<"$err" || true)" 0
expect_eq "verify: store and expected state from the environment" \
  "$(WIDGET_VERIFY_WIDGET_DIR=$WORK/out WIDGET_VERIFY_EXPECTED=$WORK/expected.json "$S/bin/widget-verify" | cut -c1-3)" "OK:"
"$S/bin/widget-producer" --request-dir "$WORK/req2" -mwr 3 -q
out=$(WIDGET_CONSUMER_QUIET=yes WIDGET_CONSUMER_LOG_FORMAT=json WIDGET_CONSUMER_LOG_FILE=$WORK/c.log \
      "$C" --request-dir "$WORK/req2" --widget-dir "$WORK/out" --max-empty-polls 1 2>&1)
expect_eq "consumer: a flag from the environment (WIDGET_CONSUMER_QUIET=yes)" "$out" ""
expect_eq "consumer: JSON lines from WIDGET_CONSUMER_LOG_FORMAT" \
  "$(python3 -c 'import json,sys; print(sum(json.loads(l).get("outcome")=="applied" for l in open(sys.argv[1])))' "$WORK/c.log")" 3
set +e
err=$(WIDGET_CONSUMER_CONCURRENCY=many "$C" --request-dir "$WORK/req" --widget-dir "$WORK/out" 2>&1); rc=$?
set -e
expect_eq "a bad value from the environment: exit 2" "$rc" 2
expect_eq "a bad value from the environment: named" "$err" 'widget-consumer: WIDGET_CONSUMER_CONCURRENCY: "many" is not a whole number'
set +e
err=$(WIDGET_CONSUMER_DURABLE=maybe "$C" --request-dir "$WORK/req" --widget-dir "$WORK/out" 2>&1); rc=$?
set -e
expect_eq "a flag's variable that is not true or false: exit 2" "$rc" 2
expect_eq "a flag's variable that is not true or false: named" "$err" 'widget-consumer: WIDGET_CONSUMER_DURABLE: "maybe" is not true or false'
out=$(WIDGET_CONSUMER_HELP=1 WIDGET_CONSUMER_VERSION=1 "$C" --version)
expect_eq "--help and --version never come from the environment" "$out" "widget-consumer $VERSION"

# --- a release build where cmocka is not there: the programs alone, a warning, no unit tests
PC=$WORK/pkgconfig
mkdir -p "$PC"
for dir in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
  [ -d "$dir" ] && for pc in "$dir"/*.pc; do
    [ -e "$pc" ] && [ "$(basename "$pc")" != cmocka.pc ] && ln -sf "$pc" "$PC/"
  done
done
PKG_CONFIG_LIBDIR=$PC pkg-config --exists cmocka && fail "cmocka still visible"
PKG_CONFIG_LIBDIR=$PC cmake -S "$SRC" -B "$WORK/nocmocka" -DCMAKE_BUILD_TYPE=Release -DWC_WERROR=ON \
  >"$WORK/configure.log" 2>&1 || { cat "$WORK/configure.log"; fail "configure without cmocka failed"; }
expect_contains "configure without cmocka: says the unit tests are not built" "$(cat "$WORK/configure.log")" \
  "cmocka not found: the unit tests are not built"
cmake --build "$WORK/nocmocka" -j"$(nproc)" >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; fail "release build without cmocka failed"; }
expect_eq "release build without cmocka: the programs" \
  "$(ls "$WORK/nocmocka" | grep -cE '^widget-(consumer|producer|verify)$')" 3
expect_eq "release build without cmocka: no unit test" "$(ls "$WORK/nocmocka" | grep -c '^test_' || true)" 0
DESTDIR=$WORK/stage2 cmake --install "$WORK/nocmocka" --prefix /opt/wc >/dev/null
expect_contains "--prefix honoured by the unit" "$(cat "$WORK/stage2/opt/wc/lib/systemd/system/widget-consumer.service")" \
  $'\nExecStart=/opt/wc/bin/widget-consumer\n'
echo "$checks passed, 0 failed"
