"""A Temporal Python worker that serves registered stages on one task queue."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterable
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from .activity import StageActivity
from .registry import StageFunction, select_stages
from .s3 import S3ObjectStore, S3Settings
from .store import ObjectStore

DEFAULT_ADDRESS = "127.0.0.1:7233"

GRACEFUL_SHUTDOWN = timedelta(seconds=2)
"""How long running stages get after SIGTERM/SIGINT before they are cancelled: short, so the
worker exits within seconds; an interrupted stage is retried elsewhere and charged what it spent."""


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM/SIGINT set ``stop``; a second signal gets the default behaviour (exit now)."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal() -> None:
        stop.set()
        for number in signals:
            loop.remove_signal_handler(number)

    try:
        for number in signals:
            loop.add_signal_handler(number, on_signal)
    except (NotImplementedError, RuntimeError, ValueError):
        pass  # not the main thread, or no signal support: the caller cancels run_worker instead


async def run_worker(
    task_queue: str,
    *,
    address: str | None = None,
    namespace: str = "default",
    max_concurrent: int = 1,
    stages: Iterable[str | StageFunction] | None = None,
    store: ObjectStore | None = None,
) -> None:
    """Serves ``runStage`` for the registered stages (all, or those named in ``stages``) on
    ``task_queue`` until SIGTERM/SIGINT or until cancelled.

    Temporal is at ``address``, else $TEMPORAL_ADDRESS, else 127.0.0.1:7233. The stage cache is
    ``store``, else S3 configured from the MEMOTUNE_S3_* and AWS_* variables.
    Prints one line to stdout once the worker polls (scripts wait for it).
    """
    selected = select_stages(stages)
    if not selected:
        raise ValueError("no stages registered: decorate stage functions with @memotune.stage")
    if store is None:
        store = S3ObjectStore.from_settings(S3Settings.from_env())
    client = await Client.connect(address or os.environ.get("TEMPORAL_ADDRESS") or DEFAULT_ADDRESS, namespace=namespace)
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[StageActivity(store, selected).run_stage],
        max_concurrent_activities=max_concurrent,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )
    stop = asyncio.Event()
    _stop_on_signals(stop)
    async with worker:
        print(f"memotune python worker: queue {task_queue}; stages {','.join(sorted(selected))}", flush=True)
        await stop.wait()
