#!/usr/bin/env bash
# Install the Debian packages a target needs, only when they are missing.
# Usage: scripts/system-deps.sh run|test|bench
set -euo pipefail

needed=()
need() { # need COMMAND_OR_PATH PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -e "$1" ]; then needed+=("$2"); fi
}

# Debian ships venv without ensurepip unless python3-venv is installed.
python3.11 -c "import ensurepip" >/dev/null 2>&1 || needed+=(python3-venv)
# The paper channel reads boxed capitals and digits with Tesseract and its French model.
need tesseract tesseract-ocr
[ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/fra.traineddata 2>/dev/null || true)" ] \
    || needed+=(tesseract-ocr-fra)
if [ "${1:-run}" != run ]; then
    [ -n "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null || true)" ] || needed+=(postgresql)
    need redis-server redis-server
    # French test speech for the speech-to-text tests, generated on the machine.
    need espeak-ng espeak-ng
    # The browser tests drive Debian's Chromium; axe-core comes from the npm registry.
    need /usr/bin/chromium chromium
    need npm npm
fi
# The benchmarks load the servers with wrk, so the client costs little CPU.
[ "${1:-run}" != bench ] || need wrk wrk
[ ${#needed[@]} -eq 0 ] && exit 0

mapfile -t needed < <(printf '%s\n' "${needed[@]}" | sort -u)
echo "installing Debian packages: ${needed[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "${needed[@]}" \
    || { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends "${needed[@]}"; }
