#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts (or reuses) the local Temporal + S3 stack,
# runs workers in-process and an example EEIPU study on the paper's synthetic 3-stage pipeline.
# Extra arguments go to `memotune demo` (e.g. npm run demo -- --method random --budget 100).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node bin/memotune.js demo "$@"
