"""The module-global stage registry the ``@stage`` decorator fills and workers serve from."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .params import check_params_type

StageFunction = Callable[..., Any]
F = TypeVar("F", bound=StageFunction)


@dataclass(frozen=True)
class StageDefinition:
    name: str
    """The implementation name a study config routes to (``implementation``, default the stage name)."""
    fn: StageFunction
    params: type | None = None
    """Dataclass or TypedDict that ``ctx.params`` is built as; ``None`` for the plain dict."""
    version: str | None = None
    """The version of this code (``@stage(..., version="2")``): a study whose config gives the
    stage another ``version`` is refused by it, instead of mixing this code's outputs with those
    the cache holds for that version. ``None``: any."""

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


_registry: dict[str, StageDefinition] = {}


def stage(name: str, *, params: type | None = None, version: str | None = None) -> Callable[[F], F]:
    """Registers a function as the stage implementation ``name``.

    The function takes a :class:`~memotune.StageContext` and returns a
    :class:`~memotune.StageResult` (or a dict with ``output``/``metrics``/``cost``). Plain
    functions run in a worker thread; ``async def`` functions run on the worker's event loop.
    The function is returned unchanged, so it can still be called directly in tests.

    ``version``: the version of this code, to be bumped with the study config's stage ``version``
    whenever the code changes what it outputs. A study whose config names another version is
    refused (``StageVersionMismatch``, not retried), so changed code cannot run under the version
    whose cached outputs older code made.
    """
    if params is not None:
        check_params_type(params)
    if version is not None and (not isinstance(version, str) or not version):
        raise TypeError(f"version= must be a non-empty string, not {version!r}")

    def register(fn: F) -> F:
        existing = _registry.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(
                f"stage '{name}' is already registered (by {existing.fn.__module__}.{existing.fn.__qualname__})"
            )
        _registry[name] = StageDefinition(name, fn, params, version)
        return fn

    return register


def registered_stages() -> dict[str, StageDefinition]:
    """Every registered stage by implementation name (a copy)."""
    return dict(_registry)


def select_stages(selection: Iterable[str | StageFunction] | None) -> dict[str, StageDefinition]:
    """The registered stages a worker serves: all of them, or the given names / decorated functions.

    Raises:
        ValueError: a name or function that is not registered.
    """
    if selection is None:
        return registered_stages()
    by_function = {definition.fn: definition for definition in _registry.values()}
    chosen: dict[str, StageDefinition] = {}
    for item in selection:
        definition = _registry.get(item) if isinstance(item, str) else by_function.get(item)
        if definition is None:
            raise ValueError(f"{item!r} is not a registered stage (decorate it with @memotune.stage)")
        chosen[definition.name] = definition
    return chosen
