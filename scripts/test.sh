#!/usr/bin/env bash
# `npm test`: installs what is missing, type-checks, lints, runs the unit tests, then the
# integration tests against a real Temporal dev server and a real S3 server (versitygw) that the
# vitest global setup builds (once, cached) and starts on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
mkdir -p .memotune/reports

echo "== type-check (tsc --noEmit, strict)"
npx tsc -p tsconfig.json --noEmit
echo "== lint (eslint)"
npx eslint .
echo "== unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.memotune/reports/unit.json
echo "== Python stage package (pytest, no server)"
python="$(bash scripts/ensure-python.sh)"
"$python" -m pytest python/tests examples -q -p no:cacheprovider --junitxml=.memotune/reports/python.xml
# The report test opens the HTML study report in headless Chromium (Debian's, installed if missing).
bash scripts/ensure-chromium.sh >/dev/null
echo "== integration tests (real Temporal + S3, TypeScript and Python workers)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=.memotune/reports/integration.json

# One closing line over both layers.
node -e '
const fs = require("fs");
const files = [".memotune/reports/unit.json", ".memotune/reports/integration.json"];
let passed = 0, failed = 0, skipped = 0;
for (const file of files) {
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
}
const suite = fs.readFileSync(".memotune/reports/python.xml", "utf8").match(/<testsuite [^>]*>/)[0];
const count = (name) => Number(suite.match(new RegExp(` ${name}="(\\d+)"`))[1]);
const pyFailed = count("failures") + count("errors"), pySkipped = count("skipped");
passed += count("tests") - pyFailed - pySkipped; failed += pyFailed; skipped += pySkipped;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed === 0 || failed > 0) process.exit(1);
'
