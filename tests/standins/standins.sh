#!/usr/bin/env bash
# The local stand-ins for AWS: fauxqs (S3 + SQS), dynalite (DynamoDB), and in front of both the
# signature-checking proxy (botocore). Installs them (npm, pinned, into .cache/standins) and
# what they need (Debian packages), starts them on free 127.0.0.1 ports, and stops them by PID.
#
#   standins.sh start DIR   -> DIR/env (source it: endpoints and test credentials), DIR/pids
#   standins.sh stop DIR
#   standins.sh install
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
  local fq dl px
  fq=$(free_port); dl=$(free_port); px=$(free_port)
  # The test credentials: the proxy accepts these and nothing else.
  local key=AKIDWIDGETTEST0001 secret=wJalrXUtnFEMI/K7MDENG+bPxRfiCYWIDGETKEY
  setsid node "$HERE/fauxqs.mjs" "$CACHE/node_modules" "$fq" >"$dir/fauxqs.log" 2>&1 &
  echo $! >> "$dir/pids"
  setsid node "$CACHE/node_modules/dynalite/cli.js" --port "$dl" --host 127.0.0.1 --createTableMs 0 \
    --deleteTableMs 0 >"$dir/dynalite.log" 2>&1 &
  echo $! >> "$dir/pids"
  setsid python3 "$HERE/sigv4_proxy.py" --port "$px" --fauxqs "127.0.0.1:$fq" --dynamodb "127.0.0.1:$dl" \
    --access-key "$key" --secret-key "$secret" --region us-east-1 >"$dir/proxy.log" 2>&1 &
  echo $! >> "$dir/pids"
  wait_port "$fq" fauxqs "$dir/fauxqs.log"
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
  *) echo "usage: standins.sh install | start DIR | stop DIR" >&2; exit 2 ;;
esac
