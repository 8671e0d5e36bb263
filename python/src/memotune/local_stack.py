"""Where the local stack of ``memotune dev`` runs: the stack.json it writes in its state folder
($MEMOTUNE_STATE_DIR, else ./.memotune), read as the TypeScript side reads it
(src/dev/stack-info.ts), so that a Python worker started next to it needs no settings either."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def local_stack(env: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The running stack's stack.json, or None when none was started in this state folder."""
    state_dir = env.get("MEMOTUNE_STATE_DIR") or os.path.join(os.getcwd(), ".memotune")
    try:
        info = json.loads((Path(state_dir) / "stack.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
