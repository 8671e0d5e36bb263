"""Starting and steering studies from Python (the Node CLI's ``study start|status|enqueue|stop``).

The study loop runs in memotune's orchestration worker (Node); these calls talk to it through
Temporal, as the TypeScript client does: a study is started as ``studyFromConfigWorkflow`` with its
config (the worker checks and plans it, then runs it as ``studyWorkflow`` under the same id), and
read and steered through the study workflow's query and updates (workflows/definitions.ts).
"""

from __future__ import annotations

import asyncio
import math
import numbers
import time
from collections.abc import Mapping, Sequence
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from .connection import connect
from .jsjson import plain_scalar
from .stage_activity import stage_activity
from .store import ObjectStore
from .trials import describe_study, load_study, query_answer_missing, study_outcome, study_plan

DEFAULT_PREFIX = "memotune"
_SEARCH_ATTRIBUTES = (
    "MemotuneKind", "MemotuneStudy", "MemotunePipeline", "MemotuneMethod",
    "MemotuneStatus", "MemotuneTrials", "MemotuneBest", "MemotuneSpent",
)  # fmt: skip


class StudyExists(RuntimeError):
    """A study with that id ran (or runs) already: continue it with the Node CLI, or pick another id."""


class StudyConfigRejected(ValueError):
    """The orchestration worker refused the config (its message names the field); nothing was left behind."""


class StudyFinished(ValueError):
    """A control call (stop, enqueue, extend) to a study that has ended (the TypeScript client's
    ``StudyFinishedError``); ``finished_as`` says how: completed, stopped, exhausted, failed[: how]."""

    def __init__(self, study_id: str, finished_as: str) -> None:
        # Only a study that ended on its own keeps a state to go on from.
        after = (
            f"; continue it from its recorded trials with more budget or trials "
            f"(`memotune study continue {study_id} --budget <extra>` / `--trials <extra>`)"
            if finished_as in ("completed", "stopped", "exhausted")
            else ""
        )
        super().__init__(f"study '{study_id}' has already finished ({finished_as}){after}")
        self.study_id = study_id
        self.finished_as = finished_as


def _plain_json(value: Any, path: str) -> Any:
    """``value`` as plain JSON data (numpy scalars and 0-d arrays become the bool, int or float they
    hold), checked on the way:
    the orchestration worker parses it with JavaScript's JSON, where a NaN or infinite number is
    no JSON at all and the study's first workflow task would fail on it, forever.

    Raises:
        ValueError: a NaN or infinite number (the message names its path).
        TypeError: a value JSON cannot carry (the message names its path).
    """
    where = path or "(the value)"
    if value is None or isinstance(value, (bool, str)):
        return value
    scalar = plain_scalar(value)  # numpy's bool_, int64, float32, array(0.5)
    if scalar is not value:
        return _plain_json(scalar, path)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{where}: must be a finite number, not {number}")
        return number
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: keys must be strings, not {type(key).__name__} {key!r}")
            plain[key] = _plain_json(item, f"{path}.{key}" if path else key)
        return plain
    if isinstance(value, (list, tuple)):
        return [_plain_json(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{where}: {type(value).__name__} is not JSON (numbers, strings, booleans, None, lists, dicts)")


async def _finished_as(client: Client, study_id: str) -> str | None:
    """How a study ended (as the TypeScript client words it), or ``None`` while it runs.

    Raises:
        StudyNotFound: no study has that id.
    """
    handle = client.get_workflow_handle(study_id)
    status = (await describe_study(client, study_id)).status
    if status == WorkflowExecutionStatus.RUNNING:
        return None
    if status == WorkflowExecutionStatus.COMPLETED:
        return str((await handle.result()).get("status", "completed"))
    if status == WorkflowExecutionStatus.FAILED:
        return "failed"
    name = status.name.lower() if status is not None else "ended"
    return f"failed: {'cancelled' if name == 'canceled' else name.replace('_', ' ')}"


async def _search_attributes_registered(client: Client) -> bool:
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except Exception:  # no permission, an older server: start without them, as the Node client does
        return False
    return all(name in response.custom_attributes for name in _SEARCH_ATTRIBUTES)


async def start_study(
    config: Mapping[str, Any],
    *,
    study_id: str | None = None,
    task_queue_prefix: str = DEFAULT_PREFIX,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
    check_seconds: float = 30.0,
) -> str:
    """Starts a study from its config (the JSON the Node CLI's ``study start`` reads, as a dict);
    returns its id (``study_id``, else the config's ``name``).

    The orchestration worker checks the config first: a config it refuses raises
    :class:`StudyConfigRejected` with its message, and nothing of the study is left on the server.
    When no orchestration worker answers within ``check_seconds``, the study is left to start when
    one polls (``memotune worker``), as the Node CLI does, and its id is returned.

    Raises:
        StudyExists: a study with that id exists.
        StudyConfigRejected: the config is invalid (the message names the field).
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict (the study config's JSON), not {type(config).__name__}")
    name = config.get("name")
    study = study_id if study_id is not None else name
    if not isinstance(study, str) or not study:
        raise StudyConfigRejected("name: the config needs a name (or pass study_id=)")
    try:
        plain_config = _plain_json(config, "")
    except (TypeError, ValueError) as error:
        raise StudyConfigRejected(str(error)) from error
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    searchable = await _search_attributes_registered(client)
    arguments = {"config": plain_config, "taskQueuePrefix": task_queue_prefix, "searchAttributes": searchable}

    async def start(policy: WorkflowIDReusePolicy) -> Any:
        return await client.start_workflow(
            "studyFromConfigWorkflow",
            arguments,
            id=study,
            task_queue=f"{task_queue_prefix}-orchestration",
            id_reuse_policy=policy,
        )

    try:
        handle = await start(WorkflowIDReusePolicy.REJECT_DUPLICATE)
    except WorkflowAlreadyStartedError as error:
        # A config refused under this id before (deleted below; the server may not have caught up)
        # ran no trial: the id is still free. Any other run under it is a study.
        if not await _only_a_refused_config(client, study):
            raise StudyExists(
                f"a study with id '{study}' exists: continue it (`memotune study continue {study}`) or pick another id"
            ) from error
        handle = await start(WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY)
    first_run = handle.first_execution_run_id or handle.result_run_id
    run = client.get_workflow_handle(study, run_id=first_run)
    deadline = time.monotonic() + check_seconds
    while time.monotonic() < deadline:
        status = (await run.describe()).status
        if status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
            return study  # planned: it runs as studyWorkflow under the same id
        if status == WorkflowExecutionStatus.FAILED:
            try:
                await run.result()
                message = "the study cannot start"
            except WorkflowFailureError as failure:
                message = _failure_message(failure)
            # A refused config leaves nothing behind: its id stays free for the corrected config (a
            # caller not allowed to delete leaves the failed run; the id is free again all the same).
            try:
                await client.workflow_service.delete_workflow_execution(
                    DeleteWorkflowExecutionRequest(
                        namespace=client.namespace,
                        workflow_execution=WorkflowExecution(workflow_id=study, run_id=first_run),
                    )
                )
            except RPCError:
                pass
            raise StudyConfigRejected(message)
        if status != WorkflowExecutionStatus.RUNNING:
            return study
        await asyncio.sleep(0.2)
    return study


async def _only_a_refused_config(client: Client, study: str) -> bool:
    """Whether the id's latest run is a config the orchestration worker refused (a failed
    ``studyFromConfigWorkflow``: it never became a study)."""
    try:
        described = await client.get_workflow_handle(study).describe()
    except RPCError as error:
        return error.status == RPCStatusCode.NOT_FOUND  # deleted meanwhile
    return described.workflow_type == "studyFromConfigWorkflow" and described.status == WorkflowExecutionStatus.FAILED


async def study_progress(
    study_id: str,
    *,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """What ``memotune study status --json`` shows: budget spent, trials, best, running trials
    (a running study's worker answers; an ended one's outcome is read from the server); for a
    running study also ``waitingOn`` — the stage queues its trials wait on that no worker polls
    (start a worker there: the study waits, it does not fail) — and ``runningStages``, each
    computing trial's stage attempt (attempt, seconds run, last heartbeat and reported value), each
    only when not empty."""
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    handle = client.get_workflow_handle(study_id)
    if await _finished_as(client, study_id) is None:
        try:
            progress: dict[str, Any] = await handle.query("memotune.progress")
        except RPCError as error:
            missing = query_answer_missing(study_id, error)
            if missing is not None:
                raise missing from error
            raise
        return {**progress, **await stage_activity(client, progress)}
    outcome = await study_outcome(client, study_id)
    return {key: value for key, value in outcome.items() if key not in ("history", "state")}


async def wait_for_study(
    study_id: str,
    *,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Waits until the study has ended, through pauses and its continue-as-new runs (``memotune
    study start --wait``), and returns what :func:`study_progress` shows of it then.

    Raises:
        StudyNotFound: no study has that id.
    """
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    if await _finished_as(client, study_id) is None:
        try:
            await client.get_workflow_handle(study_id).result()
        except WorkflowFailureError:
            pass  # failed, cancelled or terminated: its outcome says so
    return await study_progress(study_id, client=client)


def _failure_message(error: WorkflowFailureError | WorkflowUpdateFailedError) -> str:
    """What the study said, without the failure's type in front (``str()`` of the SDK's failure
    reads "Error: …" or "InvalidStudyConfig: …")."""
    cause = error.cause
    if isinstance(cause, FailureError) and cause.message:
        return cause.message
    return str(cause) if cause is not None else str(error)


async def _update(study_id: str, name: str, args: Sequence[Any], client: Client) -> dict[str, Any]:
    handle = client.get_workflow_handle(study_id)
    try:
        return await handle.execute_update(name, args=list(args))
    except WorkflowUpdateFailedError as error:
        # The study said no (a bad configuration, a stopped study): its message says why.
        raise ValueError(_failure_message(error)) from error
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # No such study, or it has ended: say which.
        finished_as = await _finished_as(client, study_id)
        if finished_as is None:
            raise
        raise StudyFinished(study_id, finished_as) from error


async def enqueue_trials(
    study_id: str,
    configurations: Sequence[Sequence[Mapping[str, Any]]],
    *,
    skip_existing: bool = False,
    store: ObjectStore | None = None,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Queues configurations to run next (Optuna's ``enqueue_trial``): each a list with one dict
    per stage (``[{"a": 0.5}, {"lr": 0.1}]``); a configuration may leave out parameters and stages
    at its end, which the optimizer fills. Returns the study's progress.

    ``skip_existing`` (Optuna's ``skip_if_exists``): leaves out a configuration whose given values
    the study has already, run, running or queued (or one given twice); their indices are in the
    result's ``skipped``. The trials are read from ``store`` (as :func:`load_study` reads them).

    Raises:
        ValueError: a bad configuration (the message names the stage and parameter).
        TypeError: a configuration that is not a list of per-stage dicts.
        StudyFinished: the study has ended. StudyNotFound: no study has that id.
    """
    if isinstance(configurations, (str, Mapping)) or not isinstance(configurations, Sequence):
        raise TypeError(f"configurations must be a list of configurations, not {type(configurations).__name__}")
    for index, configuration in enumerate(configurations):
        if isinstance(configuration, (str, Mapping)) or not isinstance(configuration, Sequence):
            raise TypeError(
                f"configurations[{index}] must be a list with one dict per stage, in pipeline order "
                f'(e.g. [{{"a": 0.5}}, {{"lr": 0.1}}]), not {type(configuration).__name__}'
            )
        for stage, values in enumerate(configuration):
            if not isinstance(values, Mapping):
                raise TypeError(
                    f"configurations[{index}][{stage}] must be a dict of that stage's parameters, "
                    f"not {type(values).__name__}"
                )
    plain = _plain_json([list(configuration) for configuration in configurations], "configurations")
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    if not skip_existing:
        return await _update(study_id, "memotune.enqueue", [plain], client)
    skipped = await _already_there(client, study_id, plain, store)
    sent = [configuration for index, configuration in enumerate(plain) if index not in skipped]
    if not sent:
        return {**await study_progress(study_id, client=client), "skipped": skipped}
    return {**await _update(study_id, "memotune.enqueue", [sent], client), "skipped": skipped}


async def _already_there(
    client: Client, study_id: str, configurations: list[list[dict[str, Any]]], store: ObjectStore | None
) -> list[int]:
    """Indices of the configurations the study has already (the TypeScript client's ``skipExisting``)."""
    outcome = await study_outcome(client, study_id)
    study = await load_study(study_id, client=client, store=store)
    plan = await study_plan(client, study_id) or {}
    existing: list[list[dict[str, Any]]] = [
        *(trial["config"] for trial in study.trials),
        *(trial["config"] for trial in outcome.get("runningTrials") or []),
        *((outcome.get("state") or {}).get("queued") or []),
        # The config's own enqueued configurations not started yet.
        *(plan.get("enqueue") or [])[int(outcome.get("trials", 0)) :],
    ]
    skipped: list[int] = []
    for index, candidate in enumerate(configurations):
        if any(_has_given_values(candidate, config) for config in existing):
            skipped.append(index)
        else:
            existing.append(candidate)
    return skipped


def _has_given_values(candidate: list[dict[str, Any]], config: list[dict[str, Any]]) -> bool:
    """Whether ``config`` has every value ``candidate`` gives, compared as JSON values are (``True``
    is not ``1``), as src/space/partial.ts's hasGivenValues does."""
    if len(candidate) > len(config):
        return False
    return all(
        name in stage and isinstance(stage[name], bool) == isinstance(value, bool) and stage[name] == value
        for values, stage in zip(candidate, config)
        for name, value in values.items()
    )


async def stop_study(
    study_id: str,
    *,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Starts no more trials; the running ones finish and are recorded, then the study ends as
    stopped (``memotune study stop``). Returns the study's progress.

    Raises:
        StudyFinished: the study has ended. StudyNotFound: no study has that id.
    """
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    return await _update(study_id, "memotune.stop", [], client)


async def extend_budget(
    study_id: str,
    amount: float,
    *,
    client: Client | None = None,
    address: str | None = None,
    namespace: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Adds ``amount`` cost units to a running study's budget (``memotune study extend``).

    Raises:
        ValueError: ``amount`` is not a positive finite number (or the study refuses it).
        StudyFinished: the study has ended. StudyNotFound: no study has that id.
    """
    plain_amount = _plain_json(amount, "amount")
    if isinstance(plain_amount, bool) or not isinstance(plain_amount, (int, float)):
        raise TypeError(f"amount: must be a number, not {type(amount).__name__}")
    client = await connect(client, address=address, namespace=namespace, profile=profile)
    return await _update(study_id, "memotune.extendBudget", [plain_amount], client)
