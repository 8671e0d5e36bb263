"""What a running study's stages are doing, read from the server as ``memotune study status --json``
reads it (src/client/index.ts ``stageActivity``, src/client/worker-wait.ts): the stage queues its
trials wait on with no live worker (``waitingOn``) and what each computing trial's stage attempt is
doing (``runningStages``). No worker needs to answer: the server keeps each trial's pending stage
run, its last heartbeat, and each task queue's pollers."""

from __future__ import annotations

import math
import re
import time
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from .trials import study_plan

# A listed poller older than this has stopped: one minute of long poll, plus a margin (worker-wait.ts).
LIVE_POLL_AGE_MS = 75_000


def classify_pollers(last_access_ms: list[int | None], now_ms: int) -> dict[str, Any]:
    """``live`` pollers (seen within :data:`LIVE_POLL_AGE_MS`, or without a time), ``listed`` and
    ``lastPollAgeMs`` (of the newest poll; ``None`` when none is listed), as ``classifyPollers``."""
    live = sum(1 for at in last_access_ms if at is None or now_ms - at <= LIVE_POLL_AGE_MS)
    times = [at for at in last_access_ms if at is not None]
    newest = max(times) if times else None
    return {
        "live": live,
        "listed": len(last_access_ms),
        "lastPollAgeMs": None if newest is None else max(0, now_ms - newest),
    }


def _number(value: Any) -> bool:
    """A JSON number as the TypeScript reader takes one (``typeof value === 'number'``): not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return _number(value) and math.isfinite(value)


def _ms(timestamp: Any) -> int | None:
    """A protobuf timestamp in epoch ms; ``None`` when unset."""
    if timestamp is None or (timestamp.seconds == 0 and timestamp.nanos == 0):
        return None
    return timestamp.seconds * 1000 + timestamp.nanos // 1_000_000


async def _activity_pollers(client: Client, task_queue: str) -> dict[str, Any] | None:
    try:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
    except Exception:  # the server cannot say: not reported as waiting
        return None
    return classify_pollers(
        [_ms(poller.last_access_time) if poller.HasField("last_access_time") else None for poller in response.pollers],
        int(time.time() * 1000),
    )


async def _pending_stage_runs(client: Client, progress: dict[str, Any]) -> list[tuple[int, bool, Any]]:
    """Each running trial's pending ``runStage`` (trial index, waiting for a prefix, the server's record)."""
    if progress.get("status") not in ("running", "paused"):
        return []
    trials = [(trial["trialIndex"], trial.get("waiting") is True) for trial in progress.get("runningTrials") or []]
    running = progress.get("runningTrial")
    if running is not None and all(index != running for index, _ in trials):
        trials.append((running, False))
    runs = []
    for index, waiting in trials:
        try:
            description = await client.get_workflow_handle(f"{progress['studyId']}/trial-{index}").describe()
        except Exception:  # the trial finished (or its workflow is gone) since the progress was read
            continue
        for activity in description.raw_description.pending_activities:
            if activity.activity_type.name == "runStage":
                runs.append((index, waiting, activity))
    return runs


async def _queues_waited_on(client: Client, progress: dict[str, Any], runs: list[tuple[int, bool, Any]]) -> list[dict[str, Any]]:
    if not any(activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED for _, _, activity in runs):
        return []
    plan = await study_plan(client, progress["studyId"])
    by_queue: dict[str, list[str]] = {}
    for stage in (plan or {}).get("stages", []):
        by_queue.setdefault(stage["taskQueue"], []).append(stage["name"])
    stuck = []
    for task_queue, names in by_queue.items():
        pollers = await _activity_pollers(client, task_queue)
        if pollers is not None and pollers["live"] == 0:
            stuck.append({"taskQueue": task_queue, "stages": names, "lastPollAgeMs": pollers["lastPollAgeMs"]})
    return stuck


async def _stages_running(client: Client, runs: list[tuple[int, bool, Any]]) -> list[dict[str, Any]]:
    stages = []
    now_ms = int(time.time() * 1000)
    for index, waiting, activity in runs:
        attempt = activity.attempt or 1
        # A scheduled attempt after a failed one is a retry in its backoff; a first one waits for a worker.
        retrying = activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED and attempt > 1
        if waiting or (activity.state != PendingActivityState.PENDING_ACTIVITY_STATE_STARTED and not retrying):
            continue
        details: dict[str, Any] = {}
        try:
            decoded = await client.data_converter.decode(list(activity.heartbeat_details.payloads))
            if decoded and isinstance(decoded[0], dict):
                details = decoded[0]
        except Exception:  # details this client cannot decode (another codec): shown without them
            pass
        failure = activity.last_failure.message if activity.HasField("last_failure") else ""
        named = details.get("stage") if isinstance(details.get("stage"), str) else None
        if named is None:
            match = re.match(r"^stage '([^']+)'", failure)
            named = match.group(1) if match else None
        stage: dict[str, Any] = {"trialIndex": index}
        if named is not None:
            stage["stage"] = named
        stage["attempt"] = attempt
        stage["maximumAttempts"] = activity.maximum_attempts
        started = _ms(activity.last_started_time) if activity.HasField("last_started_time") else None
        if retrying:
            next_attempt = _ms(activity.next_attempt_schedule_time) if activity.HasField("next_attempt_schedule_time") else None
            stage["retryInSeconds"] = 0 if next_attempt is None else max(0.0, (next_attempt - now_ms) / 1000)
        elif started is not None:
            stage["runningSeconds"] = max(0.0, (now_ms - started) / 1000)
        if attempt > 1 and failure:
            stage["lastFailure"] = failure
        if activity.last_worker_identity:
            stage["worker"] = activity.last_worker_identity
        if _number(details.get("spentCost")):
            stage["spentSeconds"] = details["spentCost"]
        if details.get("details") is not None:
            stage["progress"] = details["details"]
        reported = details.get("reported")
        if isinstance(reported, dict) and all(_number(reported.get(k)) for k in ("step", "value")):
            stage["reported"] = {"step": reported["step"], "value": reported["value"]}
        outage = details.get("waitingOnStore")
        if isinstance(outage, dict) and _finite(outage.get("seconds")) and isinstance(outage.get("error"), str):
            stage["waitingOnStore"] = {"seconds": outage["seconds"], "error": outage["error"]}
        beat = _ms(activity.last_heartbeat_time) if activity.HasField("last_heartbeat_time") else None
        if beat is not None:
            stage["lastHeartbeatAgeSeconds"] = max(0.0, (now_ms - beat) / 1000)
        stages.append(stage)
    return stages


async def stage_activity(client: Client, progress: dict[str, Any]) -> dict[str, Any]:
    """``waitingOn`` (stage queues a trial waits on that no live worker polls: start a worker there)
    and ``runningStages`` (each computing trial's stage attempt), each only when not empty, as
    ``memotune study status --json`` adds them to a running study's progress."""
    runs = await _pending_stage_runs(client, progress)
    waiting_on = await _queues_waited_on(client, progress, runs)
    running = await _stages_running(client, runs)
    return {
        **({"waitingOn": waiting_on} if waiting_on else {}),
        **({"runningStages": running} if running else {}),
    }
