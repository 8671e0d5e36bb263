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


class UnknownParamError(KeyError, ParamsError):
    """A stage read a parameter the study does not give (``ctx.params["n_componets"]``): a typo
    between the config and the code, which no retry fixes."""

    def __str__(self) -> str:  # KeyError's own str() is the repr of its key
        return str(self.args[0]) if self.args else ""


class StudyParams(dict[str, Any]):
    """The plain-dict ``ctx.params``: a missing key raises :class:`UnknownParamError` naming the
    parameters the study does give (a ``KeyError`` still, for code that catches one)."""

    def __missing__(self, key: str) -> Any:
        given = ", ".join(f"'{name}'" for name in self) or "none"
        raise UnknownParamError(
            f"the stage reads parameter {key!r}, which the study does not give to this stage (it gives {given})"
        )


def check_params_type(params_type: type) -> None:
    """Raises TypeError unless ``params_type`` is a dataclass or a TypedDict."""
    if not (dataclasses.is_dataclass(params_type) or typing.is_typeddict(params_type)):
        raise TypeError(f"params= must be a dataclass or a TypedDict, not {params_type!r}")


def _coerce(owner: str, key: str, annotation: Any, value: Any) -> Any:
    """``value`` for a field declared ``annotation``: JSON has one number type, so an integral
    float parameter may arrive as an int and becomes a float; a value of another type than the
    field's (a float for an ``int`` field, a number for a ``str``) is a ParamsError naming both.
    Annotations other than int, float, str, bool and Literal are not checked."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is float:
        if is_number:
            return float(value)
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif annotation is str or annotation is bool:
        if type(value) is annotation:
            return value
    elif typing.get_origin(annotation) is typing.Literal:
        choices = typing.get_args(annotation)
        if any(value == choice and type(value) is type(choice) for choice in choices):
            return value
        raise ParamsError(
            f"{owner} field '{key}' is declared {annotation!r}, but the study gave {value!r}: "
            "make the field's choices those of the study's categorical parameter"
        )
    else:
        return value
    hint = (
        " (declare the study's parameter as type 'int', or the field as float)"
        if annotation is int and is_number
        else ""
    )
    raise ParamsError(
        f"{owner} field '{key}' is declared {annotation.__name__}, but the study gave "
        f"{value!r} ({type(value).__name__}){hint}"
    )


def build_params(params_type: type | None, values: Mapping[str, Any]) -> Any:
    """``values`` as an instance of ``params_type`` (a plain dict copy when it is ``None``).

    Raises:
        ParamsError: a parameter the type has no field for, a required field with no value, or a
            value of another type than its field's (int, float, str, bool, Literal are checked).
    """
    if params_type is None:
        return StudyParams(values)
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
    # Every mismatch at once: fixing them one failed trial at a time is slow.
    problems = [f"the study has a parameter '{key}' that {name} has no field for" for key in values if key not in known]
    problems += [
        f"{name} field '{key}' has no value among the study's parameters" for key in sorted(required) if key not in values
    ]
    converted: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            continue
        try:
            converted[key] = _coerce(name, key, hints.get(key), value)
        except ParamsError as error:
            problems.append(str(error))
    if problems:
        raise ParamsError("; ".join(problems))
    return params_type(**converted)
