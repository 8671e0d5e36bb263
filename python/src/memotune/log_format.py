"""The worker's log lines as JSON, one object a line (``python -m memotune worker --log-format
json``), in the shape of ``memotune worker --log-format json``: ``time`` (ISO 8601, UTC),
``level`` (TRACE/DEBUG/INFO/WARN/ERROR), ``message``, then ``logger`` and the record's extra fields
(the SDK's ``temporal_activity`` context, …) as top-level fields; an exception as ``error``."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The level names of the TypeScript workers' lines, so one query finds both.
_LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}
# What every LogRecord has: the rest of its attributes are a caller's ``extra`` fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_RESERVED = ("time", "level", "message")
_MAX_DEPTH = 8


def parse_log_format(value: str) -> str:
    """``text`` or ``json``, any case; a ValueError naming the choices otherwise."""
    format_ = value.strip().lower()
    if format_ not in LOG_FORMATS:
        raise ValueError(f"must be {' or '.join(LOG_FORMATS)}, got '{value}'")
    return format_


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "level": _LEVELS.get(record.levelname, record.levelname),
            "message": record.getMessage(),
            "logger": record.name,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[f"meta.{key}" if key in _RESERVED or key == "logger" else key] = _plain(value, [], 0)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, allow_nan=False)


def _plain(value: Any, ancestors: list[int], depth: int) -> Any:
    """``value`` as JSON can hold it: non-finite numbers and unknown objects as strings, bytes as
    their length, cycles and deep nesting cut short."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return value.isoformat()
    if id(value) in ancestors:
        return "[Circular]"
    if isinstance(value, (list, tuple, set, frozenset, dict)) and depth >= _MAX_DEPTH:
        return "[Object]"
    inner = [*ancestors, id(value)]
    if isinstance(value, dict):
        return {str(key): _plain(item, inner, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item, inner, depth + 1) for item in value]
    return str(value)
