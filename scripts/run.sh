#!/usr/bin/env bash
# Install what the app needs (a virtual environment in .venv, see venv.sh) and run
# it on http://127.0.0.1:5000 with sessions in memory. Extra arguments go to
# `flask run` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
# MNIST parsed and the built-in data sets' elbows computed once, at install (seconds
# the first time; a look at the cache after that), so that no student waits for them.
python -m flask --app app prepare
exec python -m flask --app app run --port 5000 "$@"
