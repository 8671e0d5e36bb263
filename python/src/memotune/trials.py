"""A study's trials from Python, as Optuna's ``optuna.load_study(...).trials`` and
``trials_dataframe()`` give them: ``study = await memotune.load_study("my-study")``.

The study workflow says where its trial log is (its outcome, or a query while it runs); the
records are read from the object store the workers write to (the S3 bucket and prefix of
``MEMOTUNE_S3_*``, else the local stack's). The log's layout is the TypeScript side's
(src/core/trial-log.ts): ``<log>segments/<7 digits>.json`` holds records 100·k … 100·k + 99,
``<log>trials/<9 digits>.json`` one record each, numbered by log position.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from .jsjson import number_to_string
from .s3 import S3ObjectStore, S3Settings
from .store import ObjectStore
from .cache import read_meta
from .connection import connect
from .context import StageOutput

SEGMENT_SIZE = 100
"""Records per segment of a trial log (trialLogSegmentSize in src/core/trial-log.ts)."""

_RESULT_QUERY = "memotune.result"
_STUDY_FAILED = "StudyFailed"


class StudyNotFound(LookupError):
    """No study has that id on the server (or it has left the namespace's retention)."""


class NoWorker(RuntimeError):
    """A running study's orchestration queue has no worker to answer for it (the Node CLI's
    ``NoWorkerError``): start one with ``memotune worker``."""


def query_answer_missing(study_id: str, error: RPCError) -> NoWorker | None:
    """The :class:`NoWorker` a failed query of a study means, or ``None`` for any other failure: the
    server said no worker polls (or answered) the study's orchestration queue."""
    if error.status not in (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.DEADLINE_EXCEEDED):
        return None
    return NoWorker(
        f"no worker is serving study '{study_id}''s orchestration queue right now, and only a worker "
        f"can answer for it ({error.message}); start one with `memotune worker`"
    )


class TrialLogError(RuntimeError):
    """The trial log is missing records the study says it has, or holds something that is not JSON."""


def segment_key(trial_log: str, segment: int) -> str:
    return f"{trial_log}segments/{segment:07d}.json"


def record_key(trial_log: str, position: int) -> str:
    return f"{trial_log}trials/{position:09d}.json"


def read_records(store: ObjectStore, trial_log: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` records of a trial log, in log order: whole segments where they are
    written, single records after them."""
    records: list[dict[str, Any]] = []
    while len(records) < count:
        position = len(records)
        if position % SEGMENT_SIZE == 0 and count - position >= SEGMENT_SIZE:
            body = store.get(segment_key(trial_log, position // SEGMENT_SIZE))
            if body is not None:
                segment = _parse(body, segment_key(trial_log, position // SEGMENT_SIZE))
                if isinstance(segment, list) and len(segment) == SEGMENT_SIZE:
                    records.extend(segment)
                    continue
        key = record_key(trial_log, position)
        body = store.get(key)
        if body is None:
            raise TrialLogError(f"{key} is missing: the study has {count} trial records, the log {position}")
        records.append(_parse(body, key))
    return records


def _parse(body: bytes, key: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        raise TrialLogError(f"{key} is not valid JSON: {error}") from error


@dataclass(frozen=True)
class Study:
    """A study's trials as its trial log holds them (plain dicts, the TypeScript ``TrialRecord``)."""

    study_id: str
    status: str
    direction: str
    stages: list[str]
    objective_metric: str | None
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None = field(default=None)
    param_types: dict[str, str] = field(default_factory=dict)
    """Each parameter's type (``float``, ``int``, ``categorical``) by its column, ``<stage>.<name>``,
    from the study's plan; empty when it could not be read. JSON has one number type, so a float
    parameter's ``100.0`` is stored as ``100``: this puts it back."""
    store: ObjectStore | None = field(default=None, repr=False, compare=False)
    """The object store the study's workers write to (where :meth:`artifact` reads outputs);
    :func:`load_study` sets it."""

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's parameters by column, ``{"<stage>.<name>": value}`` (Optuna's
        ``best_params``, with the stage in each name: two stages may name a parameter alike).
        Raises ValueError before a trial completed."""
        trial = self.best_trial
        if trial is None:
            raise ValueError(f"study '{self.study_id}' has no completed trial yet")
        params: dict[str, Any] = {}
        for index, values in enumerate(trial.get("config", [])):
            stage = self.stages[index] if index < len(self.stages) else f"stage{index}"
            for name, value in values.items():
                params[f"{stage}.{name}"] = self._typed(f"{stage}.{name}", value)
        return params

    @property
    def best_value(self) -> float:
        """The best trial's objective (Optuna's ``best_value``). Raises ValueError before one completed."""
        # The outcome's best carries its objective; the best trial's record has it too.
        objective = None if self.best is None else self.best.get("objective", (self.best_trial or {}).get("objective"))
        if objective is None:
            raise ValueError(f"study '{self.study_id}' has no completed trial yet")
        return float(objective)

    def _typed(self, column: str, value: Any) -> Any:
        if self.param_types.get(column) == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @property
    def best_trial(self) -> dict[str, Any] | None:
        """The record of the best completed trial, or ``None`` before one completed."""
        if self.best is None:
            return None
        index = self.best.get("trialIndex")
        return next((trial for trial in self.trials if trial.get("trialIndex") == index), None)

    @property
    def saved_by_reuse(self) -> dict[str, float] | None:
        """What reusing cached stages saved, as ``study result --json``'s ``savedByReuse`` and the
        study report say it: ``{"saved": the reused stages' costs less what the trials paid for
        them (epsilon each), "charged": what the trials were charged}``, over the records that carry
        per-stage charges; ``None`` when none does (records of older releases)."""
        saved = 0.0
        charged = 0.0
        counted = False
        for trial in self.trials:
            charges = trial.get("stageCharges")
            if charges is None:
                continue
            counted = True
            charged += float(trial.get("chargedCost") or 0)
            costs = trial.get("stageCosts") or []
            for stage in range(int(trial.get("cachedPrefix") or 0)):
                saved += float(_at(costs, stage) or 0) - float(_at(charges, stage) or 0)
        return {"saved": saved, "charged": charged} if counted else None

    def artifact(
        self,
        trial: int | None = None,
        stage: str | None = None,
        *,
        download_dir: str | os.PathLike[str] | None = None,
    ) -> StageOutput:
        """A trial's stage output from the cache (``memotune study artifact``): by default the best
        trial's last stage — e.g. the fitted model. Nothing is downloaded until you ask:
        ``.path()`` (a local copy under ``download_dir``, else a new temporary directory; a
        directory output extracted), ``.read_bytes()``, ``.json()``; every read checks the sha256
        recorded when it was committed.

        Raises:
            ValueError: no completed trial (and no ``trial`` given), no such trial or stage.
            LookupError: that output is not in the cache (the stage never committed it, or the
                cache's retention removed it): re-run that configuration to get it back.
        """
        if self.store is None:
            raise ValueError("this Study has no object store: read it with load_study(..., store=...)")
        index = trial
        if index is None:
            index = None if self.best is None else self.best.get("trialIndex")
            if index is None:
                raise ValueError(f"study '{self.study_id}' has no completed trial yet: pass trial=")
        record = next((record for record in self.trials if record.get("trialIndex") == index), None)
        if record is None:
            raise ValueError(f"trial={index}: study '{self.study_id}' has trials 0..{len(self.trials) - 1}")
        keys = list(record.get("keys") or [])
        names = self.stages or [f"stage{at}" for at in range(len(keys))]
        at = len(names) - 1 if stage is None else (names.index(stage) if stage in names else -1)
        if at < 0:
            raise ValueError(f"stage={stage!r}: the stages are {', '.join(names)}")
        meta = read_meta(self.store, keys[at]) if at < len(keys) else None
        if meta is None:
            raise LookupError(
                f"trial {index}'s {names[at]} output is not in the cache (never committed, or pruned): "
                "re-run that configuration to get it back"
            )
        directory = Path(download_dir) if download_dir is not None else Path(tempfile.mkdtemp(prefix="memotune-artifact-"))
        return StageOutput(self.store, meta, directory)

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        """The columns and rows of ``memotune study trials --format csv``: one row per trial."""
        return trial_rows(self.trials, self.stages)

    def to_csv(self) -> str:
        """The text of ``memotune study trials --format csv``, cell for cell."""
        columns, rows = self.rows()
        return "\n".join(",".join(_csv_cell(cell) for cell in row) for row in [columns, *rows])

    def typed_rows(self) -> tuple[list[str], list[list[Any]]]:
        """:meth:`rows` with Python types a DataFrame keeps: float parameters, costs and the
        objective as floats (JSON wrote ``100.0`` as ``100``), a missing objective, cost, charge or
        metric as NaN (a failed trial's objective, as Optuna's ``value``: the column stays float64),
        ``started``/``finished`` as UTC datetimes, and a ``duration`` (a timedelta) after them, as
        Optuna's dataframe has."""
        columns, rows = self.rows()
        floats = {
            at
            for at, column in enumerate(columns)
            if column in ("objective", "charged")
            or column.endswith((".cost", ".charged"))
            or self.param_types.get(column) == "float"
        }
        numeric = floats | {at for at, column in enumerate(columns) if ".metric." in column}
        started, finished = columns.index("started"), columns.index("finished")
        typed_rows = []
        for row in rows:
            typed = [
                float(cell)
                if at in floats and isinstance(cell, (int, float)) and not isinstance(cell, bool)
                else math.nan
                if at in numeric and cell is None
                else cell
                for at, cell in enumerate(row)
            ]
            start, end = _instant(row[started]), _instant(row[finished])
            typed[started], typed[finished] = start, end
            typed.insert(finished + 1, None if start is None or end is None else end - start)
            typed_rows.append(typed)
        return [*columns[: finished + 1], "duration", *columns[finished + 1 :]], typed_rows

    def trials_dataframe(self) -> Any:
        """A pandas DataFrame of :meth:`typed_rows` (pandas is not a dependency: install it to use this)."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("trials_dataframe() needs pandas: pip install pandas") from error
        columns, rows = self.typed_rows()
        return pandas.DataFrame(rows, columns=columns)


def trial_rows(records: list[dict[str, Any]], stage_names: list[str]) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows as the CLI's CSV has them (src/cli/trials-table.ts): trial, status,
    objective, charged, reused, each stage's cost and charge, its parameters, its metrics, where a reporting
    stage stopped, the worker that ran each stage, then phase, source, started, finished, error."""
    stage_count = max([len(stage_names)] + [len(record.get("stageCosts", [])) for record in records])

    def stage_name(index: int) -> str:
        return stage_names[index] if index < len(stage_names) else f"stage{index}"

    def stage_metrics(record: dict[str, Any]) -> list[dict[str, Any] | None]:
        if record.get("stageMetrics") is not None:
            return record["stageMetrics"]
        return [record.get("metrics", {}) if index == stage_count - 1 else None for index in range(stage_count)]

    params: list[tuple[int, str]] = []
    metrics: list[tuple[int, str]] = []
    for record in records:
        for index, values in enumerate(record.get("config", [])):
            for name in values:
                if (index, name) not in params:
                    params.append((index, name))
        for index, reported in enumerate(stage_metrics(record)):
            for name in reported or {}:
                if (index, name) not in metrics:
                    metrics.append((index, name))
    params.sort(key=lambda item: item[0])
    metrics.sort(key=lambda item: item[0])
    charging = any(record.get("stageCharges") is not None for record in records)
    # Stages that reported intermediate values (pruning), and stages whose worker is recorded.
    reporting = [
        index for index in range(stage_count)
        if any(_curve(record, index) is not None for record in records)
    ]  # fmt: skip
    working = [
        index for index in range(stage_count)
        if any(index < len(record.get("stageWorkers") or []) and record["stageWorkers"][index] for record in records)
    ]  # fmt: skip
    columns = [
        "trial", "status", "objective", "charged", "reused",
        *[f"{stage_name(index)}.cost" for index in range(stage_count)],
        *([f"{stage_name(index)}.charged" for index in range(stage_count)] if charging else []),
        *[f"{stage_name(index)}.{name}" for index, name in params],
        *[f"{stage_name(index)}.metric.{name}" for index, name in metrics],
        *[column for index in reporting for column in (f"{stage_name(index)}.lastStep", f"{stage_name(index)}.lastReported")],
        *[f"{stage_name(index)}.worker" for index in working],
        "phase", "source", "started", "finished", "error",
    ]  # fmt: skip
    rows = []
    for record in records:
        costs = record.get("stageCosts", [])
        config = record.get("config", [])
        reported = stage_metrics(record)
        rows.append([
            record.get("trialIndex"), record.get("status"), record.get("objective"),
            record.get("chargedCost"), record.get("cachedPrefix"),
            *[costs[index] if index < len(costs) else None for index in range(stage_count)],
            *([_at(record.get("stageCharges"), index) for index in range(stage_count)] if charging else []),
            *[config[index].get(name) if index < len(config) else None for index, name in params],
            *[(reported[index] or {}).get(name) if index < len(reported) else None for index, name in metrics],
            *[value for index in reporting for value in _last_report(record, index)],
            *[_worker(record, index) for index in working],
            record.get("phase"), record.get("source"), record.get("startedAt"), record.get("finishedAt"),
            record.get("error"),
        ])  # fmt: skip
    return columns, rows


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 time as the TypeScript side writes it (``...Z``), as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _at(values: list[Any] | None, index: int) -> Any:
    return values[index] if values is not None and index < len(values) else None


def _csv_cell(cell: Any) -> str:
    """A cell as the TypeScript CLI writes it: numbers as JavaScript prints them, quoted when needed."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        text = "true" if cell else "false"
    elif isinstance(cell, (int, float)):
        text = number_to_string(cell)
    else:
        text = str(cell)
    return '"' + text.replace('"', '""') + '"' if any(char in text for char in '",\r\n') else text


def _curve(record: dict[str, Any], index: int) -> dict[str, Any] | None:
    curves = record.get("stageIntermediate") or []
    curve = curves[index] if index < len(curves) else None
    return curve if curve and curve.get("steps") else None


def _last_report(record: dict[str, Any], index: int) -> tuple[Any, Any]:
    curve = _curve(record, index)
    return (None, None) if curve is None else (curve["steps"][-1], curve["values"][-1])


def _worker(record: dict[str, Any], index: int) -> str | None:
    workers = record.get("stageWorkers") or []
    worker = workers[index] if index < len(workers) else None
    return worker.get("identity") if worker else None


async def describe_study(client: Client, study_id: str) -> WorkflowExecutionDescription:
    """The study's latest run as the server describes it.

    Raises:
        StudyNotFound: no study has that id.
    """
    try:
        return await client.get_workflow_handle(study_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise StudyNotFound(f"no study '{study_id}' on the server (or it has left its retention)") from error
        raise


async def study_outcome(client: Client, study_id: str) -> dict[str, Any]:
    """What the study workflow says of itself: its outcome once ended, its result query while it
    runs (a worker of its orchestration queue answers it)."""
    handle = client.get_workflow_handle(study_id)
    description = await describe_study(client, study_id)
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    if description.status == WorkflowExecutionStatus.FAILED:
        try:
            await handle.result()
        except WorkflowFailureError as failure:
            # A study that ended as failed carries its outcome as the failure's first detail.
            cause = failure.cause
            if isinstance(cause, ApplicationError) and cause.type == _STUDY_FAILED and cause.details:
                return cause.details[0]
        # Cancelled or crashed: the result query still answers from its last state.
    try:
        return await handle.query(_RESULT_QUERY)
    except RPCError as error:
        # A running study is read through its worker; none polls (or none answers) its queue.
        missing = query_answer_missing(study_id, error)
        if missing is not None:
            raise missing from error
        raise


async def load_study(
    study_id: str,
    *,
    client: Client | None = None,
    store: ObjectStore | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> Study:
    """Reads a study's trials (Optuna's ``optuna.load_study``): ``client``, else a connection as
    :func:`memotune.run_worker` makes one (``address``, ``namespace``, ``profile``, the
    ``TEMPORAL_*`` variables, the local stack); ``store``, else S3 from ``MEMOTUNE_S3_*``, else
    the local stack's.

    Raises:
        StudyNotFound: no study has that id.
        TrialLogError: the log lacks records the study has (another bucket or prefix than its workers').
    """
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    outcome = await study_outcome(client, study_id)
    if "history" in outcome:  # ended under an older release that kept its records inline
        records = list(outcome["history"])
    elif outcome.get("trialLog") is None:
        records = []
    else:
        if store is None:
            store = S3ObjectStore.from_settings(S3Settings.from_env())
        records = read_records(store, outcome["trialLog"], int(outcome.get("trials", 0)))
    return Study(
        study_id=study_id,
        status=str(outcome.get("status")),
        direction=str(outcome.get("direction", "maximize")),
        stages=list(outcome.get("stages") or []),
        objective_metric=outcome.get("objectiveMetric"),
        trials=records,
        best=outcome.get("best"),
        param_types=await _param_types(client, study_id),
        store=store,
    )


async def study_plan(client: Client, study_id: str) -> dict[str, Any] | None:
    """The study's plan, from its latest run's input; ``None`` when it cannot be read (a payload
    codec this client lacks, a history gone)."""
    try:
        async for event in client.get_workflow_handle(study_id).fetch_history_events(page_size=1):
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            plan = (await client.data_converter.decode(payloads))[0]["plan"]
            return plan if isinstance(plan, dict) else None
    except Exception:  # best effort: callers do without it
        return None
    return None


async def _param_types(client: Client, study_id: str) -> dict[str, str]:
    """Each parameter's type by column, from the plan; empty when it cannot be read: then the
    trials are as JSON has them."""
    plan = await study_plan(client, study_id)
    if plan is None:
        return {}
    return {
        f"{stage['name']}.{param['name']}": str(param.get("type", "float"))
        for stage in plan["stages"]
        for param in stage["params"]
    }
