"""What a stage returns, and the checks that keep unusable results out of the cache."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Union

from .jsjson import plain_scalar


@dataclass(frozen=True)
class StageResult:
    """What a stage returns: its ``output`` (committed to the stage cache under the prefix's key,
    what later stages and later trials sharing the prefix read), its ``metrics`` (numbers only; the
    last stage's hold the study's objective) and, optionally, its ``cost``. A dict with these keys
    is accepted too. E.g. ``StageResult(output=ctx.workdir / "model.pkl", metrics={"val_acc": 0.93})``."""

    output: Any
    """What later stages read: a JSON-able value (dict/list/str/number/bool/None), ``bytes``, or —
    for outputs of any size, streamed to the store without being held in memory — a
    :class:`pathlib.Path` to a local file or directory, :func:`output_file`,
    :func:`output_directory` or :func:`output_stream` (the names the TypeScript API uses)."""
    metrics: Mapping[str, float] | None = None
    """Finite numbers to report; the last stage must report the study's objective metric."""
    cost: float | None = None
    """Cost of this run in cost units. Default: the attempt's wall-clock seconds, from its start
    (reading earlier outputs included) to the commit of the output (its upload included)."""


@dataclass(frozen=True)
class FileOutput:
    """The output is this file's bytes (format ``bytes``); see :func:`output_file`."""

    path: Path


@dataclass(frozen=True)
class DirectoryOutput:
    """The output is this directory's tree (format ``directory``); see :func:`output_directory`."""

    path: Path


StreamSource = Union[BinaryIO, Iterable[bytes]]
"""A binary file object (anything with ``read(n)``) or an iterable of bytes chunks."""


@dataclass(frozen=True)
class StreamOutput:
    """The output is what this stream yields (format ``bytes``); see :func:`output_stream`."""

    source: StreamSource


def output_file(path: str | os.PathLike[str]) -> FileOutput:
    """The output is the file at ``path``, read after the stage returns: hashed, then uploaded while
    it is hashed again, so it must stay unchanged until the attempt ends (a file in ``ctx.workdir``
    does). The same as returning the :class:`~pathlib.Path` itself."""
    return FileOutput(Path(path))


def output_directory(path: str | os.PathLike[str]) -> DirectoryOutput:
    """The output is the directory at ``path`` — a checkpoint folder, a dataset — stored as a tar
    archive of its contents (regular files, directories, symbolic links) and read after the stage
    returns, like :func:`output_file`. Later stages get it back with ``StageOutput.path()`` or
    ``to_directory()``."""
    return DirectoryOutput(Path(path))


def output_stream(source: StreamSource) -> StreamOutput:
    """The output is what ``source`` yields (a binary file object, a pipe, an iterable of bytes),
    read once after the stage returns: written to a temporary file in ``ctx.workdir`` while it is
    hashed, then uploaded from there (so an upload interrupted by an outage can start again).
    Prefer :func:`output_file` when the bytes are on disk already."""
    if isinstance(source, (bytes, bytearray, memoryview, str)):
        raise TypeError("output_stream: source must be a stream; return bytes as the output itself")
    if not callable(getattr(source, "read", None)) and not isinstance(source, Iterable):
        raise TypeError("output_stream: source must be a binary file object or an iterable of bytes")
    return StreamOutput(source)


class InvalidResult(ValueError):
    """The stage returned something memotune cannot store; re-running it will not help."""


_RESULT_FIELDS = {"output", "metrics", "cost"}


def finite_number(value: Any) -> float | None:
    """``value`` as a float if it is a finite real number (numpy scalars included, bools not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):  # an int beyond the float range
        return None
    return number if math.isfinite(number) else None


def _is_number(value: Any) -> bool:
    return finite_number(value) is not None


def _plain(value: Any) -> int | float:
    """numpy scalars and other Real types as the built-in number they equal."""
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _non_finite_name(value: Any) -> str | None:
    """``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (as the TypeScript worker names them) for a
    real number that is not finite, else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond the float range
        number = math.inf if value > 0 else -math.inf
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return None


def check_result(raw: Any, stage_name: str) -> tuple[StageResult, dict[str, str]]:
    """The stage's result with metrics and cost as plain numbers, and the metrics it reported as
    NaN or ±Infinity (by name: ``"NaN"``, ``"Infinity"``, ``"-Infinity"``), which are left out of
    its metrics: a diverged loss is data, not a bug (only a non-finite objective fails the trial).

    Accepts a :class:`StageResult` or a dict with an ``output`` key (and optionally ``metrics``
    and ``cost``; any other key is reported, as it is most likely a typo).

    Raises:
        InvalidResult: no output, unknown keys, non-numeric metrics, a negative or non-finite
            cost.
    """
    if isinstance(raw, StageResult):
        result = raw
    elif isinstance(raw, Mapping) and "output" in raw:
        unknown = sorted(str(name) for name in raw if name not in _RESULT_FIELDS)
        if unknown:
            raise InvalidResult(
                f"stage '{stage_name}' returned unknown result fields {unknown}; expected output, metrics, cost"
            )
        result = StageResult(raw["output"], raw.get("metrics"), raw.get("cost"))
    else:
        raise InvalidResult(f"stage '{stage_name}' must return a StageResult or a dict with an 'output' field")

    metrics = result.metrics if result.metrics is not None else {}
    if not isinstance(metrics, Mapping):
        raise InvalidResult(f"stage '{stage_name}' reported metrics = {metrics!r}; metrics must be a dict")
    metrics = {name: plain_scalar(value) for name, value in metrics.items()}
    non_finite: dict[str, str] = {}
    for name, value in metrics.items():
        if isinstance(name, str) and (infinite := _non_finite_name(value)) is not None:
            non_finite[name] = infinite
        elif not isinstance(name, str) or not _is_number(value):
            raise InvalidResult(f"stage '{stage_name}' reported metrics.{name} = {value!r}; metrics must be numbers")
    cost = plain_scalar(result.cost)
    if cost is not None and not (_is_number(cost) and cost >= 0):
        raise InvalidResult(f"stage '{stage_name}' reported cost = {cost!r}; cost must be a finite number >= 0")
    checked = StageResult(
        output=result.output,
        metrics={name: _plain(value) for name, value in metrics.items() if name not in non_finite},
        cost=None if cost is None else _plain(cost),
    )
    return checked, non_finite
