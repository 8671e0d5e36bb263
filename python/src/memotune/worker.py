"""A Temporal Python worker that serves registered stages on one task queue."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from .activity import (
    SCHEDULE_TO_START_BUCKETS,
    SCHEDULE_TO_START_METRIC,
    STAGE_ATTEMPT_BUCKETS,
    STAGE_ATTEMPT_METRIC,
    StageActivity,
    _package_version,
)
from .connection import connect, connect_config, guard_exit
from .registry import StageFunction, select_stages
from .s3 import S3ObjectStore, S3Settings
from .store import ObjectStore

GRACEFUL_SHUTDOWN = timedelta(seconds=2)
"""How long running stages get after SIGTERM/SIGINT before they are cancelled: short, so the
worker exits within seconds; an interrupted stage is retried elsewhere and charged what it spent."""


_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT set ``stop``; a second signal gets the default behaviour (exit now).
    Returns what puts the loop's signal handling back as it was: a caller that cancels
    ``run_worker`` (an embedding program) must get its Ctrl-C back."""
    loop = asyncio.get_running_loop()
    installed: list[int] = []

    def restore() -> None:
        for number in installed:
            loop.remove_signal_handler(number)
        installed.clear()

    def on_signal() -> None:
        stop.set()
        restore()

    try:
        for number in _SIGNALS:
            loop.add_signal_handler(number, on_signal)
            installed.append(number)
    except (NotImplementedError, RuntimeError, ValueError):
        pass  # not the main thread, or no signal support: the caller cancels run_worker instead
    return restore


def _metrics_runtime(address: str) -> Runtime:
    """A Runtime whose Prometheus exporter listens on ``address`` (``ip:port``)."""
    try:
        return Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(
                    bind_address=address,
                    histogram_bucket_overrides={
                        STAGE_ATTEMPT_METRIC: list(STAGE_ATTEMPT_BUCKETS),
                        SCHEDULE_TO_START_METRIC: list(SCHEDULE_TO_START_BUCKETS),
                    },
                )
            )
        )
    except Exception as error:  # e.g. the port is taken: say which option
        raise ValueError(f"--metrics {address}: {error}") from error


async def run_worker(
    task_queue: str,
    *,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
    max_concurrent: int = 1,
    stages: Iterable[str | StageFunction] | None = None,
    store: ObjectStore | None = None,
    metrics: str | None = None,
) -> None:
    """Serves ``runStage`` for the registered stages (all, or those named in ``stages``) on
    ``task_queue`` until SIGTERM/SIGINT or until cancelled.

    Temporal is reached like the TypeScript side does it (src/client/temporal-connection.ts):
    ``address`` and ``namespace`` when given, over the TEMPORAL_* variables, over ``profile`` (else
    $TEMPORAL_PROFILE, else ``default``) of the Temporal config file — TLS, mTLS and API key come
    from there — else the local stack of ``memotune dev``, else 127.0.0.1:7233, and namespace
    ``default``. The stage cache is ``store``, else S3 configured from the MEMOTUNE_S3_* and AWS_*
    variables, else the local stack's. ``metrics`` (``ip:port``) serves the worker's metrics for
    Prometheus at ``http://ip:port/metrics``: the SDK's worker metrics and
    ``memotune_stage_attempt_seconds`` (by stage and outcome), as ``memotune worker --metrics``.
    Prints one line to stdout once the worker polls (scripts wait for it).
    """
    selected = select_stages(stages)
    if not selected:
        raise ValueError("no stages registered: decorate stage functions with @memotune.stage")
    if store is None:
        store = S3ObjectStore.from_settings(S3Settings.from_env())
    if metrics is None:
        client = await connect(address=address, namespace=namespace, profile=profile)
    else:
        guard_exit()  # before connecting: a failed connection exits through the guard too
        client = await connect(
            await Client.connect(
                **connect_config(address=address, namespace=namespace, profile=profile),
                runtime=_metrics_runtime(metrics),
            )
        )
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[StageActivity(store, selected, identity=client.identity).run_stage],
        max_concurrent_activities=max_concurrent,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )
    stop = asyncio.Event()
    restore_signals = _stop_on_signals(stop)
    try:
        async with worker:
            # The first words are what a supervisor waits for (src/worker/python-worker.ts).
            print(
                f"memotune python worker: queue {task_queue}; stages {','.join(sorted(selected))}; "
                f"on {client.service_client.config.target_host} (namespace {client.namespace}); "
                f"store {store.describe() if isinstance(store, S3ObjectStore) else type(store).__name__}; "
                + ("" if metrics is None else f"metrics http://{metrics}/metrics; ")
                + f"memotune {_package_version()}",
                flush=True,
            )
            await stop.wait()
    finally:
        restore_signals()
