"""The worker's log lines as JSON, one object a line (``python -m memotune worker --log-format
json``), in the shape of ``memotune worker --log-format json``: ``time`` (ISO 8601, UTC),
``level`` (TRACE/DEBUG/INFO/WARN/ERROR), ``message``, then ``logger`` and the record's extra fields
(the SDK's activity context as ``activityId``, ``workflowId``, … as the TypeScript SDK names
them; SDK Core's lines with their ``target`` and fields) as top-level fields; an exception as
``error``, a stack as ``stack``; a field named like one of the line's own as ``meta.<name>``."""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
# Python's levels for MEMOTUNE_LOG_LEVEL's names (TRACE is SDK Core's, below DEBUG).
_PYTHON_LEVELS = {"TRACE": 5, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
                  "ERROR": logging.ERROR}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The level names of the TypeScript workers' lines, so one query finds both.
_LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR", "Level 9": "TRACE"}
# What every LogRecord has: the rest of its attributes are a caller's ``extra`` fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
_MAX_DEPTH = 8


def parse_log_format(value: str) -> str:
    """``text`` or ``json``, any case; a ValueError naming the choices otherwise."""
    format_ = value.strip().lower()
    if format_ not in LOG_FORMATS:
        raise ValueError(f"must be {' or '.join(LOG_FORMATS)}, got '{value}'")
    return format_


def parse_log_level(value: str) -> str:
    """MEMOTUNE_LOG_LEVEL as the TypeScript worker reads it: TRACE, DEBUG, INFO, WARN or ERROR, any
    case; a ValueError naming the choices otherwise."""
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}, got '{value}'")
    return level


def python_log_level(level: str) -> int:
    """The ``logging`` level of a :func:`parse_log_level` name."""
    return _PYTHON_LEVELS[level]


def core_log_filter(level: str) -> tuple[str, str]:
    """SDK Core's own level and that of the libraries under it (gRPC, HTTP) for ``level``: the
    libraries stay at ERROR unless DEBUG or TRACE asks for everything, as the SDK's default does
    (the same rule as the TypeScript worker's)."""
    return level, level if level in ("DEBUG", "TRACE") else "ERROR"


class JsonLogFormatter(logging.Formatter):
    """Never raises: a record that cannot be formatted (arguments that do not fit its message, a
    value whose ``str`` fails) becomes a line with what could be read and a ``logError``, not
    logging's multi-line "--- Logging error ---" report."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "level": _LEVELS.get(record.levelname, record.levelname),
        }
        try:
            line["message"] = _cut(record.getMessage())
        except Exception as error:  # the arguments do not fit the message
            line["message"] = _cut(str(_plain(record.msg, [], 0)))
            line["logError"] = f"message arguments: {type(error).__name__}: {error}"
        line["logger"] = record.name
        try:
            for key, value in vars(record).items():
                if key in _STANDARD or key.startswith("_"):
                    continue
                if key == "temporal_log":  # SDK Core's line, forwarded: its target and fields, as the TypeScript side
                    line["target"] = getattr(value, "target", None)
                    fields = getattr(value, "fields", None)
                    for name, field in (fields if isinstance(fields, dict) else {}).items():
                        _put(line, str(name), _plain(field, [], 0))
                elif key in ("temporal_activity", "temporal_workflow") and isinstance(value, dict):
                    for name, field in value.items():  # the SDK's context, named as the TypeScript SDK names it
                        _put(line, _camel(str(name)), _plain(field, [], 0))
                else:
                    _put(line, key, _plain(value, [], 0))
        except Exception as error:
            line["logError"] = f"extra fields: {type(error).__name__}: {error}"
        if record.exc_info:
            _put(line, "error", self.formatException(record.exc_info), own=True)
        elif record.exc_text:
            _put(line, "error", record.exc_text, own=True)
        if record.stack_info:
            _put(line, "stack", record.stack_info, own=True)
        try:
            return json.dumps(line, allow_nan=False, ensure_ascii=False)
        except Exception as error:  # a value the checks above let through
            return json.dumps(
                {key: line[key] for key in ("time", "level", "message", "logger")}
                | {"logError": f"{type(error).__name__}: {error}"},
                ensure_ascii=False,
            )


_RESERVED_FIELDS = {"time", "level", "message", "logger", "target", "logError"}
_OWN_FIELDS = {"error", "stack"}
# The SDK's context fields whose TypeScript names are not just camelCase.
_RENAMED = {"workflow_run_id": "runId", "run_id": "runId"}


def _put(line: dict[str, Any], key: str, value: Any, own: bool = False) -> None:
    """Sets a field; a caller's field named like one of the line's own becomes ``meta.<name>``."""
    if not own and (key in _RESERVED_FIELDS or key in _OWN_FIELDS or key in line):
        key = f"meta.{key}"
    line[key] = value


def _camel(name: str) -> str:
    if name in _RENAMED:
        return _RENAMED[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _cut(text: str) -> str:
    if len(text) <= _MAX_STRING:
        return text
    return f"{text[:_MAX_STRING]}… ({len(text) - _MAX_STRING} more characters)"


_MAX_STRING = 10_000
_MAX_ITEMS = 100


def _plain(value: Any, ancestors: list[int], depth: int) -> Any:
    """``value`` as JSON can hold it: non-finite numbers and unknown objects as strings, bytes as
    their length, long strings and lists cut, cycles and deep nesting cut short; never raises."""
    try:
        if value is None or isinstance(value, (bool, str)):
            return _cut(value) if isinstance(value, str) else value
        if isinstance(value, int):
            return value if -(2**63) <= value < 2**63 else str(value)
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
            items = list(value.items())
            out = {str(key): _plain(item, inner, depth + 1) for key, item in items[:_MAX_ITEMS]}
            if len(items) > _MAX_ITEMS:
                out["…"] = f"{len(items) - _MAX_ITEMS} more fields"
            return out
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
            listed = [_plain(item, inner, depth + 1) for item in items[:_MAX_ITEMS]]
            return listed + ([f"… {len(items) - _MAX_ITEMS} more"] if len(items) > _MAX_ITEMS else [])
        return _cut(str(value))
    except Exception as error:
        return f"[Unserializable: {type(error).__name__}: {error}]"
