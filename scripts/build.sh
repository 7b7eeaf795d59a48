#!/usr/bin/env bash
# Builds into build/ (or the folder named by $1), warnings as errors. Extra cmake flags may follow.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DWC_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
