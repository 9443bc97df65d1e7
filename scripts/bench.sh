#!/usr/bin/env bash
# Run every benchmark against SQLite and a real PostgreSQL; each prints JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh bench
scripts/services.sh start
trap 'scripts/services.sh stop' EXIT
set -a
eval "$(scripts/services.sh env)"
set +a
for bench in bench/[a-z]*.py; do
    .venv/bin/python -m "bench.$(basename "$bench" .py)"
done
