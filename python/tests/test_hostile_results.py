"""Every way a stage can hand back something unusable, and what runStage makes of it: a failure of
a known type, retried only when a re-run could help, whose message names the problem and whose
details carry what the stage spent (so the trial is charged), and nothing committed. Mirrors
test/unit/activities/hostile-results.test.ts."""

from __future__ import annotations

import asyncio
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from memotune import StageActivity, StageContext, StageDefinition, StageResult, cache
from memotune.activity import MAX_FAILURE_MESSAGE_LENGTH, MAX_METRIC_NAME_LENGTH, MAX_STAGE_METRICS
from conftest import KEY_B, Harness, request

STAGE_SECONDS = 1.5
"""Every stage below "runs" this long on the fake clock before it returns or raises."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hostile_activity(harness: Harness, stage: Callable[[StageContext], Any], clock: FakeClock) -> StageActivity:
    def train(ctx: StageContext) -> Any:
        clock.now += STAGE_SECONDS
        return stage(ctx)

    return harness.activity({"train": train}, clock=clock)


def cyclic() -> dict[str, Any]:
    node: dict[str, Any] = {"name": "node"}
    node["self"] = node
    return node


def raises(error: BaseException) -> Callable[[StageContext], Any]:
    def stage(ctx: StageContext) -> Any:
        raise error

    return stage


def returns(value: Any) -> Callable[[StageContext], Any]:
    return lambda ctx: value


class ExplodingMapping(Mapping[str, Any]):
    """A result whose fields cannot be read."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("result getter exploded")

    def __iter__(self) -> Iterator[str]:
        return iter(["output"])

    def __len__(self) -> int:
        return 1


class BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


LONG_NAME = "n" * (10 * 1024 * 1024)
INVALID = ("InvalidStageResult", True)
FAILED = ("StageFailed", False)

CASES: list[tuple[str, Callable[[StageContext], Any], tuple[str, bool], str]] = [
    ("nan cost", returns(StageResult(1, cost=math.nan)), INVALID, r"cost = nan; cost must be a finite number >= 0"),
    ("inf cost", returns(StageResult(1, cost=math.inf)), INVALID, r"cost = inf"),
    ("-inf cost", returns(StageResult(1, cost=-math.inf)), INVALID, r"cost = -inf"),
    ("negative cost", returns(StageResult(1, cost=-2)), INVALID, r"cost = -2"),
    ("string cost", returns({"output": 1, "cost": "3"}), INVALID, r"cost = '3'"),
    ("string metric", returns({"output": 1, "metrics": {"acc": "0.9"}}), INVALID, r"metrics\.acc = '0\.9'; metrics must be numbers"),
    ("bool metric", returns(StageResult(1, {"ok": True})), INVALID, r"metrics\.ok = True"),
    ("metric named by a number", returns({"output": 1, "metrics": {3: 1.0}}), INVALID, r"metrics\.3 = 1\.0"),
    ("metrics as a list", returns({"output": 1, "metrics": [0.5]}), INVALID, r"metrics must be a dict"),
    ("no output", returns({"metrics": {"acc": 1}}), INVALID, r"'output' field"),
    ("nothing at all", returns(None), INVALID, r"'output' field"),
    ("cyclic output", returns(StageResult(cyclic())), INVALID, r"cannot store: it refers to itself \(a cycle\)"),
    ("function in the output", returns({"output": {"predict": print}}), INVALID, r"cannot store: .*not JSON-serial"),
    ("set in the output", returns(StageResult({1, 2})), INVALID, r"cannot store: TypeError: set is not JSON"),
    ("unreadable result", returns(ExplodingMapping()), INVALID, r"cannot read: RuntimeError: result getter exploded"),
    (
        f"{MAX_STAGE_METRICS + 1} metrics",
        returns(StageResult(1, {f"m{i}": i for i in range(MAX_STAGE_METRICS + 1)})),
        INVALID,
        rf"reported {MAX_STAGE_METRICS + 1} metrics; at most {MAX_STAGE_METRICS} metrics",
    ),
    (
        "100,000 metrics",
        returns({"output": 1, "metrics": {f"m{i}": i for i in range(100_000)}}),
        INVALID,
        r"reported 100000 metrics; at most 256",
    ),
    (
        "10 MB metric name",
        returns(StageResult(1, {LONG_NAME: 1})),
        INVALID,
        rf"metric name of {len(LONG_NAME)} characters .*limited to {MAX_METRIC_NAME_LENGTH} characters",
    ),
    ("long metric name with a bad value", returns(StageResult(1, {"x" * 300: "bad"})), INVALID, r"metric name of 300"),
    ("raised SystemExit", raises(SystemExit(3)), FAILED, r"failed: RuntimeError: stage raised SystemExit\(3\)"),
    ("raised KeyboardInterrupt", raises(KeyboardInterrupt()), FAILED, r"failed: RuntimeError: stage raised Keyboard"),
    ("raised an exception whose str raises", raises(BadStr()), FAILED, r"failed: BadStr: \(its message cannot be"),
    ("raised an empty exception", raises(ValueError()), FAILED, r"failed: ValueError$"),
]


def assert_failure(harness: Harness, activity: StageActivity, kind: tuple[str, bool], pattern: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        harness.run(activity, request())
    error = raised.value
    assert (error.type, error.non_retryable) == kind
    assert error.message.startswith("stage 'train' ")
    assert re.search(pattern, error.message), error.message
    assert len(error.message) <= MAX_FAILURE_MESSAGE_LENGTH + 100
    # Charged this attempt's 1.5 s on top of the earlier attempt's 4.
    assert error.details == (pytest.approx({"spentCost": 4.0 + STAGE_SECONDS, "attempt": 2}),)
    assert cache.meta_key(KEY_B) not in harness.store.objects


@pytest.fixture
def hostile(harness: Harness) -> Harness:
    harness.with_parent()
    harness.set_info(heartbeat_details=[{"spentCost": 4.0, "attempt": 1}], attempt=2)
    return harness


@pytest.mark.parametrize("name, stage, kind, pattern", CASES, ids=[case[0] for case in CASES])
def test_sync_stage(
    hostile: Harness, name: str, stage: Callable[[StageContext], Any], kind: tuple[str, bool], pattern: str
) -> None:
    clock = FakeClock()
    assert_failure(hostile, hostile_activity(hostile, stage, clock), kind, pattern)


@pytest.mark.parametrize(
    "name, stage, kind, pattern",
    [case for case in CASES if case[0].startswith("raised")],
    ids=[case[0] for case in CASES if case[0].startswith("raised")],
)
def test_async_stage_raising(
    hostile: Harness, name: str, stage: Callable[[StageContext], Any], kind: tuple[str, bool], pattern: str
) -> None:
    """Raised from a task on the worker's loop, SystemExit and KeyboardInterrupt would stop the loop."""
    clock = FakeClock()

    async def train(ctx: StageContext) -> Any:
        clock.now += STAGE_SECONDS
        return stage(ctx)

    activity = StageActivity(hostile.store, {"train": StageDefinition("train", train)}, clock=clock)
    assert_failure(hostile, activity, kind, pattern)


def test_async_stage_raising_cancelled_error_itself_is_a_stage_failure(hostile: Harness) -> None:
    clock = FakeClock()

    async def train(ctx: StageContext) -> Any:
        clock.now += STAGE_SECONDS
        raise asyncio.CancelledError()

    activity = StageActivity(hostile.store, {"train": StageDefinition("train", train)}, clock=clock)
    assert_failure(hostile, activity, FAILED, r"failed: RuntimeError: stage raised asyncio\.CancelledError")


def test_huge_error_message_is_cut(hostile: Harness) -> None:
    activity = hostile_activity(hostile, raises(RuntimeError("x" * (10 * 1024 * 1024))), FakeClock())
    assert_failure(hostile, activity, FAILED, r"x…$")


def test_exactly_the_limits_are_accepted(hostile: Harness) -> None:
    metrics = {str(i).rjust(MAX_METRIC_NAME_LENGTH, "m"): i for i in range(MAX_STAGE_METRICS)}
    result = hostile.run(hostile_activity(hostile, returns(StageResult({"ok": True}, metrics)), FakeClock()), request())
    assert len(result["metrics"]) == MAX_STAGE_METRICS


def test_a_50_mb_output_is_stored(hostile: Harness) -> None:
    size = 50 * 1024 * 1024
    result = hostile.run(hostile_activity(hostile, returns(StageResult(b"\x07" * size)), FakeClock()), request())
    assert (result["bytes"], result["recovered"]) == (size, False)
    meta = hostile.store.objects[cache.meta_key(KEY_B)]
    assert b'"bytes":52428800' in meta


def test_a_stage_that_never_returns_is_given_up_at_cancellation(hostile: Harness) -> None:
    """The stage ignores its cancellation: the attempt ends after the grace period all the same,
    and its heartbeats carried what it spent and what earlier attempts had spent."""
    hostile.set_info(heartbeat_timeout=timedelta(seconds=0.3))
    release = threading.Event()
    started = threading.Event()

    def train(ctx: StageContext) -> Any:
        started.set()
        release.wait(10)  # ignores ctx.cancelled
        return StageResult(1)

    activity = hostile.activity({"train": train})

    async def scenario() -> None:
        task = asyncio.ensure_future(hostile.env.run(activity.run_stage, request()))
        await asyncio.to_thread(started.wait, 5)
        await asyncio.sleep(0.3)
        hostile.env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(scenario())
    finally:
        release.set()
    assert hostile.heartbeats, "the attempt heartbeated while the stage ran"
    assert all(beat["spentBefore"] == 4.0 and beat["attempt"] == 2 for beat in hostile.heartbeats)
    assert hostile.heartbeats[-1]["spentCost"] > 4.0
    assert cache.meta_key(KEY_B) not in hostile.store.objects
