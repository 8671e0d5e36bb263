#!/usr/bin/env bash
# Makes Debian's Chromium available for the tests that open the HTML study report in a headless
# browser. playwright-core drives this system binary; it never downloads a browser of its own.
# Installs the `chromium` package (and a font, so text renders) with apt-get when the binary is
# missing; needs root or password-less sudo. Progress goes to stderr; prints the binary on stdout.
#   MEMOTUNE_CHROMIUM  another Chromium binary to use instead (nothing is installed then)
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="${MEMOTUNE_CHROMIUM:-/usr/bin/chromium}"

log() { echo "[memotune chromium] $*" >&2; }

if [[ -x "$CHROMIUM" ]]; then
  echo "$CHROMIUM"
  exit 0
fi
if [[ -n "${MEMOTUNE_CHROMIUM:-}" ]]; then
  log "MEMOTUNE_CHROMIUM=$MEMOTUNE_CHROMIUM is not an executable file; point it at a Chromium binary or unset it."
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "$CHROMIUM is missing and apt-get is not available to install it. Install Chromium with your"
  log "package manager and set MEMOTUNE_CHROMIUM=/path/to/chromium (the report test opens the HTML report in it)."
  exit 1
fi
as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    log "$CHROMIUM is missing and installing it needs root: run \`apt-get install chromium\` as root, then retry."
    exit 1
  fi
fi

mkdir -p .memotune
# Serialize concurrent callers: two apt-get runs at once fail on dpkg's lock.
exec 9>.memotune/.chromium.lock
flock 9
if [[ -x "$CHROMIUM" ]]; then
  echo "$CHROMIUM"
  exit 0
fi

install() {
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-liberation >&2
}
log "installing Debian's chromium with apt-get (first run only)..."
# Package lists on a fresh machine are empty or stale: refresh them once when the install fails.
if ! install; then
  log "refreshing the package lists (apt-get update) and retrying..."
  if ! "${as_root[@]}" apt-get update -qq >&2 || ! install; then
    log "installing chromium with apt-get failed (see above). Install it by hand (apt-get install chromium)"
    log "or set MEMOTUNE_CHROMIUM=/path/to/chromium, then retry."
    exit 1
  fi
fi
if [[ ! -x "$CHROMIUM" ]]; then
  log "apt-get installed chromium but $CHROMIUM is still missing; set MEMOTUNE_CHROMIUM to its binary."
  exit 1
fi
log "ready: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
echo "$CHROMIUM"
