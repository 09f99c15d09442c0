#!/usr/bin/env bash
# Run the tests, after installing what they need: the Python packages in a virtual
# environment, .venv (see venv.sh), and Debian's Chromium, redis-server, Docker engine
# and debootstrap when missing. The container tests start dockerd when it is not
# running, and stop it after.
#   bash scripts/test.sh         every tier (tests/README.md)
#   bash scripts/test.sh fast    the unit and API tiers only, which need none of
#                                Debian's packages, in two processes (pytest-xdist):
#                                under a minute on two idle cores
# Other arguments go to pytest (after "fast" too: `bash scripts/test.sh fast -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

tiers=()
if [[ ${1:-} == fast ]]; then
    shift
    # Two processes: no test of these tiers shares a port, a server or a file with
    # another (each gets its own tmp_path; the MNIST and elbow caches are written
    # atomically), so they split across two cores. worksteal: a worker done early
    # takes tests from the other, which may hold a long one (the 3,000-session flood).
    tiers=(-n 2 --dist worksteal tests/unit tests/api)
else
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
fi

source scripts/venv.sh requirements-test.txt
exec python -m pytest "${tiers[@]}" "$@"
