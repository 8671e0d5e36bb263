#!/usr/bin/env bash
# Builds (once) the two servers the local stack needs, from the Go module proxy:
#   - the Temporal CLI (dev server with SQLite persistence and the Web UI embedded)
#   - versitygw (an S3-compatible server on a POSIX directory)
# Binaries are cached per version under $MEMOTUNE_TOOLS_DIR (default ~/.cache/memotune/tools),
# outside the work tree, so a fresh clone on the same machine skips the 10-25 min cold build.
# Prints nothing but progress on stderr; prints the bin dir on stdout.
set -euo pipefail

TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.7.0}"
TOOLS_DIR="${MEMOTUNE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/memotune/tools}"

log() { echo "[memotune tools] $*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "Go is required to build the local servers (Go >= 1.25). Install it (e.g. apt-get install golang-go, or https://go.dev/dl) and retry."
    exit 1
  fi
}

build() { # name version module
  local name="$1" version="$2" module="$3"
  local dir="$TOOLS_DIR/$name-$version"
  if [[ -x "$dir/$name" ]]; then return 0; fi
  need_go
  mkdir -p "$dir"
  log "building $name $version with Go (first run only; can take 10-25 minutes on 2 cores)..."
  local tmp; tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  if ! CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-mod=mod go install -trimpath -ldflags="-s -w" "$module@$version" >&2; then
    rm -rf "$tmp"; log "building $name failed"; exit 1
  fi
  # Atomic publish: a half-built binary is never seen as cached.
  mv "$tmp/$name" "$dir/$name"; rm -rf "$tmp"
  log "built $dir/$name"
}

mkdir -p "$TOOLS_DIR"
# Serialize concurrent callers (demo + tests started together) on one lock.
exec 9>"$TOOLS_DIR/.lock"
flock 9
build temporal "$TEMPORAL_CLI_VERSION" github.com/temporalio/cli/cmd/temporal
build versitygw "$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw
mkdir -p "$TOOLS_DIR/bin"
ln -sf "$TOOLS_DIR/temporal-$TEMPORAL_CLI_VERSION/temporal" "$TOOLS_DIR/bin/temporal"
ln -sf "$TOOLS_DIR/versitygw-$VERSITYGW_VERSION/versitygw" "$TOOLS_DIR/bin/versitygw"
echo "$TOOLS_DIR/bin"
