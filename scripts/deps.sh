#!/usr/bin/env bash
# Installs what building and testing widget-consumer needs on Debian 12, when it is missing.
# Runs as root (CI) or through sudo.
set -euo pipefail
PACKAGES=(gcc make cmake pkg-config libjansson-dev libcmocka-dev libssl-dev libcurl4-openssl-dev
          libexpat1-dev libinih-dev libmicrohttpd-dev valgrind time
          openssl ca-certificates # tests/integration/tls.sh makes its CA and certificates
          clang-14 libclang-rt-14-dev cppcheck) # fuzz targets (libFuzzer), static checks
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
