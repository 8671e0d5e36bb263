"""Where the local stack of ``memotune dev`` runs: the stack.json it writes in its state folder
($MEMOTUNE_STATE_DIR, else the nearest ``.memotune/`` with a stack.json in the working directory
or above it), found as the TypeScript side finds it (src/dev/stack-info.ts), so that a Python
worker started anywhere in the project needs no settings either."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def state_dir(env: Mapping[str, str] = os.environ, cwd: str | None = None) -> Path:
    """$MEMOTUNE_STATE_DIR, else the nearest ``.memotune/`` holding a stack.json from ``cwd`` up
    (as git finds ``.git``), else ``cwd/.memotune``."""
    configured = env.get("MEMOTUNE_STATE_DIR")
    if configured:
        return Path(configured)
    start = Path(cwd if cwd is not None else os.getcwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / ".memotune" / "stack.json").is_file():
            return folder / ".memotune"
    return start / ".memotune"


def local_stack(env: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The running stack's stack.json, or None when none was started in this state folder."""
    try:
        info = json.loads((state_dir(env) / "stack.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
