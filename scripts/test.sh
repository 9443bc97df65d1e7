#!/usr/bin/env bash
# Set everything up and run the whole test suite, services included.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-deps.sh test
scripts/browser-deps.sh
make --no-print-directory venv EXTRAS=test,speech,speech-test
scripts/services.sh start
trap 'scripts/services.sh stop' EXIT
set -a
eval "$(scripts/services.sh env)"
set +a
# Fail, rather than skip, when a service the suite needs is missing.
export PORTEVOIX_REQUIRE_SERVICES=1
.venv/bin/python -m pytest "$@"
