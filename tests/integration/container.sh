#!/usr/bin/env bash
# The container image and the Kubernetes manifests, run with podman against the stand-ins.
#   1. A Debian 12 base image made here (no registry is reachable): debootstrap (minbase) from the
#      apt mirror this machine uses, `podman import`; the tarball is cached in .cache/container/,
#      the image in podman's store, so a second run skips both.
#   2. The Dockerfile built with BASE_IMAGE=that base: labels, health check, a non-root user.
#   3. Two containers (host network) drain one FIFO queue into one table while the producer writes
#      it; `podman stop` (SIGTERM) of one in the middle of the run drains within its
#      --shutdown-timeout with exit 0; the other finishes; widget-verify: exact.
#   4. `podman kube play` of deploy/kubernetes/ (through a test overlay: the image built here, host
#      network, the stand-ins' endpoint and credentials, no probes: see below) drains another queue
#      exactly with two replicas; `podman kube down` after.
# Needs root (podman, runc and debootstrap are installed when missing). Exit 77 (skipped, with the
# reason) when this machine cannot run containers at all.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/aws_lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$ROOT/.cache/container
BASE=localhost/wc-debian:bookworm
IMAGE=localhost/widget-consumer:test
N=2000
skip() { echo "SKIP: $*"; exit 77; }

# --- podman, runc, debootstrap
need=()
# (catatonit: the pause process of the pods of `podman kube play`)
for cmd in podman runc debootstrap catatonit; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || skip "needs root to install ${need[*]}"
  echo "container: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ "$(id -u)" -eq 0 ] || skip "podman is run as root here (rootless podman needs subuids and a user session)"

# --- the base image
if ! podman image exists "$BASE"; then
  mkdir -p "$CACHE"
  if [ ! -f "$CACHE/bookworm-minbase.tar" ]; then
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || fail "no Debian mirror in /etc/apt/sources.list*"
    echo "container: debootstrap bookworm from $mirror (once; cached in $CACHE)"
    rm -rf "$CACHE/rootfs"
    debootstrap --variant=minbase bookworm "$CACHE/rootfs" "$mirror" > "$CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$CACHE/debootstrap.log"; fail "debootstrap failed"; }
    rm -rf "$CACHE/rootfs/var/cache/apt/archives/"*.deb "$CACHE/rootfs/var/lib/apt/lists/"*
    tar -C "$CACHE/rootfs" --numeric-owner -cf "$CACHE/bookworm-minbase.tar.tmp" .
    mv "$CACHE/bookworm-minbase.tar.tmp" "$CACHE/bookworm-minbase.tar"
    rm -rf "$CACHE/rootfs"
  fi
  podman import --change 'CMD ["/bin/bash"]' "$CACHE/bookworm-minbase.tar" "$BASE" >/dev/null
fi
ok "base image $BASE (Debian 12 from debootstrap)"

# --- can this machine run a container? runc may be refused the rlimits podman asks for.
PODMAN=(podman)
if ! probe=$(podman run --rm --network host "$BASE" true 2>&1); then
  if [[ "$probe" == *"error setting rlimit"* ]]; then
    echo "NOTE: runc was refused the container's rlimits on this machine (${probe##*error during container init: })."
    echo "NOTE: podman runs with --runtime tests/container/runc-no-rlimits, which drops process.rlimits from"
    echo "NOTE: the OCI bundle: the containers inherit the runtime's own limits (nofile $(ulimit -n))."
    PODMAN=(podman --runtime "$ROOT/tests/container/runc-no-rlimits")
    probe=$("${PODMAN[@]}" run --rm --network host "$BASE" true 2>&1) ||
      skip "podman cannot run a container here even without rlimits: $probe"
  else
    skip "podman cannot run a container here: $probe"
  fi
fi
ok "podman runs containers (runtime: ${PODMAN[*]:1})"
# No systemd timers for the HEALTHCHECK (there may be no systemd): the test runs it itself. (podman
# 4.3 still complains that it cannot reach systemd: that goes to $WORK/podman.log.)
NOTIMER=(--health-interval disable)
containers=()
pods_yaml=
cleanup_containers() {
  if [ -n "$pods_yaml" ]; then
    "${PODMAN[@]}" kube down "$pods_yaml" >/dev/null 2>&1 || true
    # A kube play that failed half-way may leave pods that kube down does not take.
    for p in $("${PODMAN[@]}" pod ps -q --filter "name=^$RUN-k8s-pod-" 2>/dev/null); do
      "${PODMAN[@]}" pod rm -f "$p" >/dev/null 2>&1 || true
    done
  fi
  for c in "${containers[@]}"; do "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  cleanup
}
trap cleanup_containers EXIT

# --- the image
t0=$(date +%s)
"${PODMAN[@]}" build --format docker --network host --build-arg "BASE_IMAGE=$BASE" \
  --build-arg "REVISION=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  -t "$IMAGE" "$ROOT" > "$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log"; fail "podman build failed"; }
build_s=$(($(date +%s) - t0))
ok "podman build of the Dockerfile (${build_s} s)"
inspect() { "${PODMAN[@]}" image inspect --format "$1" "$IMAGE"; }
expect_eq "the image runs as a numeric non-root user" "$(inspect '{{.Config.User}}')" "10001:10001"
expect_eq "the entrypoint is widget-consumer" "$(inspect '{{json .Config.Entrypoint}}')" '["widget-consumer"]'
expect_eq "the stop signal is SIGTERM" "$(inspect '{{.Config.StopSignal}}')" "SIGTERM"
expect_eq "OCI title label" "$(inspect '{{index .Labels "org.opencontainers.image.title"}}')" "widget-consumer"
version=$("$CONSUMER" --version | awk '{ print $NF }')
expect_eq "OCI version label = the program's version" \
  "$(inspect '{{index .Labels "org.opencontainers.image.version"}}')" "$version"
expect_contains "a HEALTHCHECK" "$(inspect '{{json .Config.Healthcheck}}')" "kill -0 1"
image_version=$("${PODMAN[@]}" run --rm --network host "${NOTIMER[@]}" "$IMAGE" --version 2>>"$WORK/podman.log")
expect_contains "the program in the image runs" "$image_version" "$version"
image_help=$("${PODMAN[@]}" run --rm --network host "${NOTIMER[@]}" "$IMAGE" --help 2>>"$WORK/podman.log" || true)
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")

# --- two containers drain one queue into one table; one is stopped (SIGTERM) in the middle
url=$(mk_queue "$RUN-requests.fifo" --attributes FifoQueue=true)
dlq=$(mk_queue "$RUN-dead")
mk_table "$RUN-widgets"
for i in 1 2; do
  name=wc-test-$$-$i
  containers+=("$name")
  "${PODMAN[@]}" run -d --name "$name" --network host "${NOTIMER[@]}" \
    -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION \
    "$IMAGE" -rq "$RUN-requests.fifo" -dwt "$RUN-widgets" --dead-letter-queue "$RUN-dead" \
    --endpoint-url "$EP" -qwt 1 --retry-delay 200 --shutdown-timeout 5000 >/dev/null 2>>"$WORK/podman.log"
done
uid=$("${PODMAN[@]}" exec wc-test-$$-1 awk '/^Uid:/ { print $2 }' /proc/1/status)
comm=$("${PODMAN[@]}" exec wc-test-$$-1 cat /proc/1/comm)
expect_eq "the consumer is PID 1 of its container" "$comm" "widget-consumer"
expect_eq "the consumer runs as uid 10001, not root" "$uid" "10001"
"${PODMAN[@]}" healthcheck run wc-test-$$-1 >/dev/null || fail "the HEALTHCHECK fails on a running consumer"
ok "the HEALTHCHECK passes on a running consumer"
"$PRODUCER" -rq "$RUN-requests.fifo" --endpoint-url "$EP" -mwr $N --seed 9 -d 1 \
  --expected "$WORK/expected.json" -q &
producer=$!
PIDS+=("$producer")
applied() { "${PODMAN[@]}" logs "$1" 2>&1 | grep -c outcome=applied || true; }
wait_until 30 "consumer 1 applying 200 requests" output_is -ge 200 applied wc-test-$$-1
t0=$(date +%s%N)
"${PODMAN[@]}" stop -t 30 wc-test-$$-1 >/dev/null 2>>"$WORK/podman.log"
stop_ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "podman stop (SIGTERM) mid-run: consumer 1 exits 0" \
  "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' wc-test-$$-1)" 0
[ "$stop_ms" -lt 7000 ] || fail "podman stop took $stop_ms ms (--shutdown-timeout 5000)"
ok "consumer 1 drained and stopped in $stop_ms ms (within --shutdown-timeout 5000 + 2 s)"
log1=$("${PODMAN[@]}" logs wc-test-$$-1 2>&1)
expect_contains "consumer 1 says it was stopped by the signal" "$log1" "consumer stopped by signal"
wait "$producer" || fail "the producer failed"
wait_until 60 "the request queue empty" output_is -eq 0 queue_depth "$url"
ok "the request queue is empty"
"${PODMAN[@]}" stop -t 30 wc-test-$$-2 >/dev/null 2>>"$WORK/podman.log"
expect_eq "consumer 2 exits 0 on podman stop" "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' wc-test-$$-2)" 0
c1=$(applied wc-test-$$-1)
c2=$(applied wc-test-$$-2)
[ "$c2" -gt 0 ] || fail "consumer 2 applied nothing"
dead=$(queue_depth "$dlq")
"${PODMAN[@]}" logs wc-test-$$-1 > "$WORK/c1.log" 2>&1
"${PODMAN[@]}" logs wc-test-$$-2 > "$WORK/c2.log" 2>&1
dups=$(cat "$WORK/c1.log" "$WORK/c2.log" | grep outcome=applied | grep -o 'requestId=[^ ]*' | sort | uniq -d | wc -l)
expect_eq "no request applied twice" "$dups" 0
expect_eq "every request applied once or dead-lettered" $((c1 + c2 + dead)) $N
out=$("$VERIFY" -dwt "$RUN-widgets" --endpoint-url "$EP" --expected "$WORK/expected.json") || fail "$out"
expect_contains "two containers: the table equals the expected state" "$out" "OK: "

# --- the Kubernetes manifests with podman kube play
K8S=$ROOT/deploy/kubernetes
kurl=$(mk_queue "$RUN-k8s.fifo" --attributes FifoQueue=true)
mk_queue "$RUN-k8s-dead" >/dev/null
mk_table "$RUN-k8s-widgets"
"$PRODUCER" -rq "$RUN-k8s.fifo" --endpoint-url "$EP" -mwr 1000 --seed 11 --expected "$WORK/k8s-expected.json" -q
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
has_metrics=0
[[ "$image_help" == *"--metrics-addr"* ]] && has_metrics=1
# Every WIDGET_CONSUMER_* variable of the manifests is one the program reads (--help names them),
# and KEDA's queueURLFromEnv names the ConfigMap's queue variable.
printf '%s\n' "$image_help" > "$WORK/help.txt"
# check_manifests K8S_DIR: exit 1 with the reason on a mismatch.
check_manifests() {
  python3 - "$1" "$ROOT/deploy/ecs/task-definition.json" "$WORK/help.txt" "$has_metrics" <<'PY'
import json, sys, yaml
k8s, ecs, help_path, has_metrics = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
help_text = open(help_path).read()
cm = yaml.safe_load(open(f"{k8s}/configmap.yaml"))["data"]
ecs_env = [e["name"] for e in json.load(open(ecs))["containerDefinitions"][0]["environment"]]
names = sorted({n for n in list(cm) + ecs_env if n.startswith("WIDGET_CONSUMER_")})
for n in names:
    if n == "WIDGET_CONSUMER_METRICS_ADDR" and not has_metrics:
        print(f"NOTE: {n}: this build has no --metrics-addr (issue 9 item 1); the program ignores it")
        continue
    if f"[env {n}]" not in help_text:
        sys.exit(f"{n} is not an option of widget-consumer --help")
docs = list(yaml.safe_load_all(open(f"{k8s}/scaledobject.yaml")))
so = next(d for d in docs if d["kind"] == "ScaledObject")
trigger = so["spec"]["triggers"][0]
assert trigger["type"] == "aws-sqs-queue", trigger["type"]
env = trigger["metadata"]["queueURLFromEnv"]
if env not in cm:
    sys.exit(f"queueURLFromEnv {env} is not in the ConfigMap")
dep = yaml.safe_load(open(f"{k8s}/deployment.yaml"))
if so["spec"]["scaleTargetRef"]["name"] != dep["metadata"]["name"]:
    sys.exit("the ScaledObject does not target the Deployment")
print(f"{len(names)} variables checked")
PY
}
check_manifests "$K8S" > "$WORK/vars.txt" 2>&1 || fail "manifests: $(cat "$WORK/vars.txt")"
cat "$WORK/vars.txt"
# The check can fail: a ConfigMap with a variable the program does not read is refused.
cp -r "$K8S" "$WORK/bad-k8s"
printf '  WIDGET_CONSUMER_NO_SUCH_OPTION: "1"\n' >> "$WORK/bad-k8s/configmap.yaml"
! bad=$(check_manifests "$WORK/bad-k8s" 2>&1) || fail "a ConfigMap with an unknown variable passed the check"
expect_contains "the check refuses a variable the program does not read" "$bad" "WIDGET_CONSUMER_NO_SUCH_OPTION"
ok "manifests name only the program's variables; KEDA reads the queue URL from the ConfigMap's"
# The test overlay: the image built here, host network (the stand-ins listen on 127.0.0.1), the
# stand-ins' queue, table, endpoint and test credentials, and no probes (podman runs an httpGet
# probe as curl inside the image, which has no curl; with --metrics-addr the test fetches /healthz
# and /readyz itself).
python3 - "$K8S" "$WORK" "$IMAGE" "$RUN" "$EP" "$metrics_port" "$has_metrics" <<'PY'
import os, sys, yaml
k8s, work, image, run, ep, port, has_metrics = sys.argv[1:8]
cm = yaml.safe_load(open(f"{k8s}/configmap.yaml"))
cm["metadata"]["name"] = f"{run}-config"
cm["data"].update({
    "WIDGET_CONSUMER_REQUEST_QUEUE": f"{run}-k8s.fifo",
    "WIDGET_CONSUMER_DYNAMODB_WIDGET_TABLE": f"{run}-k8s-widgets",
    "WIDGET_CONSUMER_DEAD_LETTER_QUEUE": f"{run}-k8s-dead",
    "WIDGET_CONSUMER_ENDPOINT_URL": ep,
    "WIDGET_CONSUMER_QUEUE_WAIT_TIMEOUT": "1",
    # host network: the replicas share one host, so each takes a free port (logged at start-up)
    "WIDGET_CONSUMER_METRICS_ADDR": "127.0.0.1:0",
    "WIDGET_CONSUMER_LOG_FORMAT": "text",
    "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
    "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
    "AWS_REGION": os.environ["AWS_REGION"],
})
dep = yaml.safe_load(open(f"{k8s}/deployment.yaml"))
dep["metadata"]["name"] = f"{run}-k8s"
pod = dep["spec"]["template"]["spec"]
pod["hostNetwork"] = True
for c in pod["containers"]:
    c["image"] = image
    c["imagePullPolicy"] = "Never"
    c["envFrom"] = [{"configMapRef": {"name": cm["metadata"]["name"]}}]
    c.pop("ports", None)  # host network: the port is the one in the ConfigMap
    c.pop("livenessProbe")  # podman would run them as curl inside the image, which has none:
    c.pop("readinessProbe")  # with --metrics-addr the test fetches /healthz itself
yaml.safe_dump(cm, open(f"{work}/configmap.yaml", "w"))
yaml.safe_dump(dep, open(f"{work}/deployment.yaml", "w"))
PY
echo "NOTE: the test overlay drops the liveness and readiness probes (podman runs an httpGet probe as curl"
echo "NOTE: inside the image, which has no curl)$([ "$has_metrics" -eq 1 ] || echo "; this build has no --metrics-addr either")"
pods_yaml=$WORK/deployment.yaml
# (--build=false and from $WORK: else kube play builds a folder of the current directory named as
# the image, and ctest runs this in the build folder, where widget-consumer is the program.)
(cd "$WORK" && "${PODMAN[@]}" kube play --build=false --configmap "$WORK/configmap.yaml" "$pods_yaml") \
  > "$WORK/play.log" 2>&1 ||
  { cat "$WORK/play.log"; fail "podman kube play failed"; }
ok "podman kube play of the Deployment"
# One pod a replica: $RUN-k8s-pod-0, -1, ... each with its container <pod>-widget-consumer.
mapfile -t kube_ctrs < <("${PODMAN[@]}" ps --format '{{.Names}}' | grep -- "^$RUN-k8s-pod-[0-9]*-widget-consumer\$" || true)
replicas=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["replicas"])' "$pods_yaml")
expect_eq "a running container for each of the Deployment's replicas" "${#kube_ctrs[@]}" "$replicas"
for kc in "${kube_ctrs[@]}"; do
  expect_eq "$kc runs as uid 10001" "$("${PODMAN[@]}" exec "$kc" awk '/^Uid:/ { print $2 }' /proc/1/status)" "10001"
  expect_eq "$kc has the Deployment's memory limit (128Mi)" \
    "$("${PODMAN[@]}" inspect --format '{{.HostConfig.Memory}}' "$kc")" $((128 * 1024 * 1024))
done
if [ "$has_metrics" -eq 1 ]; then
  pod_metrics_port() { "${PODMAN[@]}" logs "$1" 2>&1 | metrics_port /dev/stdin; }
  for kc in "${kube_ctrs[@]}"; do # each replica's port, from its start-up line
    wait_until 30 "$kc: the metrics port in its log" pod_metrics_port "$kc"
    kport=$seen
    wait_until 30 "$kc: /readyz answering" curl -fsS "http://127.0.0.1:$kport/readyz"
    curl -fsS "http://127.0.0.1:$kport/healthz" >/dev/null || fail "/healthz of $kc"
    curl -fsS "http://127.0.0.1:$kport/readyz" >/dev/null || fail "/readyz of $kc"
  done
  ok "/healthz and /readyz answer on each pod's metrics port"
fi
wait_until 60 "kube play: the request queue empty" output_is -eq 0 queue_depth "$kurl"
ok "kube play: the request queue is empty"
out=$("$VERIFY" -dwt "$RUN-k8s-widgets" --endpoint-url "$EP" --expected "$WORK/k8s-expected.json") || fail "$out"
expect_contains "kube play: the table equals the expected state" "$out" "OK: "
for kc in "${kube_ctrs[@]}"; do "${PODMAN[@]}" logs "$kc" >> "$WORK/k8s.log" 2>&1; done
"${PODMAN[@]}" kube down "$pods_yaml" > "$WORK/down.log" 2>&1 || { cat "$WORK/down.log"; fail "podman kube down failed"; }
pods_yaml=
expect_eq "podman kube down removed the pods" \
  "$("${PODMAN[@]}" pod ps -q --filter "name=^$RUN-k8s-pod-" | wc -l)" 0
kube_applied=$(grep -c outcome=applied "$WORK/k8s.log" || true)
echo "figures: image built in ${build_s} s ($((size / 1024 / 1024)) MiB); two containers, $N requests: $c1 + $c2 applied," \
  "$dead dead-lettered; podman stop mid-run: $stop_ms ms; kube play: 1000 requests, $kube_applied applied by ${#kube_ctrs[@]} pod(s)"
echo "$checks passed, 0 failed"
