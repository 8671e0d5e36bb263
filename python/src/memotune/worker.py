"""A Temporal Python worker that serves registered stages on one task queue."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
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
from .log_format import core_log_filter, parse_log_level
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


def _worker_runtime(metrics: str | None, forward_core_logs: bool, core_log_level: str | None = None) -> Runtime | None:
    """The Runtime the worker needs beyond the SDK's default (None when it needs none): a Prometheus
    exporter listening on ``metrics`` (``ip:port``); SDK Core's log lines forwarded to the Python
    logger ``temporalio.core`` (so a JSON log format covers them too) instead of Core writing
    them to stderr itself; Core logging at ``core_log_level`` (TRACE … ERROR) instead of WARN."""
    if metrics is None and not forward_core_logs and core_log_level is None:
        return None
    logging_config = LoggingConfig.default
    if core_log_level is not None:
        core, other = core_log_filter(parse_log_level(core_log_level))
        logging_config = LoggingConfig(filter=TelemetryFilter(core_level=core, other_level=other))
    if forward_core_logs:
        logging_config = LoggingConfig(
            filter=logging_config.filter,
            # Target and fields stay the record's (the JSON formatter writes them as fields), not text.
            forwarding=LogForwardingConfig(
                logger=logging.getLogger("temporalio.core"),
                append_target_to_name=False,
                prepend_target_on_message=False,
                append_log_fields_to_message=False,
            ),
        )
    prometheus = None
    if metrics is not None:
        prometheus = PrometheusConfig(
            bind_address=metrics,
            histogram_bucket_overrides={
                STAGE_ATTEMPT_METRIC: list(STAGE_ATTEMPT_BUCKETS),
                SCHEDULE_TO_START_METRIC: list(SCHEDULE_TO_START_BUCKETS),
            },
        )
    try:
        return Runtime(telemetry=TelemetryConfig(logging=logging_config, metrics=prometheus))
    except Exception as error:  # e.g. the port is taken: say which option
        if metrics is None:
            raise
        raise ValueError(f"--metrics {metrics}: {error}") from error


async def _connect_worker(
    address: str | None,
    namespace: str | None,
    profile: str | None,
    metrics: str | None,
    forward_core_logs: bool,
    core_log_level: str | None,
) -> Client:
    """The worker's client: the process's shared one, or one on a Runtime of its own when the
    worker serves metrics, forwards Core's log lines or sets Core's level."""
    runtime = _worker_runtime(metrics, forward_core_logs, core_log_level)
    if runtime is None:
        return await connect(address=address, namespace=namespace, profile=profile)
    guard_exit()  # before connecting: a failed connection exits through the guard too
    return await connect(
        await Client.connect(**connect_config(address=address, namespace=namespace, profile=profile), runtime=runtime)
    )


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
    forward_core_logs: bool = False,
    core_log_level: str | None = None,
    client: Client | None = None,
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
    ``forward_core_logs`` sends SDK Core's log lines to the Python logger ``temporalio.core``
    (``--log-format json`` does, so they are JSON lines like the rest); ``core_log_level`` (TRACE,
    DEBUG, INFO, WARN or ERROR; the CLI passes MEMOTUNE_LOG_LEVEL) is the level Core logs at, WARN
    when not given. ``client`` is a client you
    connected yourself, used instead of connecting (then ``address``, ``namespace``, ``profile``,
    ``metrics``, ``forward_core_logs`` and ``core_log_level`` must not be given): the way to a payload codec, as the
    client's ``data_converter`` (a study whose payloads a codec encodes fails every stage on a
    worker without it).
    Prints one line to stdout once the worker polls (scripts wait for it).
    """
    selected = select_stages(stages)
    if not selected:
        raise ValueError("no stages registered: decorate stage functions with @memotune.stage")
    if store is None:
        store = S3ObjectStore.from_settings(S3Settings.from_env())
    if client is not None:
        given = {"address": address, "namespace": namespace, "profile": profile, "metrics": metrics}
        given["core_log_level"] = core_log_level
        clashing = [name for name, value in given.items() if value is not None] + (
            ["forward_core_logs"] if forward_core_logs else []
        )
        if clashing:
            raise ValueError(f"client= is already connected: leave out {', '.join(clashing)}")
        client = await connect(client)
    else:
        client = await _connect_worker(address, namespace, profile, metrics, forward_core_logs, core_log_level)
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
