"""The ``runStage`` activity (docs/stage-contract.md, contract version 1) for Python stages.

It mirrors ``runStage`` in activities/index.ts: the same input, result, failure types and
cache writes, so the TypeScript workflows route a stage to a Python worker by task queue alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib.metadata
import logging
import math
import os
import re
import socket
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory, CancelledError

from . import cache
from .closest import closest_key
from .context import (
    IntermediateCurve,
    PruneReference,
    StageContext,
    StageOutput,
    TrialPruned,
    is_report_error,
)
from .params import ParamsError, UnknownParamError, build_params
from .registry import StageDefinition
from .result import InvalidResult, StageResult, check_result
from .retry import (
    RETRY_INITIAL_SECONDS,
    RETRY_MAX_SECONDS,
    OutageClock,
    RetryingStore,
    RetryPolicy,
    is_store_full,
    is_store_refusal,
)
from .store import ObjectStore

CONTRACT_VERSION = 1

UNKNOWN_STAGE = "UnknownStage"
STAGE_FAILED = "StageFailed"
STORE_REFUSED = "StoreRefused"
INVALID_STAGE_RESULT = "InvalidStageResult"
# The stage's declared parameters do not fit the study's: every trial would fail alike (ends the study).
STAGE_PARAMS_MISMATCH = "StageParamsMismatch"
STAGE_VERSION_MISMATCH = "StageVersionMismatch"
CACHE_MISS = "CacheMiss"
WORKER_SHUTDOWN = "WorkerShutdown"
"""The stage's worker shut down while it ran: not the stage's fault, not retried (no attempt is
used up); the trial runs the stage again on another worker (``workflows/trial.ts``)."""
TRIAL_PRUNED = "TrialPruned"
"""The stage raised :class:`~memotune.TrialPruned`: the trial stops, charged what it spent, with
nothing committed for the stage. Not retried: a re-run would be pruned again at the same cost."""
INVALID_STAGE_REQUEST = "InvalidStageRequest"

MAX_STAGE_METRICS = 256
"""Most metrics one stage result may report (the TypeScript worker's ``maxStageMetrics``). Metrics
travel in the activity's result, in the trial record (a Temporal payload, the study's trial log,
``study status``) and in meta.json: 256 covers any real report (per-class scores and per-epoch
curves belong in the output) while a full set of long names stays near 60 kB, far from Temporal's
2 MB payload limit. Beyond it the result is refused (``InvalidStageResult``), not silently cut."""

MAX_METRIC_NAME_LENGTH = 200
"""Longest metric name (``maxMetricNameLength``): room for any real name while 256 of them stay
small in every record they are copied into. Counted in characters (code points; TypeScript counts
UTF-16 code units, the same for any name without astral characters)."""

MAX_FAILURE_MESSAGE_LENGTH = 2000
"""Longest failure message the activity reports (``maxFailureMessageLength``). A stage's error text
ends up in the trial record, the Temporal failure and ``study status``: a 10 MB message must not
make any of them too large to store or print. Longer messages are cut, marked with an ellipsis."""

CANCEL_GRACE_SECONDS = 2.0
"""How long a cancelled attempt waits for the stage's code to notice ``ctx.cancelled`` and return,
so a cooperative stage frees its memory before the worker takes the next task."""


@dataclass(frozen=True)
class AncestorRef:
    stage: str
    key: str


@dataclass(frozen=True)
class StageRequest:
    """The activity's input, parsed from the JSON object the workflow sends."""

    study_id: str
    trial_index: int
    pipeline_id: str
    stage_index: int
    stage_name: str
    implementation: str
    version: str
    params: dict[str, Any]
    key: str
    parent_key: str | None
    ancestors: tuple[AncestorRef, ...]
    seed: int
    prune: PruneReference | None = None
    """What ``ctx.should_prune()`` compares the stage's curve with; ``None``: never prune."""
    non_retryable_errors: frozenset[str] = frozenset()
    """Exception class names (the raised one's or a base class's) that end the stage without a
    retry: the stage config's ``retry.nonRetryableErrors``."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageRequest:
        """Raises KeyError/TypeError/ValueError on a malformed request."""
        parent_key = data["parentKey"]
        raw_ancestors = data.get("ancestors")
        ancestors: tuple[AncestorRef, ...]
        if raw_ancestors is None:
            # Histories recorded before ancestors existed: the parent is the only earlier output
            # passed; its meta supplies its stage name.
            ancestors = () if parent_key is None else (AncestorRef("parent", str(parent_key)),)
        else:
            ancestors = tuple(AncestorRef(str(ref["stage"]), str(ref["key"])) for ref in raw_ancestors)
        return cls(
            study_id=str(data["studyId"]),
            trial_index=int(data["trialIndex"]),
            pipeline_id=str(data["pipelineId"]),
            stage_index=int(data["stageIndex"]),
            stage_name=str(data["stageName"]),
            implementation=str(data["implementation"]),
            version=str(data["version"]),
            params=dict(data["params"]),
            key=str(data["key"]),
            parent_key=None if parent_key is None else str(parent_key),
            ancestors=ancestors,
            seed=int(data.get("seed") or 0),
            prune=PruneReference.from_json(data.get("prune")),
            non_retryable_errors=frozenset(str(name) for name in data.get("nonRetryableErrors") or ()),
        )


# What to return instead of a value JSON cannot hold (a numpy array, a fitted model, a datetime).
_STORABLE_OUTPUTS = (
    " — return JSON values (lists, dicts, numbers, strings: e.g. array.tolist()), bytes, or a file or "
    "directory written under ctx.workdir (output_file(path), output_directory(path); pickle a model there)"
)

def _non_negative(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _spent_before(heartbeat_details: Any, timeout_seconds: float, heartbeat_timeout_seconds: float) -> float:
    """What earlier attempts spent on the stage's own account (spentBeforeAttempt in src/core/charge.ts).

    A previous attempt that failed and said so (``charged``) carries its ``spentCost``; one that ran
    to within a heartbeat timeout of its start-to-close timeout timed out and ran ``timeout_seconds``;
    any other (its worker died) carries only its ``spentBefore``: a crash is not the stage's cost.
    """
    previous = heartbeat_details[0] if heartbeat_details else None
    if not isinstance(previous, Mapping):
        return 0.0
    spent = _non_negative(previous.get("spentCost"))
    if spent is None:
        return 0.0
    if previous.get("charged") is True:
        return spent
    before = _non_negative(previous.get("spentBefore"))
    if before is None:
        return spent
    timed_out = timeout_seconds > 0 and spent - before >= timeout_seconds - max(0.0, heartbeat_timeout_seconds)
    return before + timeout_seconds if timed_out else before


def _heartbeat_interval(info: activity.Info) -> float:
    """A third of the heartbeat timeout (30 s when none is set), clamped to [0.2, 10] seconds."""
    timeout = info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 30.0
    return max(0.2, min(10.0, timeout / 3))


def _clip(text: str, length: int = MAX_FAILURE_MESSAGE_LENGTH) -> str:
    return text[:length] + "…" if len(text) > length else text


_log = logging.getLogger("memotune")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB_DIR = os.path.dirname(os.path.abspath(asyncio.__file__)).rsplit(os.sep, 1)[0]


def _own_frames_only(error: BaseException) -> BaseException:
    """``error`` with its traceback starting at the stage's own code: the frames of memotune's
    activity and of the thread or event loop that ran the stage come first and say nothing to
    the stage's author (the trial record keeps the traceback, cut to its head)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        # The standard library's own modules, not the packages installed under it (a stage shipped
        # as a package lives in site-packages).
        in_stdlib = filename.startswith(_STDLIB_DIR + os.sep) and not any(
            part in ("site-packages", "dist-packages") for part in filename.split(os.sep)
        )
        if not (filename.startswith(_PACKAGE_DIR + os.sep) or in_stdlib):
            break
        tb = tb.tb_next
    return error.with_traceback(tb)


def _error_message(error: BaseException) -> str:
    """The message of what a stage raised; never raises (a hostile ``__str__``), never huge."""
    if isinstance(error, ApplicationError):
        return _clip(str(error.message))
    try:
        text = str(error)
    except Exception:  # a __str__ that raises must not hide the stage's failure
        text = "(its message cannot be read)"
    return _clip(f"{type(error).__name__}: {text}" if text else type(error).__name__)


def _preview(text: str) -> str:
    """The start of a (possibly huge) string a stage handed us, for failure messages."""
    return repr(_clip(text, 40))


def _check_limits(raw: Any, stage_name: str) -> None:
    """Refuses metrics beyond :data:`MAX_STAGE_METRICS` or with names longer than
    :data:`MAX_METRIC_NAME_LENGTH`, before anything formats or copies them."""
    if isinstance(raw, StageResult):
        metrics = raw.metrics
    elif isinstance(raw, Mapping):
        metrics = raw.get("metrics")
    else:
        return
    if not isinstance(metrics, Mapping):
        return  # check_result says what is wrong with it
    if len(metrics) > MAX_STAGE_METRICS:
        raise InvalidResult(
            f"stage '{stage_name}' reported {len(metrics)} metrics; "
            f"at most {MAX_STAGE_METRICS} metrics are allowed per stage"
        )
    for name in metrics:
        if isinstance(name, str) and len(name) > MAX_METRIC_NAME_LENGTH:
            raise InvalidResult(
                f"stage '{stage_name}' reported a metric name of {len(name)} characters ({_preview(name)}); "
                f"metric names are limited to {MAX_METRIC_NAME_LENGTH} characters"
            )


class _Heartbeat:
    """Heartbeats of one attempt: ``{spentCost, attempt, details}``, callable from any thread.

    Temporal's heartbeat must be called on the event loop in the activity's context, so calls
    from the stage's thread are handed over with ``call_soon_threadsafe``.
    """

    def __init__(
        self,
        spent: Callable[[], float],
        attempt: int,
        spent_before: float = 0.0,
        stage: str = "",
        curve: IntermediateCurve | None = None,
    ) -> None:
        self._spent = spent
        self._curve = curve
        self._attempt = attempt
        self._spent_before = spent_before
        self._stage = stage
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()
        self._details: Any = None
        self._closed = False
        # An object-store outage the attempt waits out: [since (monotonic), last error], for
        # `memotune study status` (the TypeScript worker's waitingOnStore).
        self._outage: list[Any] | None = None
        self._outages: OutageClock | None = None
        self._outage_lock = threading.Lock()

    def watch_outages(self, outages: OutageClock) -> None:
        self._outages = outages

    def store_waits(self, error: BaseException, _failures: int, _delay: float) -> None:
        """The store's ``on_wait`` (any thread): the attempt is waiting out an outage."""
        message = _clip(f"{type(error).__name__}: {error}")[:300]
        with self._outage_lock:
            if self._outage is None:
                self._outage = [time.monotonic(), message]
                # Any thread: the activity's logger needs the activity's context, a plain one does not.
                _log.warning("stage '%s': the object store is unreachable; waiting it out (%s)", self._stage, message)
            else:
                self._outage[1] = message

    def failure_details(self) -> dict[str, Any]:
        return {"spentCost": self._spent(), "attempt": self._attempt}

    def send(self) -> None:
        """On the event loop: heartbeat now, with the stage's latest progress details."""
        if not self._closed:
            # spentBefore lets the workflow charge a start-to-close timeout as earlier attempts plus
            # the whole timeout (src/core/charge.ts), whatever this attempt last reported.
            # stage, reported: what `memotune study status` shows a running trial computing.
            reported = None if self._curve is None else self._curve.last_report()
            with self._outage_lock:
                if self._outage is not None and self._outages is not None and not self._outages.waiting:
                    _log.warning(
                        "stage '%s': the object store answers again after %.0f s",
                        self._stage,
                        time.monotonic() - self._outage[0],
                    )
                    self._outage = None
                outage = (
                    None
                    if self._outage is None
                    else {"seconds": time.monotonic() - self._outage[0], "error": self._outage[1]}
                )
            activity.heartbeat(
                {
                    **self.failure_details(),
                    "spentBefore": self._spent_before,
                    "details": self._details,
                    "stage": self._stage,
                    **({} if reported is None else {"reported": reported}),
                    **({} if outage is None else {"waitingOnStore": outage}),
                }
            )

    def from_stage(self, details: Any) -> None:
        """``ctx.heartbeat``: records the details and heartbeats soon; a no-op once the attempt ended."""
        if self._closed:
            return
        self._details = details
        try:
            self._loop.call_soon_threadsafe(self._context.run, self.send)
        except RuntimeError:
            pass  # the loop has closed: the worker is gone, nobody listens any more

    async def run_periodically(self, interval: float) -> None:
        """Keeps heartbeating so a dead worker is noticed within the heartbeat timeout; once at
        once too, so ``memotune study status`` names the running stage from the attempt's start."""
        while True:
            self.send()
            await asyncio.sleep(interval)

    @property
    def spent_before(self) -> float:
        """What earlier attempts spent (carried over into this attempt's figures)."""
        return self._spent_before

    def close(self, last: Mapping[str, Any] | None = None) -> None:
        """Ends the attempt's heartbeats, optionally with ``last`` as the final details."""
        if last is not None:
            activity.heartbeat(dict(last))
        self._closed = True


def _start_thread(fn: Callable[[StageContext], Any], ctx: StageContext) -> asyncio.Future[Any]:
    """Runs a sync stage in a daemon thread: a stage that ignores cancellation must not keep the
    worker process alive at shutdown (executor threads are joined at exit, daemon threads not)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def target() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = context.run(fn, ctx)
        except Exception as raised:
            error = raised
        except BaseException as raised:  # SystemExit, KeyboardInterrupt: a failure of the stage
            error = RuntimeError(f"stage raised {raised!r}")
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop has closed: the worker is gone

    threading.Thread(target=target, name=f"memotune-stage-{ctx.stage_name}", daemon=True).start()
    return future


async def _guarded(stage: Any) -> Any:
    """Awaits an async stage, turning SystemExit, KeyboardInterrupt and other BaseExceptions it
    raises into a stage failure: raised from a task they would stop the worker's event loop."""
    try:
        return await stage
    except (Exception, asyncio.CancelledError):
        raise
    except BaseException as raised:
        raise RuntimeError(f"stage raised {raised!r}") from None


def _package_version() -> str:
    """This package's installed version (the memotune release it ships in), with the commit the npm
    package was built from when its build recorded one (``0.1.0+cf4ccb4``, as the TypeScript side says it)."""
    try:
        version = importlib.metadata.version("memotune")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
    # From a git checkout (python/src/memotune in a clone) this is source, as the TypeScript side
    # running from src/ is: no build to speak of.
    if (Path(__file__).resolve().parents[3] / ".git").exists():
        return version
    try:
        from ._build_info import COMMIT  # written by `npm run build` (scripts/write-build-info.mjs)
    except ImportError:
        return version
    return f"{version}+{COMMIT}" if COMMIT else version


STAGE_ATTEMPT_METRIC = "memotune_stage_attempt_seconds"
"""The TypeScript workers' name for the same histogram (src/core/metric-names.ts)."""

STAGE_ATTEMPT_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 43200)
"""Its bucket boundaries in seconds, as src/core/metric-names.ts gives them (the exporter's defaults
are for milliseconds)."""

SCHEDULE_TO_START_METRIC = "temporal_activity_schedule_to_start_latency"
SCHEDULE_TO_START_BUCKETS = (50, 100, 500, 1000, 5000, 10000, 30000, 60000, 300000, 900000, 1800000, 3600000, 14400000)
"""Temporal's own, in milliseconds: how long a stage waited for this worker (the defaults end at 10 s;
a stage can wait hours for a GPU worker). As src/core/metric-names.ts gives them."""

_metric_warned = False


_OUTCOME_OF_FAILURE = {
    TRIAL_PRUNED: "pruned",
    WORKER_SHUTDOWN: "interrupted",
    UNKNOWN_STAGE: "misrouted",
    STAGE_VERSION_MISMATCH: "misrouted",
}
"""Failures that are not the stage's, told apart as the TypeScript workers do (src/worker/metrics.ts)."""


def _record_stage_attempt(pipeline: str, stage: str, outcome: str, seconds: float) -> None:
    """Records one attempt's seconds; a metric that cannot be recorded changes nothing else."""
    try:
        activity.metric_meter().create_histogram_float(
            STAGE_ATTEMPT_METRIC, "one attempt of a pipeline stage", "s"
        ).record(seconds, {"pipeline": pipeline, "stage": stage, "outcome": outcome})
    except Exception as error:  # noqa: BLE001 - metrics never fail a stage
        global _metric_warned
        if not _metric_warned:  # once a process: it would fail alike for every attempt
            _metric_warned = True
            logging.getLogger(__name__).warning("could not record %s: %s", STAGE_ATTEMPT_METRIC, error)


class StageActivity:
    """The ``runStage`` activity, bound to an object store and the stages this worker serves."""

    def __init__(
        self,
        store: ObjectStore,
        stages: Mapping[str, StageDefinition],
        *,
        clock: Callable[[], float] = time.monotonic,
        retry_initial_seconds: float = RETRY_INITIAL_SECONDS,
        retry_max_seconds: float = RETRY_MAX_SECONDS,
        identity: str | None = None,
    ) -> None:
        """``retry_*``: the backoff of object-store calls during an outage; they are retried until
        they succeed or the attempt is cancelled (:mod:`memotune.retry`). ``identity``: the worker's
        Temporal identity, recorded with each stage it runs (default ``pid@host``, the SDK's own)."""
        self._store = store
        self._stages = dict(stages)
        self._clock = clock
        self._retry_policy = RetryPolicy(retry_initial_seconds, retry_max_seconds)
        self._worker = {
            "identity": identity or f"{os.getpid()}@{socket.gethostname()}",
            "sdk": "python",
            "memotune": _package_version(),
        }

    @activity.defn(name="runStage")
    async def run_stage(self, request: dict[str, Any]) -> dict[str, Any]:
        """One stage attempt (:meth:`_attempt`), timed for the worker's metrics as the TypeScript
        workers time theirs (``memotune_stage_attempt_seconds`` by stage and outcome; recorded
        through the Runtime's exporter, e.g. ``python -m memotune worker --metrics``)."""
        started = time.monotonic()
        outcome = "failed"
        try:
            result = await self._attempt(request)
            outcome = "recovered" if result.get("recovered") else "completed"
            return result
        except (asyncio.CancelledError, CancelledError):
            outcome = "cancelled"
            raise
        except ApplicationError as error:
            outcome = _OUTCOME_OF_FAILURE.get(error.type or "", "failed")
            raise
        finally:
            _record_stage_attempt(
                str(request.get("pipelineId", "")),
                str(request.get("stageName", "")),
                outcome,
                time.monotonic() - started,
            )

    async def _attempt(self, request: dict[str, Any]) -> dict[str, Any]:
        """Runs one stage and commits its output under the stage's key.

        Idempotent: an attempt that finds its output already committed (an earlier attempt died
        after writing) returns it instead of running the stage again.

        Object-store failures anywhere in here (the metadata reads before the stage, the stage's
        own reads of earlier outputs, the upload and the commit) are outages, not stage failures:
        they are retried until they succeed or the attempt is cancelled, while the attempt keeps
        heartbeating, and they never use up one of the stage's Temporal attempts.
        """
        info = activity.info()
        try:
            req = StageRequest.from_json(request)
        except (KeyError, TypeError, ValueError) as error:
            raise ApplicationError(
                f"malformed runStage request (contract version {CONTRACT_VERSION}): {_error_message(error)}",
                type=INVALID_STAGE_REQUEST,
                non_retryable=True,
            ) from error
        definition = self._stages.get(req.implementation)
        if definition is None:
            # Naming what this worker does serve shows a queue shared by workers with different
            # stage sets, the usual cause when another worker of the queue has the stage.
            names = sorted(self._stages)
            served = ", ".join(f"'{name}'" for name in names[:12]) or "no stage"
            if len(names) > 12:
                served += f" and {len(names) - 12} more"
            guess = closest_key(req.implementation, names)
            raise ApplicationError(
                f"no stage implementation named '{req.implementation}' is registered on the worker that took it "
                f"from task queue '{info.task_queue}' (it serves {served}"
                + ("" if guess is None else f"; did you mean '{guess}'?")
                + "); every worker of a queue must register "
                "the same stages (two projects on one server: give each its own queues, `memotune study start --prefix P` "
                "and --task-queue P-<queue> here)",
                type=UNKNOWN_STAGE,
                non_retryable=True,
            )
        if definition.version is not None and definition.version != req.version:
            # The code says it is another version than the one the study caches outputs under:
            # running it would store this code's output as that version's (or read that version's
            # cached outputs as this code's). Every attempt would say the same: not retried.
            raise ApplicationError(
                f"stage '{req.stage_name}': this worker's code is version '{definition.version}' "
                f"(@stage(..., version=)), but the study config gives the stage version '{req.version}'"
                + (" (also what a config without `version` gives)" if req.version == "1" else "")
                + f": set the "
                f"config's version to '{definition.version}' (a new version caches anew), or run the code of "
                f"version '{req.version}'",
                type=STAGE_VERSION_MISMATCH,
                non_retryable=True,
            )

        spent_before = _spent_before(
            info.heartbeat_details,
            info.start_to_close_timeout.total_seconds() if info.start_to_close_timeout else 0.0,
            info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 0.0,
        )
        # The stage clock starts once the earlier outputs' metadata has been read: an outage before
        # the stage runs is not charged. Time spent waiting out an outage after that (a read of an
        # earlier output, the upload, the commit) is not charged either (docs/stage-contract.md).
        outages = OutageClock(self._clock)
        clock: dict[str, float] = {}

        def stage_seconds() -> float:
            started = clock.get("started")
            if started is None:
                return 0.0
            return max(0.0, self._clock() - started - outages.seconds_between(started))

        # Each attempt reports afresh: a retry's curve does not continue the failed attempt's.
        curve = IntermediateCurve(req.prune)
        heartbeat = _Heartbeat(
            lambda: spent_before + stage_seconds(), info.attempt, spent_before, req.stage_name, curve
        )
        # Heartbeat for the whole attempt, also while it waits out an outage.
        beating = asyncio.create_task(heartbeat.run_periodically(_heartbeat_interval(info)))
        cancelled = threading.Event()
        # Store calls wait out an outage until the attempt is cancelled or over (a read the stage left
        # running in a thread must not retry forever).
        attempt_over = threading.Event()
        heartbeat.watch_outages(outages)
        store = RetryingStore(
            self._store,
            cancelled=attempt_over,
            policy=self._retry_policy,
            outages=outages,
            on_wait=heartbeat.store_waits,
        )
        workdir = Path(tempfile.mkdtemp(prefix=f"memotune-{re.sub(r'[^A-Za-z0-9_.-]', '_', req.stage_name)}-"))
        try:
            try:
                committed = await asyncio.to_thread(cache.read_meta, store, req.key)
            except Exception as error:
                raise (_store_refused(f"stage '{req.stage_name}'", error) if is_store_refusal(error) else error) from error
            if committed is not None:
                return {
                    "key": req.key,
                    "worker": self._worker,
                    "cost": committed["cost"],
                    "chargedCost": committed["cost"],
                    "metrics": committed["metrics"],
                    "bytes": committed["bytes"],
                    "sha256": committed["sha256"],
                    "wallSeconds": 0,
                    "recovered": True,
                }
            parent, ancestors = await self._read_ancestors(req, store, workdir / ".memotune-inputs")
            clock["started"] = self._clock()
            result, non_finite, encoded = await self._run(
                definition, req, info.attempt, parent, ancestors, workdir, cancelled, heartbeat, curve
            )
            meta, wall_seconds = await self._store_output(req, store, result, encoded, workdir, stage_seconds, heartbeat)
        except asyncio.CancelledError:
            cancelled.set()
            details = activity.cancellation_details()
            if details is not None and details.worker_shutdown and not details.cancel_requested:
                raise ApplicationError(
                    f"stage '{req.stage_name}' was interrupted: its worker shut down",
                    heartbeat.failure_details(),
                    type=WORKER_SHUTDOWN,
                    non_retryable=True,
                ) from None
            raise
        finally:
            # Ends the waits of store calls still running in threads (RetryCancelled there).
            attempt_over.set()
            heartbeat.close()
            beating.cancel()
            await asyncio.to_thread(shutil.rmtree, workdir, ignore_errors=True)
        outcome: dict[str, Any] = {
            "key": req.key,
            "worker": self._worker,
            "cost": meta["cost"],
            "chargedCost": spent_before + meta["cost"],
            "metrics": meta["metrics"],
            "bytes": meta["bytes"],
            "sha256": meta["sha256"],
            "wallSeconds": wall_seconds,
            "recovered": False,
        }
        if non_finite:
            outcome["nonFiniteMetrics"] = non_finite
        # Only when something was reported: a stage that never reports returns exactly what it did
        # before pruning existed. The curve is not stored with the output, so a recovered output
        # (above) has none.
        if len(curve) > 0:
            outcome["intermediate"] = curve.to_json()
        return outcome

    async def _read_ancestors(
        self, req: StageRequest, store: ObjectStore, download_dir: Path
    ) -> tuple[StageOutput | None, dict[str, StageOutput]]:
        """Checks every earlier output's commit marker now: a missing one will not heal by
        retrying, and the stage should not start only to fail on its first read. The data itself
        is read lazily, when the stage asks for it."""
        try:
            metas = await asyncio.gather(
                *(asyncio.to_thread(cache.read_meta, store, ref.key) for ref in req.ancestors)
            )
        except Exception as error:
            raise (_store_refused(f"stage '{req.stage_name}'", error) if is_store_refusal(error) else error) from error
        parent: StageOutput | None = None
        ancestors: dict[str, StageOutput] = {}
        for ref, meta in zip(req.ancestors, metas):
            if meta is None:
                raise ApplicationError(
                    f"stage '{req.stage_name}' cannot read the output of stage '{ref.stage}': "
                    f"stage output {ref.key} is not cached",
                    type=CACHE_MISS,
                    non_retryable=True,
                )
            parent = StageOutput(store, meta, download_dir)
            ancestors[parent.stage] = parent
        return parent, ancestors

    async def _run(
        self,
        definition: StageDefinition,
        req: StageRequest,
        attempt: int,
        parent: StageOutput | None,
        ancestors: dict[str, StageOutput],
        workdir: Path,
        cancelled: threading.Event,
        heartbeat: _Heartbeat,
        curve: IntermediateCurve,
    ) -> tuple[StageResult, dict[str, str], cache.EncodedOutput | cache.OutputSource]:
        """Calls the stage's code and checks what it returned (and which metrics it reported as NaN
        or ±Infinity, left out of its metrics); failures carry what was spent.
        ``curve`` records what the stage reports (``ctx.report``)."""
        try:
            ctx = StageContext(
                params=build_params(definition.params, req.params),
                seed=req.seed,
                stage_name=req.stage_name,
                stage_index=req.stage_index,
                version=req.version,
                study_id=req.study_id,
                trial_index=req.trial_index,
                attempt=attempt,
                parent=parent,
                ancestors=ancestors,
                cancelled=cancelled,
                workdir=workdir,
                _heartbeat=heartbeat.from_stage,
                _curve=curve,
            )
            raw = await self._call(definition, ctx)
        except cache.CacheReadError as error:
            raise ApplicationError(
                f"stage '{req.stage_name}' read a damaged output: {error}", type=CACHE_MISS, non_retryable=True
            ) from error
        except TrialPruned as error:
            # Not a failure: the stage chose to stop. Nothing to retry, so no heartbeat carries its
            # cost to a next attempt; the details carry what it spent and the curve for the trial.
            details = {**heartbeat.failure_details(), "intermediate": curve.to_json()}
            last_step = curve.last_step
            own = str(error)
            raise ApplicationError(
                f"stage '{req.stage_name}' pruned the trial"
                + ("" if last_step is None else f" at step {last_step}")
                + (f": {own}" if own else ""),
                details,
                type=TRIAL_PRUNED,
                non_retryable=True,
                # Pruning is an outcome, not an error: the SDK logs it at debug, with no traceback.
                category=ApplicationErrorCategory.BENIGN,
            ) from error
        except Exception as error:
            details = heartbeat.failure_details()
            # The failure is the stage's own: the next attempt carries this attempt's cost over.
            heartbeat.close(last={**details, "spentBefore": heartbeat.spent_before, "charged": True})
            raise ApplicationError(
                # A mismatch is named by its failure type, not by the Python class that found it.
                f"stage '{req.stage_name}': {error} ({STAGE_PARAMS_MISMATCH})"
                if isinstance(error, UnknownParamError)
                else f"stage '{req.stage_name}': its params= type does not match the study ({STAGE_PARAMS_MISMATCH}): {error}"
                if isinstance(error, ParamsError)
                else f"stage '{req.stage_name}' failed: {_error_message(error)}",
                details,
                type=STAGE_PARAMS_MISMATCH if isinstance(error, ParamsError) else STAGE_FAILED,
                # A bad ctx.report() is a bug in the stage: another attempt would repeat it at full cost.
                non_retryable=isinstance(error, ParamsError)
                or is_report_error(error)
                or any(cls.__name__ in req.non_retryable_errors for cls in type(error).__mro__)
                or (isinstance(error, ApplicationError) and error.non_retryable),
            ) from _own_frames_only(error)
        # The stage ran to the end: an unusable result still carries what it spent, and is never
        # retried (a re-run would return the same and cost as much again).
        try:
            _check_limits(raw, req.stage_name)
            result, non_finite = check_result(raw, req.stage_name)
            encoded = await asyncio.to_thread(cache.encode_output, result.output)
        except Exception as error:  # whatever the result does, it is the result's fault
            if isinstance(error, InvalidResult):
                message = _clip(str(error))
            elif isinstance(error, RecursionError):
                message = (
                    f"stage '{req.stage_name}' returned an output memotune cannot store: "
                    "it refers to itself (a cycle) or is nested too deeply to encode as JSON"
                )
            elif isinstance(error, (TypeError, ValueError, OSError)):
                message = (
                    f"stage '{req.stage_name}' returned an output memotune cannot store: {_error_message(error)}"
                    + (_STORABLE_OUTPUTS if isinstance(error, TypeError) else "")
                )
            else:
                message = f"stage '{req.stage_name}' returned a result memotune cannot read: {_error_message(error)}"
            raise ApplicationError(
                message, heartbeat.failure_details(), type=INVALID_STAGE_RESULT, non_retryable=True
            ) from error
        if non_finite:
            activity.logger.warning(
                f"stage '{req.stage_name}' reported non-finite metrics, left out of its record: {non_finite}"
            )
        return result, non_finite, encoded

    async def _call(self, definition: StageDefinition, ctx: StageContext) -> Any:
        """Runs the stage's function; on cancellation, sets ``ctx.cancelled`` and gives the code
        a short grace period to stop before the cancellation propagates (a plain function that goes
        on past it is left running in its thread, with a warning)."""
        work: asyncio.Future[Any] = (
            asyncio.ensure_future(_guarded(definition.fn(ctx)))
            if definition.is_async
            else _start_thread(definition.fn, ctx)
        )
        # Retrieve a late failure so asyncio does not log it as never retrieved.
        work.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.done() and work.cancelled() and not activity.is_cancelled():
                # The stage raised CancelledError itself, nobody cancelled the attempt: a failure of
                # the stage, not a cancellation Temporal would report without what it spent.
                raise RuntimeError("stage raised asyncio.CancelledError without being cancelled") from None
            ctx.cancelled.set()
            if isinstance(work, asyncio.Task):
                work.cancel()
            await asyncio.wait({work}, timeout=CANCEL_GRACE_SECONDS)
            if not work.done() and not definition.is_async:
                # Python cannot stop a thread. Waiting for it would let one hung stage hold this
                # worker's slot, and its study, for ever; giving up frees the slot, so the next task
                # may run beside code that is still computing. Say so: the user's fix is to check
                # ctx.cancelled in long loops (or to run such code in a process of its own).
                activity.logger.warning(
                    "stage '%s' attempt %d was cancelled or timed out and its code did not return within "
                    "%.0f s; it goes on in its thread while this worker takes its next task. Check "
                    "ctx.cancelled in long loops so a stage stops when asked.",
                    ctx.stage_name,
                    ctx.attempt,
                    CANCEL_GRACE_SECONDS,
                )
            raise

    async def _store_output(
        self,
        req: StageRequest,
        store: ObjectStore,
        result: StageResult,
        encoded: cache.EncodedOutput | cache.OutputSource,
        workdir: Path,
        stage_seconds: Callable[[], float],
        heartbeat: _Heartbeat,
    ) -> tuple[dict[str, Any], float]:
        """Writes the data, then the commit marker; returns the meta and the stage's time. The store
        retries a failing write itself (until the attempt is cancelled) rather than letting Temporal
        re-run the whole, expensive stage. A cancellation stops it at the next await, so no commit
        starts after one."""
        try:
            # A file, directory or stream is read here (hashed, uploaded; a stream spooled into the
            # workdir first), so reading it counts as upload time.
            stored = await asyncio.to_thread(cache.write_data, store, req.key, encoded, workdir)
            # Without a reported cost, the cost is the stage's time up to the commit: the upload is
            # part of what running this stage occupies its worker for (waiting out an outage is not).
            wall_seconds = stage_seconds()
            fields = {
                "pipelineId": req.pipeline_id,
                "stage": req.stage_name,
                "version": req.version,
                "cost": result.cost if result.cost is not None else wall_seconds,
                "metrics": result.metrics or {},
            }
            meta = await asyncio.to_thread(cache.commit, store, req.key, stored, fields, datetime.now(timezone.utc))
        except Exception as error:
            if is_store_refusal(error):
                raise _store_refused(
                    f"stage '{req.stage_name}' ran, but storing its output", error, heartbeat.failure_details()
                ) from error
            # Not an outage (those are retried): the server refused the write.
            raise ApplicationError(
                f"stage '{req.stage_name}' ran but its output could not be stored: {_error_message(error)}",
                heartbeat.failure_details(),
                type=STAGE_FAILED,
            ) from error
        return meta, wall_seconds


def _store_refused(what: str, error: BaseException, *details: Any) -> ApplicationError:
    """A non-retryable ``StoreRefused`` failure, as ``storeRefused`` in activities/index.ts: the
    object store refused this worker's request, which its settings must fix; the study ends
    saying so. ``details``: what the stage spent, when it ran before its output was refused."""
    advice = (
        "the store is full or over its quota: free space (`memotune cache prune`) or raise the quota"
        if is_store_full(error)
        else "fix its S3 settings or credentials (MEMOTUNE_S3_*, AWS_*)"
    )
    return ApplicationError(
        f"{what}: the object store refused this stage worker's request ({_error_message(error)}): "
        f"{advice}, then `memotune study continue` the study",
        *details,
        type=STORE_REFUSED,
        non_retryable=True,
    )

