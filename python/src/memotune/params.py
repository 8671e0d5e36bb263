"""Typed stage parameters: the study's parameter dict as a dataclass or TypedDict.

A mismatch between the study config and the stage's declared parameters is a bug that no retry
fixes, so it is reported naming the field, before the stage's code runs.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any


class ParamsError(ValueError):
    """The study's parameters do not fit the stage's declared parameter type."""


def check_params_type(params_type: type) -> None:
    """Raises TypeError unless ``params_type`` is a dataclass or a TypedDict."""
    if not (dataclasses.is_dataclass(params_type) or typing.is_typeddict(params_type)):
        raise TypeError(f"params= must be a dataclass or a TypedDict, not {params_type!r}")


def _coerce(annotation: Any, value: Any) -> Any:
    """JSON has one number type: an integral float parameter may arrive as an int."""
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def build_params(params_type: type | None, values: Mapping[str, Any]) -> Any:
    """``values`` as an instance of ``params_type`` (a plain dict copy when it is ``None``).

    Raises:
        ParamsError: a parameter the type has no field for, or a required field with no value.
    """
    if params_type is None:
        return dict(values)
    hints = typing.get_type_hints(params_type)
    name = params_type.__name__
    if dataclasses.is_dataclass(params_type):
        fields = [field for field in dataclasses.fields(params_type) if field.init]
        known = {field.name for field in fields}
        required = {
            field.name
            for field in fields
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        }
    else:
        known = set(hints)
        required = set(getattr(params_type, "__required_keys__", known))
    for key in values:
        if key not in known:
            raise ParamsError(f"the study has a parameter '{key}' that {name} has no field for")
    for key in sorted(required):
        if key not in values:
            raise ParamsError(f"{name} field '{key}' has no value among the study's parameters")
    converted = {key: _coerce(hints.get(key), value) for key, value in values.items()}
    return params_type(**converted)
