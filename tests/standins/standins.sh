#!/usr/bin/env bash
# The local stand-ins for AWS: fauxqs (S3 + SQS), dynalite (DynamoDB), and in front of both the
# signature-checking proxy (botocore). Installs them (npm, pinned, into .cache/standins) and
# what they need (Debian packages), starts them on free 127.0.0.1 ports, and stops them by PID.
#
#   standins.sh start DIR   -> DIR/env (source it: endpoints and test credentials), DIR/pids
#   standins.sh stop DIR
#   standins.sh install
#   standins.sh stop-one DIR NAME / start-one DIR NAME   (NAME: fauxqs or dynalite)
#
# For outage tests, WC_STANDINS_OUTAGES=1 at start: dynalite keeps its tables on disk
# (DIR/dynalite-data), so it can be stopped and started again on the same port with its data;
# fauxqs keeps everything in memory, so a TCP gate (gate.py) is put in front of it and stopping
# "fauxqs" stops the gate instead (its port refuses connections; fauxqs keeps its state).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$ROOT/.cache/standins

install() {
  local need=()
  command -v node >/dev/null || need+=(nodejs npm)
  command -v python3 >/dev/null || need+=(python3)
  python3 -c 'import botocore' 2>/dev/null || need+=(python3-botocore)
  command -v aws >/dev/null || need+=(awscli)
  if [ ${#need[@]} -gt 0 ]; then
    echo "standins: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  mkdir -p "$CACHE"
  if ! cmp -s "$HERE/package.json" "$CACHE/package.json" || [ ! -d "$CACHE/node_modules/fauxqs" ] ||
     [ ! -d "$CACHE/node_modules/dynalite" ]; then
    cp "$HERE/package.json" "$CACHE/package.json"
    echo "standins: npm install (fauxqs 1.9.2, dynalite 4.0.0) into $CACHE" >&2
    (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {
  local port=$1 name=$2 log=$3
  for _ in $(seq 200); do
    python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && return 0
    sleep 0.1
  done
  echo "standins: $name did not start on port $port; its log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

start() {
  local dir=$1
  install
  mkdir -p "$dir"
  : > "$dir/pids"
  rm -f "$dir/fauxqs.log" "$dir/dynalite.log" "$dir/gate.log"
  local fq dl px
  fq=$(free_port); dl=$(free_port); px=$(free_port)
  # The test credentials: the proxy accepts these and nothing else.
  local key=AKIDWIDGETTEST0001 secret=wJalrXUtnFEMI/K7MDENG+bPxRfiCYWIDGETKEY
  local durable=() fq_inner=$fq
  if [ "${WC_STANDINS_OUTAGES:-}" = 1 ]; then
    fq_inner=$(free_port)
    durable=(--path "$dir/dynalite-data")
    launch "$dir" gate "$fq" python3 "$HERE/gate.py" "$fq" "$fq_inner"
  fi
  launch "$dir" fauxqs "$fq_inner" node "$HERE/fauxqs.mjs" "$CACHE/node_modules" "$fq_inner"
  launch "$dir" dynalite "$dl" node "$CACHE/node_modules/dynalite/cli.js" --port "$dl" --host 127.0.0.1 \
    --createTableMs 0 --deleteTableMs 0 "${durable[@]}"
  setsid python3 "$HERE/sigv4_proxy.py" --port "$px" --fauxqs "127.0.0.1:$fq" --dynamodb "127.0.0.1:$dl" \
    --access-key "$key" --secret-key "$secret" --region us-east-1 >"$dir/proxy.log" 2>&1 &
  echo $! >> "$dir/pids"
  wait_port "$fq_inner" fauxqs "$dir/fauxqs.log"
  [ "$fq_inner" = "$fq" ] || wait_port "$fq" gate "$dir/gate.log"
  wait_port "$dl" dynalite "$dir/dynalite.log"
  wait_port "$px" sigv4-proxy "$dir/proxy.log"
  cat > "$dir/env" <<ENV
export WC_ENDPOINT=http://127.0.0.1:$px
export WC_FAUXQS=http://127.0.0.1:$fq
export WC_DYNALITE=http://127.0.0.1:$dl
export AWS_ACCESS_KEY_ID=$key
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_DYNAMODB
ENV
}

# launch DIR NAME PORT COMMAND...: starts one stand-in, remembering how (DIR/NAME.cmd, .port,
# .pid) so that start-one can start it again on the same port.
launch() {
  local dir=$1 name=$2 port=$3
  shift 3
  printf '%q ' "$@" > "$dir/$name.cmd"
  echo "$port" > "$dir/$name.port"
  setsid "$@" >>"$dir/$name.log" 2>&1 &
  echo $! > "$dir/$name.pid"
  echo $! >> "$dir/pids"
}

# The process that stands for NAME's outage: fauxqs' gate when there is one.
one() {
  local dir=$1 name=$2
  case $name in
    fauxqs) [ -f "$dir/gate.cmd" ] && echo gate || echo fauxqs ;;
    dynalite) echo dynalite ;;
    *) echo "standins: no stand-in named $name (fauxqs, dynalite)" >&2; return 2 ;;
  esac
}

stop_one() {
  local dir=$1 name
  name=$(one "$dir" "$2")
  local pid
  pid=$(cat "$dir/$name.pid")
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  echo "standins: $name (PID $pid) did not stop" >&2
  return 1
}

start_one() {
  local dir=$1 name
  name=$(one "$dir" "$2")
  local port
  port=$(cat "$dir/$name.port")
  eval "setsid $(cat "$dir/$name.cmd") >>\"\$dir/\$name.log\" 2>&1 &"
  echo $! > "$dir/$name.pid"
  echo $! >> "$dir/pids"
  wait_port "$port" "$name" "$dir/$name.log"
}

stop() {
  local dir=$1
  [ -f "$dir/pids" ] || return 0
  while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done < "$dir/pids"
  sleep 0.2
  while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < "$dir/pids"
  rm -f "$dir/pids"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?standins.sh start DIR}" ;;
  stop) stop "${2:?standins.sh stop DIR}" ;;
  stop-one) stop_one "${2:?standins.sh stop-one DIR NAME}" "${3:?standins.sh stop-one DIR NAME}" ;;
  start-one) start_one "${2:?standins.sh start-one DIR NAME}" "${3:?standins.sh start-one DIR NAME}" ;;
  *) echo "usage: standins.sh install | start DIR | stop DIR | stop-one DIR NAME | start-one DIR NAME" >&2; exit 2 ;;
esac
