"""Intermediate values and pruning: ``ctx.report``, ``ctx.should_prune``, ``TrialPruned`` and what
runStage returns for them (the rules of src/core/pruning.ts and activities/index.ts)."""

from __future__ import annotations

import asyncio
import json
import math
import threading
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from memotune import MAX_INTERMEDIATE_STEPS, StageActivity, StageContext, StageResult, TrialPruned, cache
from memotune.context import IntermediateCurve, PruneReference
from conftest import KEY_B, Harness, commit_output, request


def failure(harness: Harness, activity: StageActivity, req: dict[str, Any]) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        harness.run(activity, req)
    return raised.value


def nothing_committed(harness: Harness) -> bool:
    return not any(key.startswith(f"outputs/{KEY_B}/") for key in harness.store.objects)


def reference(direction: str, steps: list[int], thresholds: list[float]) -> dict[str, Any]:
    return {"direction": direction, "steps": steps, "thresholds": thresholds}


def curve(prune: dict[str, Any] | None, *reports: tuple[int, float]) -> IntermediateCurve:
    values = IntermediateCurve(PruneReference.from_json(prune))
    for step, value in reports:
        values.report(step, value)
    return values


# ---- report() -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "step, value, error, message",
    [
        (-1, 0.5, ValueError, "report(): step must be a non-negative integer, got -1"),
        (1.5, 0.5, TypeError, "report(): step must be a non-negative integer, got 1.5"),
        (2.0, 0.5, TypeError, "report(): step must be a non-negative integer, got 2.0"),
        (True, 0.5, TypeError, "report(): step must be a non-negative integer, got True (bool)"),
        ("3", 0.5, TypeError, "report(): step must be a non-negative integer, got '3' (str)"),
        (None, 0.5, TypeError, "report(): step must be a non-negative integer, got None (NoneType)"),
        (2**31, 0.5, ValueError, "report(): step must be at most 2147483647, got 2147483648"),
        (1, math.nan, ValueError, "report(): value must be a finite number, got nan (a run that diverged: raise TrialPruned, or let the stage fail)"),
        (1, math.inf, ValueError, "report(): value must be a finite number, got inf (a run that diverged: raise TrialPruned, or let the stage fail)"),
        (1, -math.inf, ValueError, "report(): value must be a finite number, got -inf (a run that diverged: raise TrialPruned, or let the stage fail)"),
        (1, 10**400, ValueError, "report(): value must be a finite number, got 1000000000000000000000000000000000000000…"),
        (1, False, TypeError, "report(): value must be a finite number, got False (bool)"),
        (1, "0.5", TypeError, "report(): value must be a finite number, got '0.5' (str)"),
        (1, None, TypeError, "report(): value must be a finite number, got None (NoneType)"),
        (1, "x" * 100, TypeError, "report(): value must be a finite number, got '" + "x" * 39 + "… (str)"),
    ],
)
def test_report_refuses_bad_arguments_naming_them(step: Any, value: Any, error: type[Exception], message: str) -> None:
    values = IntermediateCurve()
    with pytest.raises(error) as raised:
        values.report(step, value)
    assert str(raised.value) == message
    assert values.to_json() == {"steps": [], "values": []}


@pytest.mark.parametrize("step", [3, 5])
def test_steps_must_increase(step: int) -> None:
    values = curve(None, (0, 0.1), (5, 0.2))
    with pytest.raises(ValueError) as raised:
        values.report(step, 0.3)
    assert str(raised.value) == f"report(): step {step} is not after the last reported step 5 (steps must increase)"
    assert values.to_json() == {"steps": [0, 5], "values": [0.1, 0.2]}


def test_step_order_is_checked_before_the_value() -> None:
    """The order of reportProblem in src/core/pruning.ts: the same bad call fails alike in both languages."""
    with pytest.raises(ValueError, match="not after the last reported step"):
        curve(None, (4, 0.1)).report(2, math.nan)


def test_steps_from_zero_to_the_int32_limit_and_any_finite_value_are_recorded() -> None:
    values = curve(None, (0, -1e300), (1, 0), (2**31 - 1, 2.5))
    assert values.to_json() == {"steps": [0, 1, 2**31 - 1], "values": [-1e300, 0.0, 2.5]}
    assert [type(v) for v in values.to_json()["values"]] == [float, float, float]
    assert values.last_step == 2**31 - 1 and len(values) == 3


def test_at_most_max_intermediate_steps_reports() -> None:
    assert MAX_INTERMEDIATE_STEPS == 1000
    values = curve(None, *((step, step / 1000) for step in range(MAX_INTERMEDIATE_STEPS)))
    with pytest.raises(ValueError) as raised:
        values.report(MAX_INTERMEDIATE_STEPS, 1.0)
    assert str(raised.value) == (
        "report(): at most 1000 values may be reported per stage run (report every n-th step)"
    )
    assert len(values) == MAX_INTERMEDIATE_STEPS and values.last_step == MAX_INTERMEDIATE_STEPS - 1


def test_numpy_scalars_are_plain_numbers() -> None:
    np = pytest.importorskip("numpy")
    values = curve(None, (np.int64(3), np.float32(0.25)), (np.uint8(4), np.int32(1)))
    assert values.to_json() == {"steps": [3, 4], "values": [0.25, 1.0]}
    assert [type(s) for s in values.to_json()["steps"]] == [int, int]
    with pytest.raises(ValueError, match="got np.float64\\(nan\\)|got nan"):
        values.report(5, np.float64("nan"))
    with pytest.raises(TypeError, match="report\\(\\): value must be a finite number"):
        values.report(5, np.array([0.5, 0.6]))


# ---- should_prune() -------------------------------------------------------------------------------


def test_no_reference_never_prunes() -> None:
    assert curve(None).should_prune() is False
    assert curve(None, (0, -1e9), (1, -1e9)).should_prune() is False


def test_nothing_reported_never_prunes() -> None:
    assert curve(reference("maximize", [0], [0.5])).should_prune() is False


@pytest.mark.parametrize(
    "direction, value, prune",
    [
        ("maximize", 0.49, True),
        ("maximize", 0.5, False),  # equal to the threshold: not strictly worse
        ("maximize", 0.51, False),
        ("minimize", 0.51, True),
        ("minimize", 0.5, False),
        ("minimize", 0.49, False),
    ],
)
def test_prunes_when_strictly_worse_than_the_threshold(direction: str, value: float, prune: bool) -> None:
    values = curve(reference(direction, [0, 1, 2], [9.0, 0.5, 9.0]), (1, value))
    assert values.should_prune() is prune


def test_no_threshold_at_exactly_the_last_step_keeps_going() -> None:
    values = curve(reference("maximize", [0, 2, 4], [0.5, 0.5, 0.5]), (0, 0.9))
    values.report(1, 0.1)
    assert values.should_prune() is False  # no threshold at step 1 (a warmup step, or too few trials)
    values.report(3, 0.1)
    assert values.should_prune() is False
    values.report(5, 0.1)
    assert values.should_prune() is False  # past the last threshold
    assert curve(reference("maximize", [2], [0.5]), (1, 0.0), (4, 0.0)).should_prune() is False


@pytest.mark.parametrize("direction, good, bad", [("maximize", 0.9, 0.1), ("minimize", 0.1, 0.9)])
def test_the_best_value_so_far_is_compared(direction: str, good: float, bad: float) -> None:
    """As Optuna's MedianPruner: an early good value keeps the trial alive through a bad spell."""
    prune = reference(direction, [0, 1, 2], [0.5, 0.5, 0.5])
    assert curve(prune, (0, good), (1, bad), (2, bad)).should_prune() is False
    assert curve(prune, (0, bad), (1, bad)).should_prune() is True
    assert curve(prune, (0, bad), (1, good)).should_prune() is False


def test_thresholds_are_found_among_many_steps() -> None:
    steps = list(range(0, 3000, 3))
    prune = reference("minimize", steps, [float(step) for step in steps])
    assert curve(prune, (2997, 2997.5)).should_prune() is True
    assert curve(prune, (2997, 2997.0)).should_prune() is False
    assert curve(prune, (0, 0.5)).should_prune() is True
    assert curve(prune, (2998, 1e9)).should_prune() is False


# ---- the reference in the request -----------------------------------------------------------------


def test_reference_is_parsed() -> None:
    parsed = PruneReference.from_json(reference("minimize", [0, 3], [1, 0.5]))
    assert parsed == PruneReference("minimize", (0, 3), (1.0, 0.5))
    assert parsed.threshold_at(3) == 0.5 and parsed.threshold_at(1) is None and parsed.threshold_at(4) is None
    assert PruneReference.from_json(None) is None
    assert PruneReference.from_json(reference("maximize", [], [])) == PruneReference("maximize", (), ())


@pytest.mark.parametrize(
    "prune, fragment",
    [
        ([1, 2], "prune must be an object or null"),
        (reference("max", [0], [0.5]), "prune.direction must be 'maximize' or 'minimize', got 'max'"),
        ({"direction": "maximize", "thresholds": [0.5]}, "prune.steps must be a list, got None"),
        ({"direction": "maximize", "steps": [0]}, "prune.thresholds must be a list, got None"),
        (reference("maximize", [0, 1], [0.5]), "prune.steps and prune.thresholds must have the same length, got 2 and 1"),
        (reference("maximize", [0, 1.5], [0.5, 0.5]), "prune.steps[1] must be an integer from 0 to 2147483647, got 1.5"),
        (reference("maximize", [-1], [0.5]), "prune.steps[0] must be an integer from 0 to 2147483647, got -1"),
        (reference("maximize", [2, 2], [0.5, 0.5]), "prune.steps must be strictly ascending, got 2 after 2 at index 1"),
        (reference("maximize", [3, 1], [0.5, 0.5]), "prune.steps must be strictly ascending, got 1 after 3 at index 1"),
        (reference("maximize", [0], [None]), "prune.thresholds[0] must be a finite number, got None"),
        (reference("maximize", [0], [True]), "prune.thresholds[0] must be a finite number, got True"),
    ],
)
def test_malformed_reference_is_an_invalid_request_naming_the_field(
    harness: Harness, prune: Any, fragment: str
) -> None:
    harness.with_parent()
    error = failure(harness, harness.activity({"train": lambda ctx: pytest.fail("must not run")}), request(prune=prune))
    assert (error.type, error.non_retryable) == ("InvalidStageRequest", True)
    assert fragment in error.message, error.message


def test_the_stage_prunes_against_the_requests_reference(harness: Harness) -> None:
    harness.with_parent()
    seen: list[bool] = []

    def train(ctx: StageContext) -> StageResult:
        for epoch, accuracy in enumerate([0.3, 0.4, 0.45, 0.5]):
            ctx.report(epoch, accuracy)
            seen.append(ctx.should_prune())
            if seen[-1]:
                raise TrialPruned()
        return StageResult(1)

    req = request(prune=reference("maximize", [1, 2, 3], [0.35, 0.5, 0.6]))
    error = failure(harness, harness.activity({"train": train}), req)
    assert seen == [False, False, True]  # no threshold at 0; 0.4 >= 0.35; 0.45 < 0.5
    assert error.message == "stage 'train' pruned the trial at step 2"
    assert error.details[0]["intermediate"] == {"steps": [0, 1, 2], "values": [0.3, 0.4, 0.45]}


@pytest.mark.parametrize("req", [request(), request(prune=None)])
def test_without_a_reference_should_prune_is_false(harness: Harness, req: dict[str, Any]) -> None:
    harness.with_parent()
    seen: list[bool] = []

    def train(ctx: StageContext) -> StageResult:
        seen.append(ctx.should_prune())
        ctx.report(0, -1e9)
        seen.append(ctx.should_prune())
        return StageResult(1)

    harness.run(harness.activity({"train": train}), req)
    assert seen == [False, False]


# ---- TrialPruned ----------------------------------------------------------------------------------


def test_trial_pruned_fails_the_attempt_without_retry_with_what_it_spent_and_its_curve(harness: Harness) -> None:
    harness.with_parent()
    harness.set_info(heartbeat_details=[{"spentCost": 5.0, "attempt": 1, "charged": True}], attempt=2)

    def train(ctx: StageContext) -> StageResult:
        ctx.report(0, 0.25)
        ctx.report(4, 0.125)
        raise TrialPruned()

    error = failure(harness, harness.activity({"train": train}), request())
    assert (error.type, error.non_retryable) == ("TrialPruned", True)
    assert error.message == "stage 'train' pruned the trial at step 4"
    details = error.details[0]
    assert set(details) == {"spentCost", "attempt", "intermediate"}
    assert details["spentCost"] >= 5.0 and details["attempt"] == 2
    assert details["intermediate"] == {"steps": [0, 4], "values": [0.25, 0.125]}
    assert isinstance(error.__cause__, TrialPruned)
    assert nothing_committed(harness)


def test_trial_pruned_before_any_report(harness: Harness) -> None:
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        raise TrialPruned("not worth it")

    error = failure(harness, harness.activity({"train": train}), request())
    # The stage's own message is kept.
    assert (error.type, error.non_retryable, error.message) == (
        "TrialPruned",
        True,
        "stage 'train' pruned the trial: not worth it",
    )
    assert error.details[0]["intermediate"] == {"steps": [], "values": []}
    assert "spentCost" in error.details[0]
    assert nothing_committed(harness)


def test_an_async_stage_is_pruned_too(harness: Harness) -> None:
    harness.with_parent()

    async def train(ctx: StageContext) -> StageResult:
        ctx.report(7, 1.5)
        await asyncio.sleep(0)
        raise TrialPruned()

    error = failure(harness, harness.activity({"train": train}), request())
    assert (error.type, error.message) == ("TrialPruned", "stage 'train' pruned the trial at step 7")
    assert error.details[0]["intermediate"] == {"steps": [7], "values": [1.5]}


def test_trial_pruned_in_a_cancelled_attempt_is_a_cancellation(harness: Harness) -> None:
    harness.with_parent()
    started = threading.Event()

    def train(ctx: StageContext) -> StageResult:
        ctx.report(0, 0.5)
        started.set()
        ctx.cancelled.wait(5)
        raise TrialPruned()

    harness.run_cancelled(harness.activity({"train": train}), request(), lambda: asyncio.to_thread(started.wait, 5))
    assert nothing_committed(harness)


def test_a_bad_report_fails_the_stage_naming_the_argument(harness: Harness) -> None:
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        ctx.report(0, math.nan)
        return StageResult(1)

    error = failure(harness, harness.activity({"train": train}), request())
    # A bug in the stage's code: another attempt would repeat it at full cost.
    assert (error.type, error.non_retryable) == ("StageFailed", True)
    assert error.message == (
        "stage 'train' failed: ValueError: report(): value must be a finite number, got nan "
        "(a run that diverged: raise TrialPruned, or let the stage fail)"
    )


def test_report_takes_a_0d_numpy_value_and_hints_at_swapped_arguments() -> None:
    np = pytest.importorskip("numpy")
    c = IntermediateCurve()
    c.report(0, np.array(0.5))
    assert c.to_json() == {"steps": [0], "values": [0.5]}
    with pytest.raises(TypeError, match=r"got 0.93 .*the order is report\(step, value\); Optuna's is report\(value, step\)"):
        c.report(0.93, 5)


# ---- the result -----------------------------------------------------------------------------------


def test_a_stage_that_reported_returns_its_curve(harness: Harness) -> None:
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        for epoch in range(3):
            ctx.report(epoch, 0.5 + epoch / 10)
        assert ctx.intermediate == {"steps": [0, 1, 2], "values": [0.5, 0.6, 0.7]}
        ctx.intermediate["steps"].append(99)  # a copy: the curve itself is unchanged
        return StageResult({"w": 1}, {"valAcc": 0.7})

    result = harness.run(harness.activity({"train": train}), request())
    assert result["intermediate"] == {"steps": [0, 1, 2], "values": [0.5, 0.6, 0.7]}
    assert result["recovered"] is False and result["metrics"] == {"valAcc": 0.7}
    # The curve is part of the result, not of the stored output.
    assert "intermediate" not in json.loads(harness.store.objects[cache.meta_key(KEY_B)])


def test_a_stage_that_never_reported_returns_no_curve(harness: Harness) -> None:
    harness.with_parent()
    result = harness.run(harness.activity({"train": lambda ctx: StageResult(1)}), request(prune=reference("maximize", [0], [1])))
    assert set(result) == {"key", "worker", "cost", "chargedCost", "metrics", "bytes", "sha256", "wallSeconds", "recovered"}


def test_a_recovered_output_carries_no_curve(harness: Harness) -> None:
    commit_output(harness.store, KEY_B, "train", {"done": True})
    activity = harness.activity({"train": lambda ctx: pytest.fail("must not run")})
    result = harness.run(activity, request(prune=reference("maximize", [0], [1])))
    assert result["recovered"] is True and "intermediate" not in result


def test_each_attempt_starts_a_new_curve(harness: Harness) -> None:
    harness.with_parent()
    attempts: list[dict[str, Any]] = []

    def train(ctx: StageContext) -> StageResult:
        attempts.append(ctx.intermediate)
        ctx.report(0, 0.1)
        if ctx.attempt == 1:
            ctx.report(5, 0.2)
            raise RuntimeError("out of memory")
        return StageResult(1)

    activity = harness.activity({"train": train})
    assert failure(harness, activity, request()).type == "StageFailed"
    harness.set_info(attempt=2)
    result = harness.run(activity, request())
    assert attempts == [{"steps": [], "values": []}, {"steps": [], "values": []}]
    assert result["intermediate"] == {"steps": [0], "values": [0.1]}


def test_the_1001st_report_fails_the_stage(harness: Harness) -> None:
    harness.with_parent()

    def train(ctx: StageContext) -> StageResult:
        for step in range(MAX_INTERMEDIATE_STEPS + 1):
            ctx.report(step, 0.5)
        return StageResult(1)

    error = failure(harness, harness.activity({"train": train}), request())
    assert error.type == "StageFailed"
    assert "report(): at most 1000 values may be reported per stage run" in error.message
    assert nothing_committed(harness)
