#!/usr/bin/env bash
# Install what the tests need (Debian's Chromium, redis-server, Docker engine and
# debootstrap when missing, the Python packages in a virtual environment, .venv:
# see venv.sh), then run every test. Extra arguments go to pytest. The container
# tests start dockerd when it is not running, and stop it after.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]]; }
missing=()
have chromium || missing+=(chromium)
have redis-server || missing+=(redis-server)
have dockerd || missing+=(docker.io)
have debootstrap || missing+=(debootstrap)
if ((${#missing[@]})); then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

source scripts/venv.sh requirements-test.txt
exec python -m pytest "$@"
