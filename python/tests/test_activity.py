"""runStage behaviour (contract version 1), mirrored from activities/index.ts."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import math
import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest
import temporalio.activity
from temporalio.exceptions import ApplicationError

from memotune import StageActivity, StageContext, StageDefinition, StageResult, cache
from botocore.exceptions import ClientError
from conftest import KEY_A, KEY_B, KEY_C, Harness, Outage, commit_output, request

# What the harness's activities record as their worker (tests/conftest.py sets the identity).
WORKER = {"identity": "7@test-host", "sdk": "python", "memotune": importlib.metadata.version("memotune")}


def failure(harness: Harness, activity: StageActivity, req: dict[str, Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        harness.run(activity, req)
    return raised.value


def stored_meta(harness: Harness, key: str = KEY_B) -> dict[str, Any]:
    return json.loads(harness.store.objects[cache.meta_key(key)])


# ---- outputs and their meta ---------------------------------------------------------------------


def test_json_output_is_committed_after_its_data(harness: Harness) -> None:
    harness.with_parent()
    harness.store.writes.clear()
    activity = harness.activity({"train": lambda ctx: StageResult({"a": 1, "b": [1, 2.5, "x"]}, {"acc": 0.75}, 4.5)})

    result = harness.run(activity, request())

    sha = hashlib.sha256(b'{"a":1,"b":[1,2.5,"x"]}').hexdigest()
    writes = harness.store.writes
    assert writes == [f"outputs/{KEY_B}/data-{sha}", f"outputs/{KEY_B}/meta.json"]
    assert harness.store.objects[writes[0]] == b'{"a":1,"b":[1,2.5,"x"]}'
    assert harness.store.content_types[writes[0]] == "application/json"
    meta = stored_meta(harness)
    assert list(meta) == ["pipelineId", "stage", "version", "cost", "metrics", "key", "format", "bytes", "sha256", "createdAt"]
    assert meta | {"createdAt": None} == {
        "pipelineId": "pipe", "stage": "train", "version": "1", "cost": 4.5, "metrics": {"acc": 0.75},
        "key": KEY_B, "format": "json", "bytes": 23, "sha256": sha, "createdAt": None,
    }
    assert meta["createdAt"].endswith("Z") and len(meta["createdAt"]) == len("2025-01-02T03:04:05.678Z")
    assert result | {"wallSeconds": None} == {
        "key": KEY_B, "worker": WORKER, "cost": 4.5, "chargedCost": 4.5, "metrics": {"acc": 0.75}, "bytes": 23, "sha256": sha,
        "wallSeconds": None, "recovered": False,
    }
    assert result["wallSeconds"] >= 0


def test_bytes_output_and_plain_dict_result(harness: Harness) -> None:
    harness.with_parent()
    activity = harness.activity({"train": lambda ctx: {"output": b"\x00\xff", "metrics": {"n": 2}}})
    result = harness.run(activity, request())
    meta = stored_meta(harness)
    assert (meta["format"], meta["bytes"], result["metrics"]) == ("bytes", 2, {"n": 2})
    assert harness.store.objects[cache.data_key(KEY_B, meta["sha256"])] == b"\x00\xff"


def test_path_output_is_streamed_from_the_file_and_workdir_removed(harness: Harness) -> None:
    harness.with_parent()
    seen: dict[str, Path] = {}

    def train(ctx: StageContext) -> StageResult:
        seen["workdir"] = ctx.workdir
        out = ctx.workdir / "model.bin"
        out.write_bytes(b"weights" * 1000)
        return StageResult(out)

    result = harness.run(harness.activity({"train": train}), request())
    sha256 = hashlib.sha256(b"weights" * 1000).hexdigest()
    assert harness.store.streamed == [cache.data_key(KEY_B, sha256)]
    assert stored_meta(harness)["format"] == "bytes"
    assert result["bytes"] == 7000 and result["sha256"] == sha256
    assert not seen["workdir"].exists()


def test_async_stage_functions_run_on_the_loop(harness: Harness) -> None:
    harness.with_parent()

    async def train(ctx: StageContext) -> StageResult:
        parent = await asyncio.to_thread(ctx.parent.json)  # type: ignore[union-attr]
        return StageResult(parent["rows"] * 2)

    harness.run(harness.activity({"train": train}), request())
    assert harness.store.objects[cache.data_key(KEY_B, stored_meta(harness)["sha256"])] == b"20"


# ---- idempotence and routing --------------------------------------------------------------------


def test_committed_output_is_recovered_without_running(harness: Harness) -> None:
    meta = commit_output(harness.store, KEY_B, "train", {"done": True}, cost=7.25, metrics={"acc": 0.5})
    activity = harness.activity({"train": lambda ctx: pytest.fail("must not run")})
    assert harness.run(activity, request()) == {
        "key": KEY_B, "worker": WORKER, "cost": 7.25, "chargedCost": 7.25, "metrics": {"acc": 0.5}, "bytes": meta["bytes"],
        "sha256": meta["sha256"], "wallSeconds": 0, "recovered": True,
    }


def test_the_result_names_the_worker_by_its_temporal_identity(harness: Harness) -> None:
    activity = StageActivity(harness.store, {"train": StageDefinition("train", lambda ctx: StageResult(1))})
    harness.with_parent()
    worker = harness.run(activity, request())["worker"]
    # The Python SDK's default identity, as run_worker passes the client's.
    assert worker == {"identity": f"{os.getpid()}@{socket.gethostname()}", "sdk": "python", "memotune": WORKER["memotune"]}
    assert WORKER["memotune"] != "unknown"


def test_unknown_implementation_is_not_retried(harness: Harness) -> None:
    harness.set_info(task_queue="memotune-python")
    error = failure(harness, harness.activity({}), request(implementation="nope"))
    assert (error.type, error.non_retryable) == ("UnknownStage", True)
    assert "'nope'" in error.message and "'memotune-python'" in error.message
    assert "(it serves no stage)" in error.message


def test_unknown_implementation_names_what_the_worker_serves(harness: Harness) -> None:
    harness.set_info(task_queue="memotune-python")
    stages = {"train": lambda ctx: None, "eval": lambda ctx: None}
    error = failure(harness, harness.activity(stages), request(implementation="nope"))
    assert "(it serves 'eval', 'train')" in error.message
    assert "every worker of a queue must register the same stages" in error.message
    typo = failure(harness, harness.activity(stages), request(implementation="trian"))
    assert "(it serves 'eval', 'train'; did you mean 'train'?)" in typo.message


def test_malformed_request_is_not_retried(harness: Harness) -> None:
    error = failure(harness, harness.activity({}), {"studyId": "s"})
    assert (error.type, error.non_retryable) == ("InvalidStageRequest", True)


# ---- earlier outputs ----------------------------------------------------------------------------


def test_missing_parent_is_a_cache_miss_before_the_stage_runs(harness: Harness) -> None:
    activity = harness.activity({"train": lambda ctx: pytest.fail("must not run")})
    error = failure(harness, activity, request())
    assert (error.type, error.non_retryable) == ("CacheMiss", True)
    assert "stage 'prep'" in error.message and KEY_A in error.message


def test_missing_ancestor_is_a_cache_miss(harness: Harness) -> None:
    harness.with_parent()
    req = request(stageIndex=2, key=KEY_C, ancestors=[{"stage": "raw", "key": "9" * 64}, {"stage": "prep", "key": KEY_A}])
    error = failure(harness, harness.activity({"train": lambda ctx: pytest.fail("must not run")}), req)
    assert (error.type, error.non_retryable) == ("CacheMiss", True)
    assert "stage 'raw'" in error.message


def test_corrupted_parent_data_is_a_cache_miss_when_read(harness: Harness) -> None:
    meta = harness.with_parent()
    harness.store.objects[cache.data_key(KEY_A, meta["sha256"])] = b'{"rows":11}'
    error = failure(harness, harness.activity({"train": lambda ctx: StageResult(ctx.parent.json())}), request())
    assert (error.type, error.non_retryable) == ("CacheMiss", True)
    assert "corrupted" in error.message


def test_ancestors_by_stage_name_with_the_parent_last(harness: Harness, tmp_path: Path) -> None:
    commit_output(harness.store, KEY_A, "augment", b"images", metrics={"trainSize": 100})
    commit_output(harness.store, KEY_B, "teacher", {"proba": [0.25]})
    seen: dict[str, Any] = {}

    def student(ctx: StageContext) -> StageResult:
        augment = ctx.ancestors["augment"]
        seen["names"] = list(ctx.ancestors)
        seen["parent"] = ctx.parent
        seen["augment"] = (augment.format, augment.bytes_size, augment.metrics, augment.path().read_bytes())
        seen["same_path"] = augment.path() == augment.path()
        with augment.open() as stream:
            seen["streamed"] = stream.read()
        with ctx.parent.open() as stream:  # type: ignore[union-attr]
            seen["teacher_stream"] = stream.read()
        seen["teacher"] = ctx.parent.json()  # type: ignore[union-attr]
        return StageResult(None)

    req = request(
        stageIndex=2, stageName="student", implementation="student", key=KEY_C, parentKey=KEY_B,
        ancestors=[{"stage": "augment", "key": KEY_A}, {"stage": "teacher", "key": KEY_B}],
    )
    harness.run(harness.activity({"student": student}), req)
    assert seen["names"] == ["augment", "teacher"]
    assert seen["parent"] is not None and seen["parent"].stage == "teacher" and seen["parent"].key == KEY_B
    assert seen["augment"] == ("bytes", 6, {"trainSize": 100}, b"images")
    assert seen["same_path"] and seen["streamed"] == b"images"
    assert seen["teacher_stream"] == b'{"proba":[0.25]}' and seen["teacher"] == {"proba": [0.25]}


def test_request_without_ancestors_still_gets_its_parent(harness: Harness) -> None:
    harness.with_parent()
    seen: dict[str, Any] = {}

    def train(ctx: StageContext) -> StageResult:
        seen.update(names=list(ctx.ancestors), parent=ctx.parent.json(), seed=ctx.seed)  # type: ignore[union-attr]
        return StageResult(1)

    req = request()
    del req["ancestors"], req["seed"]
    harness.run(harness.activity({"train": train}), req)
    assert seen == {"names": ["prep"], "parent": {"rows": 10}, "seed": 0}


def test_first_stage_has_no_parent_and_gets_the_context(harness: Harness) -> None:
    harness.set_info(attempt=2)
    seen: dict[str, Any] = {}

    def prep(ctx: StageContext) -> StageResult:
        seen.update(
            parent=ctx.parent, ancestors=ctx.ancestors, params=ctx.params, seed=ctx.seed, stage=ctx.stage_name,
            index=ctx.stage_index, version=ctx.version, study=ctx.study_id, trial=ctx.trial_index,
            attempt=ctx.attempt, workdir=ctx.workdir.is_dir(),
        )
        return StageResult(0)

    req = request(stageIndex=0, stageName="prep", implementation="prep", key=KEY_A, parentKey=None, ancestors=[],
                  params={"n": 3, "mode": "flip", "on": True}, seed=4294967295)
    harness.run(harness.activity({"prep": prep}), req)
    assert seen == {
        "parent": None, "ancestors": {}, "params": {"n": 3, "mode": "flip", "on": True}, "seed": 4294967295,
        "stage": "prep", "index": 0, "version": "1", "study": "study-1", "trial": 3, "attempt": 2, "workdir": True,
    }


# ---- failures and what they charge --------------------------------------------------------------


def test_stage_exception_is_stage_failed_with_what_it_spent(harness: Harness) -> None:
    harness.with_parent()
    harness.set_info(heartbeat_details=[{"spentCost": 5.0, "attempt": 1}], attempt=2)

    def train(ctx: StageContext) -> StageResult:
        raise RuntimeError("out of GPU memory")

    error = failure(harness, harness.activity({"train": train}), request())
    assert (error.type, error.non_retryable) == ("StageFailed", False)
    assert error.message == "stage 'train' failed: RuntimeError: out of GPU memory"
    details = error.details[0]
    assert details["attempt"] == 2 and details["spentCost"] >= 5.0
    # The last heartbeat says the failure was the stage's own, so the next attempt charges it.
    assert harness.heartbeats[-1] == {**details, "spentBefore": 5.0, "charged": True}
    assert isinstance(error.__cause__, RuntimeError)
    assert cache.meta_key(KEY_B) not in harness.store.objects


def test_non_retryable_application_error_stays_non_retryable(harness: Harness) -> None:
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        raise ApplicationError("bad data", non_retryable=True)

    error = failure(harness, harness.activity({"train": train}), request())
    assert (error.type, error.non_retryable, error.message) == ("StageFailed", True, "stage 'train' failed: bad data")


@pytest.mark.parametrize(
    "raised, retried",
    [(ModuleNotFoundError("No module named 'lightgbm'"), False), (KeyError("x"), True), (OSError("disk"), True)],
)
def test_errors_the_config_names_are_not_retried_nor_their_subclasses(
    harness: Harness, raised: Exception, retried: bool
) -> None:
    # retry.nonRetryableErrors: ["ImportError", "ValueError"]; ModuleNotFoundError is an ImportError.
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        raise raised

    error = failure(
        harness, harness.activity({"train": train}), {**request(), "nonRetryableErrors": ["ImportError", "ValueError"]}
    )
    assert (error.type, error.non_retryable) == ("StageFailed", not retried)


@pytest.mark.parametrize(
    "returned, fragment",
    [
        (StageResult(1, {"ok": True}), "metrics.ok"),
        (StageResult(1, {"acc": "0.5"}), "metrics.acc"),  # type: ignore[dict-item]
        (StageResult(1, [0.5]), "metrics must be a dict"),  # type: ignore[arg-type]
        (StageResult(1, cost=-1), "cost"),
        (StageResult(1, cost=math.nan), "cost"),
        (StageResult(1, cost=False), "cost"),
        ({"metrics": {"acc": 1}}, "'output'"),
        ({"output": 1, "metric": {"acc": 1}}, "unknown result fields ['metric']"),
        (None, "'output'"),
        (StageResult({1, 2}), "cannot store"),
        (StageResult(Path("/nonexistent/memotune/file")), "cannot store"),
    ],
)
def test_unusable_results_are_rejected_with_what_was_spent(harness: Harness, returned: Any, fragment: str) -> None:
    harness.with_parent()
    error = failure(harness, harness.activity({"train": lambda ctx: returned}), request())
    assert (error.type, error.non_retryable) == ("InvalidStageResult", True)
    assert fragment in error.message
    assert set(error.details[0]) == {"spentCost", "attempt"}
    assert cache.meta_key(KEY_B) not in harness.store.objects


def test_numpy_numbers_are_accepted_as_plain_numbers(harness: Harness) -> None:
    np = pytest.importorskip("numpy")
    harness.with_parent()
    returned = StageResult(1, {"f": np.float32(0.25), "n": np.int64(7)}, cost=np.int64(3))
    result = harness.run(harness.activity({"train": lambda ctx: returned}), request())
    assert result["metrics"] == {"f": 0.25, "n": 7} and result["cost"] == 3
    assert [type(v) for v in (result["metrics"]["f"], result["metrics"]["n"], result["cost"])] == [float, int, int]


def test_zero_dimensional_arrays_count_as_the_number_they_hold_as_in_optuna(harness: Harness) -> None:
    np = pytest.importorskip("numpy")
    harness.with_parent()
    losses = np.array([0.25, 0.75])
    returned = StageResult(1, {"loss": losses.mean(axis=0), "nan": np.array(math.nan)}, cost=np.array(2.5))
    result = harness.run(harness.activity({"train": lambda ctx: returned}), request())
    assert result["metrics"] == {"loss": 0.5} and result["cost"] == 2.5
    assert result["nonFiniteMetrics"] == {"nan": "NaN"}
    # A longer array is still no number.
    bad = StageResult(1, {"loss": losses})
    error = failure(harness, harness.activity({"train": lambda ctx: bad}), request(key=KEY_C))
    assert "metrics.loss" in error.message and "metrics must be numbers" in error.message


def test_non_finite_metrics_are_left_out_and_named_apart_and_the_output_is_kept(harness: Harness) -> None:
    np = pytest.importorskip("numpy")
    harness.with_parent()
    returned = StageResult(
        1, {"acc": math.nan, "loss": math.inf, "low": np.float64(-math.inf), "huge": -(10**400), "rows": 3}
    )
    result = harness.run(harness.activity({"train": lambda ctx: returned}), request())
    assert result["metrics"] == {"rows": 3}
    assert result["nonFiniteMetrics"] == {"acc": "NaN", "loss": "Infinity", "low": "-Infinity", "huge": "-Infinity"}
    assert result["recovered"] is False and cache.meta_key(KEY_B) in harness.store.objects
    # A stage with finite metrics only returns exactly what it did before.
    plain = harness.run(harness.activity({"train": lambda ctx: StageResult(1, {"acc": 0.5})}), request(key=KEY_C))
    assert "nonFiniteMetrics" not in plain


def test_failed_write_is_retried_past_the_old_four_attempts(harness: Harness) -> None:
    harness.with_parent()
    outage = Outage(9)
    harness.store.before_put = outage
    harness.store.writes.clear()
    assert harness.run(harness.activity({"train": lambda ctx: StageResult(1)}), request())["recovered"] is False
    assert outage.failures == 9
    assert [key.rsplit("/", 1)[1][:5] for key in harness.store.writes] == ["data-", "meta."]


def test_write_the_server_refuses_is_reported_at_once_as_the_workers_settings_to_fix(harness: Harness) -> None:
    harness.with_parent()
    denied = Outage(None, lambda: ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject"))
    harness.store.before_put = denied
    error = failure(harness, harness.activity({"train": lambda ctx: StageResult(2)}), request(key=KEY_C))
    assert (error.type, error.non_retryable) == ("StoreRefused", True)
    assert "stage 'train' ran, but storing its output: the object store refused this stage worker's request" in error.message
    assert "AccessDenied" in error.message and "fix its S3 settings or credentials" in error.message
    assert "spentCost" in error.details[0]  # it ran: charged what it spent
    assert denied.failures == 1


def test_a_full_store_ends_the_trial_at_once_advising_to_free_space(harness: Harness) -> None:
    harness.with_parent()
    full = Outage(None, lambda: ClientError({"Error": {"Code": "XMinioStorageFull"}, "ResponseMetadata": {"HTTPStatusCode": 507}}, "PutObject"))
    harness.store.before_put = full
    error = failure(harness, harness.activity({"train": lambda ctx: StageResult(2)}), request(key=KEY_C))
    assert (error.type, error.non_retryable) == ("StoreRefused", True)
    assert "the store is full or over its quota: free space (`memotune cache prune`)" in error.message
    assert "credentials" not in error.message
    assert full.failures == 1  # not waited out as an outage


def test_a_read_the_server_refuses_ends_the_stage_before_it_runs(harness: Harness) -> None:
    harness.with_parent()
    ran: list[bool] = []
    refused = ClientError({"Error": {"Code": "SignatureDoesNotMatch"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "GetObject")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise refused

    harness.store.get = refuse  # type: ignore[method-assign]
    error = failure(harness, harness.activity({"train": lambda ctx: ran.append(True) or StageResult(2)}), request(key=KEY_C))
    assert (error.type, error.non_retryable) == ("StoreRefused", True)
    assert "SignatureDoesNotMatch" in error.message and ran == []


# ---- cost rule ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_cost_is_wall_time_from_attempt_start_to_commit_including_upload(harness: Harness) -> None:
    harness.with_parent()
    clock = FakeClock()

    def slow_upload(key: str) -> None:
        if "/data-" in key:
            clock.now += 2.0  # the upload counts

    harness.store.before_put = slow_upload
    harness.set_info(heartbeat_details=[{"spentCost": 1.5, "attempt": 1}])

    def train(ctx: StageContext) -> StageResult:
        ctx.parent.json()  # type: ignore[union-attr]
        clock.now += 10.0
        return StageResult(1)

    result = harness.run(harness.activity({"train": train}, clock=clock), request())
    assert (result["cost"], result["wallSeconds"], result["chargedCost"]) == (12.0, 12.0, 13.5)
    assert stored_meta(harness)["cost"] == 12


def test_reported_cost_wins_over_wall_time(harness: Harness) -> None:
    harness.with_parent()
    clock = FakeClock()

    def train(ctx: StageContext) -> StageResult:
        clock.now += 10.0
        return StageResult(1, cost=0.5)

    harness.set_info(heartbeat_details=[{"spentCost": 3, "attempt": 1}])
    result = harness.run(harness.activity({"train": train}, clock=clock), request())
    assert (result["cost"], result["wallSeconds"], result["chargedCost"]) == (0.5, 10.0, 3.5)


# ---- heartbeats and cancellation ----------------------------------------------------------------


def test_stage_heartbeats_carry_progress_and_periodic_ones_keep_it(short_heartbeat: Harness) -> None:
    harness = short_heartbeat
    harness.with_parent()
    harness.set_info(heartbeat_details=[{"spentCost": 2.0, "attempt": 1}], attempt=2)

    def train(ctx: StageContext) -> StageResult:
        ctx.heartbeat({"epoch": 1})
        threading.Event().wait(0.35)  # longer than the 0.2 s heartbeat interval (timeout 0.3 s / 3, floored)
        return StageResult(1)

    harness.run(harness.activity({"train": train}), request())
    # The first beat is sent as the attempt starts (status names the stage from it), before any progress.
    first, *rest = harness.heartbeats
    assert first["details"] is None and first["stage"] == "train" and first["attempt"] == 2
    assert len(rest) >= 2
    assert all(beat["details"] == {"epoch": 1} and beat["attempt"] == 2 for beat in rest)
    assert all(beat["spentCost"] >= 2.0 for beat in harness.heartbeats)


def test_heartbeat_details_take_numpy_scalars_and_refuse_what_json_cannot_hold(short_heartbeat: Harness) -> None:
    import numpy as np

    harness = short_heartbeat
    harness.with_parent()
    seen: dict[str, Any] = {}

    def train(ctx: StageContext) -> StageResult:
        ctx.heartbeat({"loss": np.float32(0.5), "epoch": np.int64(3), "done": np.bool_(False), "nan": np.nan})
        try:
            ctx.heartbeat({"weights": {1, 2}})
        except TypeError as error:
            seen["error"] = str(error)
        return StageResult({"flag": np.bool_(True), "n": np.int64(2)})

    result = harness.run(harness.activity({"train": train}), request())
    assert result["bytes"] > 0
    assert any(beat["details"] == {"loss": 0.5, "epoch": 3, "done": False, "nan": None} for beat in harness.heartbeats)
    assert seen["error"] == "ctx.heartbeat(details): set is not JSON-serializable"


def test_cancellation_sets_the_event_and_commits_nothing(harness: Harness) -> None:
    harness.with_parent()
    started = threading.Event()
    seen: dict[str, Any] = {}

    def train(ctx: StageContext) -> StageResult:
        started.set()
        seen["stopped"] = ctx.cancelled.wait(5)
        seen["workdir"] = ctx.workdir
        return StageResult(1)

    harness.run_cancelled(harness.activity({"train": train}), request(), lambda: asyncio.to_thread(started.wait, 5))
    assert seen["stopped"] is True
    assert not seen["workdir"].exists()
    assert cache.meta_key(KEY_B) not in harness.store.objects
    assert not any(key.startswith(f"outputs/{KEY_B}/") for key in harness.store.objects)


def test_a_cancelled_plain_function_that_goes_on_is_left_with_a_warning(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # An sklearn fit cannot check ctx.cancelled: the attempt gives up on it after the grace period
    # (a hung stage must not hold the worker, and its study, for ever) and says what that means.
    import memotune.activity as stage_activity

    monkeypatch.setattr(stage_activity, "CANCEL_GRACE_SECONDS", 0.05)
    harness.with_parent()
    started = threading.Event()
    release = threading.Event()

    def train(ctx: StageContext) -> StageResult:
        started.set()
        release.wait(5)  # ignores ctx.cancelled, like a fit() would
        return StageResult(1)

    try:
        with caplog.at_level(logging.WARNING):
            harness.run_cancelled(
                harness.activity({"train": train}), request(), lambda: asyncio.to_thread(started.wait, 5)
            )
    finally:
        release.set()
    assert any(
        "stage 'train' attempt 1 was cancelled or timed out and its code did not return" in record.getMessage()
        and "Check ctx.cancelled" in record.getMessage()
        for record in caplog.records
    )


def test_async_stage_is_cancelled_too(harness: Harness) -> None:
    harness.with_parent()
    seen: dict[str, Any] = {}

    async def train(ctx: StageContext) -> StageResult:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen["event"] = ctx.cancelled.is_set()
            raise
        return StageResult(1)

    harness.run_cancelled(harness.activity({"train": train}), request(), lambda: asyncio.sleep(0.1))
    assert seen == {"event": True}
    assert cache.meta_key(KEY_B) not in harness.store.objects


def test_worker_shutdown_is_reported_as_an_interruption_not_a_failure_to_retry(harness: Harness) -> None:
    harness.with_parent()
    started = threading.Event()

    def train(ctx: StageContext) -> StageResult:
        started.set()
        ctx.cancelled.wait(5)
        raise RuntimeError("stopped half way")

    activity = harness.activity({"train": train})

    async def scenario() -> ApplicationError:
        task = asyncio.ensure_future(harness.env.run(activity.run_stage, request()))
        await asyncio.to_thread(started.wait, 5)
        harness.env.cancel(temporalio.activity.ActivityCancellationDetails(worker_shutdown=True))
        with pytest.raises(ApplicationError) as raised:
            await task
        return raised.value

    error = asyncio.run(scenario())
    assert error.type == "WorkerShutdown"
    assert error.non_retryable
    assert error.message == "stage 'train' was interrupted: its worker shut down"
    assert error.details[0]["spentCost"] >= 0 and error.details[0]["attempt"] == 1
    assert cache.meta_key(KEY_B) not in harness.store.objects


def test_a_cancel_request_during_worker_shutdown_stays_a_cancellation(harness: Harness) -> None:
    harness.with_parent()
    started = threading.Event()

    def train(ctx: StageContext) -> StageResult:
        started.set()
        ctx.cancelled.wait(5)
        return StageResult(1)

    activity = harness.activity({"train": train})

    async def scenario() -> None:
        task = asyncio.ensure_future(harness.env.run(activity.run_stage, request()))
        await asyncio.to_thread(started.wait, 5)
        harness.env.cancel(
            temporalio.activity.ActivityCancellationDetails(cancel_requested=True, worker_shutdown=True)
        )
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


# ---- typed parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherParams:
    lr: float
    depth: int
    mode: str = "fast"


class StudentParams(TypedDict):
    C: float
    temperature: float


def typed_activity(harness: Harness, params_type: type, seen: dict[str, Any]) -> StageActivity:
    def train(ctx: StageContext) -> StageResult:
        seen["params"] = ctx.params
        return StageResult(1)

    return StageActivity(
        harness.store, {"train": StageDefinition("train", train, params_type)}, retry_initial_seconds=0.001
    )


def test_dataclass_params_are_built_from_the_dict(harness: Harness) -> None:
    harness.with_parent()
    seen: dict[str, Any] = {}
    harness.run(typed_activity(harness, TeacherParams, seen), request(params={"lr": 1, "depth": 4}))
    assert seen["params"] == TeacherParams(lr=1.0, depth=4)
    assert type(seen["params"].lr) is float


def test_typeddict_params(harness: Harness) -> None:
    harness.with_parent()
    seen: dict[str, Any] = {}
    harness.run(typed_activity(harness, StudentParams, seen), request(params={"C": 2, "temperature": 1.5}))
    assert seen["params"] == {"C": 2.0, "temperature": 1.5}


@pytest.mark.parametrize(
    "params, fragment",
    [({"lr": 0.1, "depth": 2, "width": 3}, "'width'"), ({"lr": 0.1}, "'depth'")],
)
def test_params_that_do_not_fit_fail_without_retry(harness: Harness, params: dict[str, Any], fragment: str) -> None:
    harness.with_parent()
    error = failure(harness, typed_activity(harness, TeacherParams, {}), request(params=params))
    assert (error.type, error.non_retryable) == ("StageParamsMismatch", True)
    assert fragment in error.message and "TeacherParams" in error.message
    assert error.message.startswith("stage 'train': its params= type does not match the study (StageParamsMismatch): ")
    assert "ParamsError" not in error.message


def test_a_plain_dict_stage_reading_a_parameter_the_study_lacks_fails_without_retry(harness: Harness) -> None:
    # ctx.params["n_componets"]: a typo between config and code, which a retry would repeat at full cost.
    def train(ctx: StageContext) -> StageResult:
        assert ctx.params.get("missing") is None and "lr" in ctx.params
        return StageResult(ctx.params["n_componets"])

    activity = StageActivity(harness.store, {"train": StageDefinition("train", train)}, retry_initial_seconds=0.001)
    harness.with_parent()
    error = failure(harness, activity, request(params={"lr": 0.1, "n_components": 8}))
    assert (error.type, error.non_retryable) == ("StageParamsMismatch", True)
    assert error.message == (
        "stage 'train': the stage reads parameter 'n_componets', which the study does not give to this stage "
        "(it gives 'lr', 'n_components') (StageParamsMismatch)"
    )


def test_code_of_another_version_than_the_configs_is_refused_without_running(harness: Harness) -> None:
    ran: list[int] = []

    def train(ctx: StageContext) -> StageResult:
        ran.append(1)
        return StageResult(1)

    versioned = {"train": StageDefinition("train", train, None, "2")}
    harness.with_parent()
    error = failure(harness, StageActivity(harness.store, versioned), request())
    assert (error.type, error.non_retryable) == ("StageVersionMismatch", True)
    assert "this worker's code is version '2'" in error.message and "gives the stage version '1'" in error.message
    assert ran == []
    # The same version runs.
    harness.run(StageActivity(harness.store, versioned), {**request(), "version": "2"})
    assert ran == [1]


def test_every_params_mismatch_is_named_at_once(harness: Harness) -> None:
    harness.with_parent()
    error = failure(harness, typed_activity(harness, TeacherParams, {}), request(params={"lr": "x", "width": 3}))
    assert (error.type, error.non_retryable) == ("StageParamsMismatch", True)
    for fragment in (
        "the study has a parameter 'width' that TeacherParams has no field for",
        "TeacherParams field 'depth' has no value among the study's parameters",
        "field 'lr' is declared float, but the study gave 'x' (str)",
    ):
        assert fragment in error.message, error.message


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"lr": 0.1, "depth": 0.14}, "field 'depth' is declared int, but the study gave 0.14 (float) (declare"),
        ({"lr": "0.1", "depth": 2}, "field 'lr' is declared float, but the study gave '0.1' (str)"),
        ({"lr": 0.1, "depth": 2, "mode": 3}, "field 'mode' is declared str, but the study gave 3 (int)"),
        ({"lr": True, "depth": 2}, "field 'lr' is declared float, but the study gave True (bool)"),
    ],
)
def test_params_of_another_type_than_their_field_fail_naming_it(
    harness: Harness, params: dict[str, Any], fragment: str
) -> None:
    harness.with_parent()
    error = failure(harness, typed_activity(harness, TeacherParams, {}), request(params=params))
    assert (error.type, error.non_retryable) == ("StageParamsMismatch", True)
    assert fragment in error.message, error.message


def test_literal_fields_take_only_their_choices(harness: Harness) -> None:
    @dataclass(frozen=True)
    class Choice:
        opt: Literal["adam", "sgd"]

    harness.with_parent()
    seen: dict[str, Any] = {}
    harness.run(typed_activity(harness, Choice, seen), request(params={"opt": "sgd"}))
    assert seen["params"] == Choice(opt="sgd")
    harness.store.objects.pop(cache.meta_key(KEY_B), None)
    error = failure(harness, typed_activity(harness, Choice, {}), request(params={"opt": "rmsprop"}))
    assert "field 'opt' is declared" in error.message and "'rmsprop'" in error.message

def test_a_dead_workers_attempt_is_not_carried_over(harness: Harness) -> None:
    """An attempt whose worker died left no ``charged`` mark: only what came before it counts."""
    harness.with_parent()
    harness.set_info(
        heartbeat_details=[{"spentCost": 4.5, "spentBefore": 3.0, "attempt": 2}],
        attempt=3,
        start_to_close_timeout=timedelta(seconds=60),
        heartbeat_timeout=timedelta(seconds=5),
    )

    def train(ctx: StageContext) -> StageResult:
        return StageResult(output=b"ok", metrics={"acc": 1.0}, cost=2.0)

    result = harness.run(harness.activity({"train": train}), request())
    assert result["chargedCost"] == 5.0
    # One that ran to within a heartbeat timeout of its 60 s timeout timed out: 60 s are charged.
    harness.set_info(heartbeat_details=[{"spentCost": 59.0, "spentBefore": 3.0, "attempt": 2}])
    harness.store.objects.pop(cache.meta_key(KEY_B), None)
    assert harness.run(harness.activity({"train": train}), request())["chargedCost"] == 65.0


def test_heartbeats_carry_the_last_report(short_heartbeat: Harness) -> None:
    """``study status`` shows a running stage's last ``ctx.report`` from its heartbeat."""
    harness = short_heartbeat
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        ctx.report(0, 0.25)
        ctx.report(3, 0.5)
        threading.Event().wait(0.35)  # longer than the 0.2 s heartbeat interval
        return StageResult(1)

    harness.run(harness.activity({"train": train}), request())
    first, *rest = harness.heartbeats
    assert "reported" not in first
    assert rest[-1]["reported"] == {"step": 3, "value": 0.5}
