"""How the Python side reaches Temporal: one connection config, and a process exit that waits for
the SDK's network threads to leave Python."""

from __future__ import annotations

import atexit
import time
from typing import Any

from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile

from .local_stack import local_stack

DEFAULT_ADDRESS = "127.0.0.1:7233"

EXIT_GRACE_SECONDS = 0.05
"""How long a process that talked to Temporal lets go of the GIL before the interpreter shuts down."""

_exit_guarded = False

_connections: dict[str, Client] = {}
"""Clients by their connection config: a script polling ``study_progress`` reuses one connection
(a Temporal client is not tied to the event loop it was made on)."""


def connect_config(
    *, address: str | None = None, namespace: str | None = None, profile: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect``: explicit values over the environment and profile.

    Raises:
        ValueError: when the config file or the requested profile cannot be read.
    """
    try:
        loaded = ClientConfigProfile.load(profile=profile).to_client_connect_config()
    except (OSError, RuntimeError, ValueError) as error:
        raise ValueError(f"cannot read the Temporal connection settings: {error}") from error
    config: dict[str, Any] = dict(loaded)
    stack = local_stack()
    config["target_host"] = (
        address or config.get("target_host") or (stack or {}).get("temporalAddress") or DEFAULT_ADDRESS
    )
    config["namespace"] = namespace or config.get("namespace") or "default"
    return config


async def connect(
    client: Client | None = None,
    *,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> Client:
    """``client`` when given, else this process's connection for :func:`connect_config`'s settings
    (made on first use); either way the process's exit is guarded (:func:`guard_exit`)."""
    guard_exit()
    if client is not None:
        return client
    config = connect_config(address=address, namespace=namespace, profile=profile)
    key = repr(sorted(config.items()))
    if key not in _connections:
        _connections[key] = await Client.connect(**config)
    return _connections[key]


def guard_exit() -> None:
    """Makes the interpreter's exit wait ``EXIT_GRACE_SECONDS`` with the GIL released.

    The SDK's Rust threads hand each RPC's result to asyncio by running Python code with the GIL
    held (temporalio/sdk-python#300). When such a thread is preempted after the event loop has seen
    the result, the program can finish and reach interpreter finalization before that thread takes
    the GIL back: the process then aborts ("Fatal Python error: PyGILState_Release") or segfaults
    after its work is done. Measured on a loaded 2-core machine, a script making one RPC and
    exiting did so 76 times in 150; with this guard 0 in 150. Exit callbacks run before
    finalization starts, so sleeping in one lets the thread finish.
    """
    global _exit_guarded
    if not _exit_guarded:
        atexit.register(time.sleep, EXIT_GRACE_SECONDS)
        _exit_guarded = True
