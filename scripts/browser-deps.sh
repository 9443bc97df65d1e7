#!/usr/bin/env bash
# axe-core, the accessibility rules the browser tests run inside every page, from the
# npm registry into var/browser (not committed), only when that version is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.14.1
target=var/browser
installed="$target/node_modules/axe-core/package.json"
if [ -f "$installed" ] && grep -q "\"version\": \"$AXE_VERSION\"" "$installed"; then
    exit 0
fi
echo "installing axe-core $AXE_VERSION from the npm registry into $target"
mkdir -p "$target"
npm install --prefix "$target" --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
