#!/usr/bin/env bash
# What one update costs the consumer on a widget of 10, 100, 1,000, 3,000 and 10,000 attributes, on each
# store (directory, DynamoDB on dynalite, S3 on fauxqs; called directly, without the
# signature-checking proxy, so the figures are the consumer's). Exact order (the ledger read,
# applied and written with the widget every time).
#
# For each store and size: a directory source with one create of N attributes and U updates
# named a00000... (each sets two of its attributes and the label; names short so that 10,000 fit
# in a DynamoDB item), applied by one consumer; the same without the
# updates; the difference of their CPU time (user + sys), over U, is the CPU of one update, and
# the widget is checked at the end. Usage: bench/ledger_cost.sh [U] (default 200).
set -euo pipefail
cd "$(dirname "$0")/.."
U=${1:-200}
bash scripts/deps.sh
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
bash scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
base=/dev/shm
[ -d "$base" ] || base=/tmp
W=$(mktemp -d "$base/wc-ledger-XXXXXX")
trap 'bash tests/standins/standins.sh stop "$W/standins" >/dev/null 2>&1; rm -rf "$W"' EXIT
bash tests/standins/standins.sh start "$W/standins" >/dev/null
source "$W/standins/env"

# requests DIR N WITH_UPDATES: the create (file 1000000000000) and, with updates, U more.
requests() {
  local dir=$1 n=$2 updates=$3
  mkdir -p "$dir"
  python3 - "$dir" "$n" "$updates" "$U" <<'EOF'
import json, sys
d, n, with_updates, u = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
def req(t, **kw):
    r = {"type": t, "requestId": "r-%s" % kw.pop("rid"), "widgetId": "w-%d" % n, "owner": "Sue Smith"}
    r.update(kw)
    return json.dumps(r, separators=(",", ":"))
attrs = [{"name": "a%05d" % i, "value": "v%d" % i} for i in range(n)]
open("%s/1000000000000" % d, "w").write(req("create", rid="c", label="L0", otherAttributes=attrs))
if with_updates:
    for k in range(1, u + 1):
        a = [{"name": "a%05d" % ((k * 7) % n), "value": "u%d" % k},
             {"name": "a%05d" % ((k * 13 + 1) % n), "value": "w%d" % k}]
        open("%s/%013d" % (d, 1000000000000 + k), "w").write(
            req("update", rid="u%d" % k, label="L%d" % k, otherAttributes=a))
EOF
}

# cpu STORE_ARGS...: runs the consumer, prints its user + sys seconds.
cpu() {
  /usr/bin/time -f "%U %S" -o "$W/time" build/widget-consumer --max-empty-polls 1 --poll-interval 10 --max-request-bytes 4194304 -q "$@" \
    || { echo "ledger_cost: consumer failed: $*" >&2; exit 1; }
  awk '{ printf "%.4f", $1 + $2 }' "$W/time"
}

store_args() { # STORE NAME
  case $1 in
    dir) echo "--widget-dir $W/widgets-$2" ;;
    dynamodb) aws --endpoint-url "$WC_DYNALITE" dynamodb create-table --table-name "$2" --billing-mode PAY_PER_REQUEST \
                --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH >/dev/null
              echo "-dwt $2 --endpoint-url $WC_DYNALITE" ;;
    s3) aws --endpoint-url "$WC_FAUXQS" s3api create-bucket --bucket "$2" >/dev/null
        echo "-wb $2 --endpoint-url $WC_FAUXQS" ;;
  esac
}

# The label of the widget as stored, to check that the last update won.
label_of() { # STORE NAME N
  case $1 in
    dir) python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["label"])' "$W/widgets-$2/widgets/sue-smith/w-$3" ;;
    dynamodb) aws --endpoint-url "$WC_DYNALITE" dynamodb get-item --table-name "$2" --key "{\"id\":{\"S\":\"w-$3\"}}" \
                --query Item.label.S --output text ;;
    s3) aws --endpoint-url "$WC_FAUXQS" s3 cp "s3://$2/widgets/sue-smith/w-$3" - 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])' ;;
  esac
}

echo "ledger cost: CPU of one update (exact order) by widget size, $U updates each, one consumer"
printf '%-10s %12s %12s %12s %12s %12s\n' store 10 100 1000 3000 10000
for store in dir dynamodb s3; do
  line=$(printf '%-10s' "$store")
  for n in 10 100 1000 3000 10000; do
    requests "$W/only-$store-$n" "$n" 0
    requests "$W/all-$store-$n" "$n" 1
    a=$(cpu --request-dir "$W/only-$store-$n" $(store_args "$store" "lc-a-$store-$n"))
    b=$(cpu --request-dir "$W/all-$store-$n" $(store_args "$store" "lc-b-$store-$n") --log-file "$W/log-$store-$n")
    got=$(label_of "$store" "lc-b-$store-$n" "$n")
    [ "$got" = "L$U" ] || { echo "ledger_cost: $store $n: label $got, not L$U; the consumer's log:" >&2; tail -5 "$W/log-$store-$n" >&2; exit 1; }
    line+=$(awk -v a="$a" -v b="$b" -v u="$U" 'BEGIN { v = (b - a) / u * 1e6; if (v < 0) v = 0; printf " %9.0f us", v }')
  done
  echo "$line"
done
