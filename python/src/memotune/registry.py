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

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)


_registry: dict[str, StageDefinition] = {}


def stage(name: str, *, params: type | None = None) -> Callable[[F], F]:
    """Registers a function as the stage implementation ``name``.

    The function takes a :class:`~memotune.StageContext` and returns a
    :class:`~memotune.StageResult` (or a dict with ``output``/``metrics``/``cost``). Plain
    functions run in a worker thread; ``async def`` functions run on the worker's event loop.
    The function is returned unchanged, so it can still be called directly in tests.
    """
    if params is not None:
        check_params_type(params)

    def register(fn: F) -> F:
        existing = _registry.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(
                f"stage '{name}' is already registered (by {existing.fn.__module__}.{existing.fn.__qualname__})"
            )
        _registry[name] = StageDefinition(name, fn, params)
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
