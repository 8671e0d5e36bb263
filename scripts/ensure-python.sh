#!/usr/bin/env bash
# Creates (once) the Python environment for Python stage workers and their tests:
#   .memotune/venv  with python/ installed editable, plus its [examples] and [test] extras,
#   fetched from PyPI at the versions python/pyproject.toml pins (extras) and python/constraints.txt
#   fixes (the package's own dependencies, which pyproject.toml gives as ranges).
# In an installed package (under node_modules) the venv lives in a per-user cache instead,
# $MEMOTUNE_CACHE_DIR (default ~/.cache/memotune)/python-<hash of the package path>/venv, with the
# [examples] extra only: a reinstall of the package does not wipe it, and a read-only install
# (global, or a container's image) needs nothing written inside it.
# Re-installs only when python/pyproject.toml or python/constraints.txt changes (their sha256 is
# stamped in the venv).
# Needs python3 >= 3.10 on PATH (or MEMOTUNE_PYTHON). Progress goes to stderr; prints the venv's
# python on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "$PWD" == */node_modules/* ]]; then
  CACHE_DIR="${MEMOTUNE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/memotune}"
  STATE_DIR="$CACHE_DIR/python-$(printf '%s' "$PWD" | sha256sum | cut -c1-16)"
  EXTRAS="examples"
else
  STATE_DIR="$PWD/.memotune"
  EXTRAS="examples,test"
fi
VENV="$STATE_DIR/venv"
STAMP="$VENV/.memotune-pyproject.sha256"
PYTHON="${MEMOTUNE_PYTHON:-python3}"

log() { echo "[memotune python] $*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON not found: Python >= 3.10 is required (e.g. apt-get install python3 python3-venv) for Python stage workers."
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  log "Python >= 3.10 is required for Python stage workers; $PYTHON is $("$PYTHON" --version 2>&1)."
  exit 1
fi

want="$(cat python/pyproject.toml python/constraints.txt | sha256sum | cut -d' ' -f1)"
mkdir -p "$STATE_DIR"
# Serialize concurrent callers (tests and a worker started together) on one lock.
exec 9>"$STATE_DIR/.python.lock"
flock 9

# A venv whose base interpreter disappeared (pyenv upgrade) is rebuilt, not reused.
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && "$VENV/bin/python" -c '' 2>/dev/null; then
  echo "$VENV/bin/python"
  exit 0
fi
if ! "$VENV/bin/python" -c '' 2>/dev/null; then
  log "creating $VENV with $("$PYTHON" --version 2>&1)..."
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" >&2; then
    log "creating the venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
    exit 1
  fi
fi
rm -f "$STAMP"
log "installing python/ and its pinned dependencies from PyPI..."
"$VENV/bin/python" -m pip install --no-input --progress-bar off --disable-pip-version-check \
  -c python/constraints.txt -e "./python[$EXTRAS]" >&2
echo "$want" >"$STAMP"
log "ready: $VENV"
echo "$VENV/bin/python"
