"""Helpers for running the runStage activity without a Temporal server or S3."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from temporalio.testing import ActivityEnvironment

from memotune import MemoryObjectStore, StageActivity, StageDefinition, cache

KEY_A = "a" * 64
KEY_B = "b" * 64
KEY_C = "c" * 64


def request(**overrides: Any) -> dict[str, Any]:
    """A runStage input for stage 1 ("train") whose parent is stage 0 ("prep", key KEY_A)."""
    base: dict[str, Any] = {
        "studyId": "study-1",
        "trialIndex": 3,
        "pipelineId": "pipe",
        "stageIndex": 1,
        "stageName": "train",
        "implementation": "train",
        "version": "1",
        "params": {"lr": 0.1},
        "key": KEY_B,
        "parentKey": KEY_A,
        "ancestors": [{"stage": "prep", "key": KEY_A}],
        "seed": 12345,
    }
    base.update(overrides)
    return base


def commit_output(store: MemoryObjectStore, key: str, stage: str, output: Any, **fields: Any) -> dict[str, Any]:
    """Puts a committed output in the store, as an earlier stage would have."""
    encoded = cache.write_data(store, key, cache.encode_output(output))
    meta_fields = {"pipelineId": "pipe", "stage": stage, "version": "1", "cost": 2.0, "metrics": {}, **fields}
    return cache.commit(store, key, encoded, meta_fields, datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc))


class RecordingStore(MemoryObjectStore):
    """A memory store that records writes in order; ``before_put(key)`` runs before each write and
    ``before_read(key)`` before each read (to fail it or advance a fake clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self.file_uploads: list[Path] = []
        self.streamed: list[str] = []
        self.before_put: Callable[[str], None] = lambda key: None
        self.before_read: Callable[[str], None] = lambda key: None

    def get(self, key: str) -> bytes | None:
        self.before_read(key)
        return super().get(key)

    def open(self, key: str) -> BinaryIO | None:
        self.before_read(key)
        return super().open(key)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.before_put(key)
        self.writes.append(key)
        super().put(key, body, content_type)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.file_uploads.append(path)
        super().put_file(key, path, content_type)

    def put_stream(self, key: str, open_body: Callable[[], BinaryIO], content_type: str) -> None:
        self.before_put(key)
        self.writes.append(key)
        self.streamed.append(key)
        super().put_stream(key, open_body, content_type)


class Outage:
    """``before_put``/``before_read`` hook: fails the next ``count`` calls (forever with None) with
    ``error()``, advancing ``clock`` by ``seconds`` per failure, the way an S3 outage would."""

    def __init__(
        self,
        count: int | None,
        error: Callable[[], Exception] = lambda: ConnectionError("S3 unavailable"),
        clock: Any = None,
        seconds: float = 5.0,
    ) -> None:
        self.left = count
        self.error = error
        self.clock = clock
        self.seconds = seconds
        self.failures = 0

    def end(self) -> None:
        self.left = 0

    def __call__(self, key: str) -> None:
        if self.left is None or self.left > 0:
            if self.left is not None:
                self.left -= 1
            self.failures += 1
            if self.clock is not None:
                self.clock.now += self.seconds
            raise self.error()


class Harness:
    """An activity bound to a memory store, run in Temporal's ActivityEnvironment."""

    def __init__(self) -> None:
        self.store = RecordingStore()
        self.env = ActivityEnvironment()
        self.heartbeats: list[Any] = []
        self.env.on_heartbeat = lambda *details: self.heartbeats.append(details[0] if details else None)

    def activity(self, stages: dict[str, Callable[..., Any]], **kwargs: Any) -> StageActivity:
        definitions = {name: StageDefinition(name, fn) for name, fn in stages.items()}
        kwargs.setdefault("retry_initial_seconds", 0.001)
        kwargs.setdefault("retry_max_seconds", 0.002)
        kwargs.setdefault("identity", "7@test-host")
        return StageActivity(self.store, definitions, **kwargs)

    def set_info(self, **changes: Any) -> None:
        self.env.info = dataclasses.replace(self.env.info, **changes)

    def run(self, activity: StageActivity, req: dict[str, Any]) -> dict[str, Any]:
        return asyncio.run(self.env.run(activity.run_stage, req))

    def run_cancelled(
        self, activity: StageActivity, req: dict[str, Any], cancel_when: Callable[[], Awaitable[Any]]
    ) -> None:
        """Runs the activity, cancels it once ``cancel_when()`` returns, and checks it ends cancelled."""

        async def scenario() -> None:
            task = asyncio.ensure_future(self.env.run(activity.run_stage, req))
            await cancel_when()
            self.env.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(scenario())

    def with_parent(self, output: Any = None) -> dict[str, Any]:
        return commit_output(self.store, KEY_A, "prep", {"rows": 10} if output is None else output)


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def short_heartbeat(harness: Harness) -> Harness:
    harness.set_info(heartbeat_timeout=timedelta(seconds=0.3))
    return harness
