#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<3)) { console.error("memotune needs Node >= 20.3 (found "+process.versions.node+")"); process.exit(1) }'
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[memotune] installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
# The CLI and workers run compiled JavaScript (lib/), as they do from an installed package.
if [[ ! -f lib/src/cli/main.js ]] || [[ -n "$(find src workflows activities workers package.json tsconfig.json tsconfig.build.json -newer lib/src/cli/main.js -print -quit 2>/dev/null)" ]]; then
  echo "[memotune] building lib/ (tsc -p tsconfig.build.json)..." >&2
  npx tsc -p tsconfig.build.json >&2
  touch lib/src/cli/main.js
fi
