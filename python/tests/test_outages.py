"""runStage through an S3 outage: infrastructure errors are retried, never a stage failure
(mirrors test/unit/activities/run-stage-outages.test.ts)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from memotune import StageContext, StageResult, cache
from conftest import KEY_B, Harness, Outage, request


class FakeClock:
    """Moves only when told: each failed store call takes 5 s of it, a stage what it adds."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_of_the_pre_stage_reads_is_waited_out_heartbeating_and_not_charged(short_heartbeat: Harness) -> None:
    harness = short_heartbeat
    harness.with_parent()
    clock = FakeClock()
    runs: list[int] = []

    def train(ctx: StageContext) -> StageResult:
        runs.append(1)
        clock.now += 2.0
        return StageResult(ctx.parent.json())  # type: ignore[union-attr]

    outage = Outage(None, clock=clock)
    harness.store.before_read = outage
    harness.set_info(heartbeat_details=[{"spentCost": 1.5, "attempt": 1}])
    # Longer than the 0.3 s heartbeat timeout: the attempt must stay alive while it waits.
    threading.Timer(0.7, outage.end).start()
    result = harness.run(harness.activity({"train": train}, clock=clock), request())
    assert runs == [1] and outage.failures > 10
    assert (result["cost"], result["wallSeconds"], result["chargedCost"]) == (2.0, 2.0, 3.5)
    assert len(harness.heartbeats) >= 2
    assert all(beat["spentCost"] == 1.5 for beat in harness.heartbeats)
    # While it waited, the heartbeats said so (`memotune study status` shows it), with the error.
    waiting = [beat["waitingOnStore"] for beat in harness.heartbeats if "waitingOnStore" in beat]
    assert waiting and waiting[-1]["seconds"] >= 0 and waiting[-1]["error"]


def test_the_stages_own_reads_of_earlier_outputs_are_retried(harness: Harness) -> None:
    harness.with_parent({"rows": 7})
    clock = FakeClock()

    def train(ctx: StageContext) -> StageResult:
        harness.store.before_read = Outage(3, clock=clock)
        with ctx.parent.open() as stream:  # type: ignore[union-attr]
            streamed = json.loads(stream.read())
        harness.store.before_read = Outage(2, clock=clock)
        rows = ctx.parent.json()["rows"]  # type: ignore[union-attr]
        clock.now += 1.0
        return StageResult({"rows": rows, "streamed": streamed["rows"]})

    result = harness.run(harness.activity({"train": train}, clock=clock), request())
    assert result["cost"] == 1.0
    data = harness.store.objects[cache.data_key(KEY_B, result["sha256"])]
    assert json.loads(data) == {"rows": 7, "streamed": 7}


def test_a_long_upload_outage_is_waited_out_and_not_charged(harness: Harness) -> None:
    harness.with_parent()
    clock = FakeClock()

    def train(ctx: StageContext) -> StageResult:
        clock.now += 3.0
        harness.store.before_put = Outage(12, clock=clock)
        return StageResult({"done": True})

    result = harness.run(harness.activity({"train": train}, clock=clock), request())
    assert (result["cost"], result["wallSeconds"], result["recovered"]) == (3.0, 3.0, False)
    assert json.loads(harness.store.objects[cache.meta_key(KEY_B)])["cost"] == 3


def test_cancellation_ends_the_wait_and_commits_nothing(harness: Harness) -> None:
    harness.with_parent()
    outage = Outage(None)
    harness.store.before_put = outage
    activity = harness.activity({"train": lambda ctx: StageResult(1)})

    async def scenario() -> None:
        task = asyncio.ensure_future(harness.env.run(activity.run_stage, request()))
        while outage.failures == 0:
            await asyncio.sleep(0.01)
        harness.env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    failures = outage.failures
    time.sleep(0.05)
    # The thread that was retrying the upload stopped with the attempt.
    assert outage.failures == failures
    assert cache.meta_key(KEY_B) not in harness.store.objects


def test_a_missing_earlier_output_is_not_an_outage(harness: Harness) -> None:
    reads: list[str] = []
    harness.store.before_read = reads.append
    error: Any
    with pytest.raises(Exception) as raised:
        harness.run(harness.activity({"train": lambda ctx: StageResult(1)}), request())
    error = raised.value
    assert getattr(error, "type", None) == "CacheMiss"
    assert len(reads) == 2  # this stage's meta, then the parent's: each read once


def test_a_read_the_stage_left_running_stops_once_the_attempt_is_over(harness: Harness) -> None:
    harness.with_parent()
    outage = Outage(None)
    stray: dict[str, Any] = {}

    def read_parent(ctx: StageContext) -> None:
        try:
            ctx.parent.json()  # type: ignore[union-attr]
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            stray["error"] = error

    def train(ctx: StageContext) -> StageResult:
        harness.store.before_read = outage
        stray["thread"] = threading.Thread(target=read_parent, args=(ctx,))
        stray["thread"].start()
        return StageResult(1)

    harness.run(harness.activity({"train": train}), request())
    stray["thread"].join(5)
    assert type(stray["error"]).__name__ == "RetryCancelled"
    failures = outage.failures
    time.sleep(0.05)
    assert outage.failures == failures
