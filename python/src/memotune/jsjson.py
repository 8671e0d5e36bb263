"""JSON text as JavaScript's ``JSON.stringify`` writes it.

The stage cache is shared with TypeScript workers: a JSON output written here is read with
``JSON.parse`` there and vice versa, and ``meta.json`` should look the same whoever wrote it.
Python's :func:`json.dumps` differs from ``JSON.stringify`` in number formatting (``1.0`` vs ``1``,
``1e-07`` vs ``1e-7``, ``NaN`` vs ``null``) and spacing, so numbers are formatted here by the
ECMAScript ``Number::toString`` rules. Strings are escaped like JSON.stringify does (UTF-8, only
``"``, ``\\`` and control characters escaped, lone surrogates as ``\\udxxx``).

Differences that remain, none of which changes what a reader parses: object keys keep Python's
insertion order (JavaScript lists integer-like keys first), and integers are written exactly
(JavaScript would round those beyond 2**53).
"""

from __future__ import annotations

import json.encoder
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """The JSON text of ``value`` (dict with str keys, list/tuple, str, number, bool, None).

    Raises:
        TypeError: for values JSON cannot represent (sets, arrays, objects, non-str keys).
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def plain_scalar(value: Any) -> Any:
    """A zero-dimensional array or numpy scalar (``np.float32(0.5)``, ``np.mean(...)`` of an axis,
    a torch loss tensor) as the Python bool, int or float it holds, as Optuna takes one; anything
    else as it is."""
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        try:
            return value.item()
        except Exception:  # not numpy after all: checked as it is
            return value
    return value


def number_to_string(value: float) -> str:
    """ECMAScript ``Number::toString`` of a finite float (what JSON.stringify writes)."""
    if value == 0:
        return "0"  # JSON.stringify(-0) is "0" too
    # repr gives the shortest digits that round-trip, the same digits JavaScript picks.
    text = repr(value)
    sign = "-" if text[0] == "-" else ""
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # value = 0.<digits> x 10**point, digits without leading or trailing zeros.
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        body = digits + "0" * (point - k)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * -point + digits
    else:
        power = point - 1
        exp = ("+" if power >= 0 else "-") + str(abs(power))
        body = digits + "e" + exp if k == 1 else digits[0] + "." + digits[1:] + "e" + exp
    return sign + body


def _string(text: str) -> str:
    escaped = json.encoder.encode_basestring(text)
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", escaped)


def _write(value: Any, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True or value is False:
        parts.append("true" if value else "false")
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, numbers.Integral):
        parts.append(str(int(value)))
    elif isinstance(value, numbers.Real):
        number = float(value)
        parts.append(number_to_string(number) if math.isfinite(number) else "null")
    elif isinstance(value, Mapping):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__} ({key!r})")
            if index:
                parts.append(",")
            parts.append(_string(key))
            parts.append(":")
            _write(item, parts)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    elif type(value).__module__ == "numpy" and getattr(value, "shape", None) == () and hasattr(value, "item"):
        # A NumPy scalar numbers.Integral/Real do not cover (np.bool_), or a 0-d array: its Python value.
        _write(value.item(), parts)
    else:
        kind = type(value)
        named = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
        raise TypeError(f"{named} is not JSON-serializable")
