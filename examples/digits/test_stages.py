"""Sanity tests for the digits example's stages: plain function calls with a local fake
context, no Temporal server, no S3. Run: python -m pytest examples/digits/test_stages.py

Uses the real ``memotune`` package when it is importable and a minimal stand-in otherwise
(only ``stage``, ``StageContext`` and ``StageResult`` are needed here)."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent

try:
    import memotune  # noqa: F401
except ImportError:  # the package is not installed: a stand-in with the same surface
    stub = types.ModuleType("memotune")

    @dataclass
    class StageResult:
        output: Any
        metrics: dict = field(default_factory=dict)
        cost: float | None = None

    def stage(name: str, params: Any = None):
        def register(fn):
            fn.stage_name = name
            return fn

        return register

    stub.StageResult = StageResult
    stub.StageContext = object
    stub.stage = stage
    sys.modules["memotune"] = stub

# Loaded under a name of its own so that other examples' stages.py cannot collide with it.
_spec = importlib.util.spec_from_file_location("memotune_example_digits_stages", HERE / "stages.py")
stages = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = stages
_spec.loader.exec_module(stages)


def call(stage_fn: Any, ctx: Any) -> Any:
    """Runs a stage function directly (``@stage`` returns the function unchanged)."""
    return stage_fn(ctx)


@dataclass
class FakeOutput:
    value: Any
    metrics: dict[str, float] = field(default_factory=dict)

    def path(self) -> Path:
        assert isinstance(self.value, Path), "this stage's output is not a file"
        return self.value

    def open(self):
        return self.path().open("rb")

    def read_bytes(self) -> bytes:
        return self.path().read_bytes()

    def json(self) -> Any:
        return self.value


class RecordingParams(dict):
    """A params dict that remembers which names the stage read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)


@dataclass
class FakeContext:
    params: Any
    workdir: Path
    seed: int = 7
    parent: FakeOutput | None = None
    ancestors: dict[str, FakeOutput] = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)
    heartbeats: list[Any] = field(default_factory=list)

    def heartbeat(self, details: Any = None) -> None:
        self.heartbeats.append(details)

    def require_parent(self) -> FakeOutput:
        assert self.parent is not None, "the first stage has no parent output"
        return self.parent


def run_pipeline(tmp_path: Path, params: dict[str, dict[str, Any]], seed: int = 7):
    """Runs augment -> teacher -> student the way the worker chains them."""
    contexts, outputs, results = {}, {}, {}
    parent = None
    for name, fn in (("augment", stages.augment), ("teacher", stages.teacher), ("student", stages.student)):
        workdir = tmp_path / name
        workdir.mkdir()
        ctx = FakeContext(
            params=RecordingParams(params[name]), workdir=workdir, seed=seed, parent=parent, ancestors=dict(outputs)
        )
        result = call(fn, ctx)
        contexts[name], results[name] = ctx, result
        outputs[name] = parent = FakeOutput(result.output, dict(result.metrics))
    return contexts, results


SMALL = {
    "augment": {"shifts": 1, "noise": 0.1},
    "teacher": {"max_iter": 12, "max_leaf_nodes": 8, "learning_rate": 0.3},
    "student": {"C": 1.0, "temperature": 1.5},
}


def test_split_is_fixed_stratified_60_20_20():
    a, b = stages.split(), stages.split()
    assert (len(a["x_train"]), len(a["x_val"]), len(a["x_test"])) == (1078, 359, 360)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert set(np.unique(a["y_val"])) == set(range(10))


def test_shift_moves_pixels_with_zero_fill():
    image = np.arange(64, dtype=np.float32).reshape(1, 64) + 1
    down = stages.shift_images(image, np.array([[1, 0]])).reshape(8, 8)
    np.testing.assert_array_equal(down[0], 0)
    np.testing.assert_array_equal(down[1:], image.reshape(8, 8)[:-1])
    left = stages.shift_images(image, np.array([[0, -1]])).reshape(8, 8)
    np.testing.assert_array_equal(left[:, -1], 0)
    np.testing.assert_array_equal(left[:, :-1], image.reshape(8, 8)[:, 1:])


def test_augment_arrays_shapes_labels_and_seed():
    d = stages.split()
    x, y, src = stages.augment_arrays(d["x_train"], d["y_train"], 3, 0.2, seed=1)
    n = len(d["x_train"])
    assert x.shape == (4 * n, 64) and y.shape == (4 * n,) and src.shape == (4 * n,)
    np.testing.assert_array_equal(x[:n], d["x_train"])
    np.testing.assert_array_equal(y, np.tile(d["y_train"], 4))
    np.testing.assert_array_equal(src, np.tile(np.arange(n), 4))
    assert x.min() >= 0 and x.max() <= stages.PIXEL_MAX
    again, _, _ = stages.augment_arrays(d["x_train"], d["y_train"], 3, 0.2, seed=1)
    other, _, _ = stages.augment_arrays(d["x_train"], d["y_train"], 3, 0.2, seed=2)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)
    none, _, _ = stages.augment_arrays(d["x_train"], d["y_train"], 0, 0.2, seed=1)
    np.testing.assert_array_equal(none, d["x_train"])


def test_teacher_folds_never_see_their_held_out_images_or_copies(monkeypatch):
    d = stages.split()
    x, y, src = stages.augment_arrays(d["x_train"], d["y_train"], 2, 0.0, seed=3)
    n = len(d["x_train"])
    seen: list[set[int]] = []
    real = stages.fit_booster

    def spy(xs, ys, **kwargs):
        rows = {tuple(r) for r in xs.astype(np.int64).tolist()}
        seen.append(rows)
        return real(xs, ys, **kwargs)

    monkeypatch.setattr(stages, "fit_booster", spy)
    result = stages.out_of_fold_teacher(
        x, y, src, n, max_iter=10, max_leaf_nodes=8, learning_rate=0.3, seed=3
    )
    assert len(seen) == stages.TEACHER_FOLDS
    assert result["proba"].shape == (n, 10)
    np.testing.assert_allclose(result["proba"].sum(axis=1), 1.0, rtol=1e-6)
    # Every original image is held out by exactly one fold: that fold's training rows contain
    # neither it nor any of its shifted copies (all noise-free, so comparable exactly).
    copies_of = {i: {tuple(r) for r in x[src == i].astype(np.int64).tolist()} for i in range(0, n, 97)}
    for i, rows in copies_of.items():
        unseen_by = [fold for fold, trained in enumerate(seen) if not (rows & trained)]
        assert len(unseen_by) >= 1, f"image {i} and its copies were in every fold's training set"


def test_pipeline_runs_and_scores(tmp_path):
    contexts, results = run_pipeline(tmp_path, SMALL)
    aug = results["augment"]
    assert isinstance(aug.output, Path) and aug.output.is_file()
    assert aug.output.parent == contexts["augment"].workdir
    assert aug.metrics["trainSize"] == 2 * 1078
    teacher = results["teacher"]
    assert isinstance(teacher.output, Path) and teacher.output.is_file()
    assert 0.85 < teacher.metrics["teacherValAcc"] <= 1.0
    assert 0.85 < teacher.metrics["teacherOofAcc"] <= 1.0
    assert len(contexts["teacher"].heartbeats) >= stages.TEACHER_FOLDS
    student = results["student"]
    json.dumps(student.output)  # a JSON value
    for metric in ("valAcc", "testAcc", "teacherAgreement"):
        assert 0.0 <= student.metrics[metric] <= 1.0
        assert student.output[metric] == student.metrics[metric]
    assert student.metrics["valAcc"] > 0.85
    for result in results.values():
        assert getattr(result, "cost", None) is None  # measured wall seconds
        assert all(isinstance(v, float) for v in result.metrics.values())


def test_pipeline_is_deterministic_per_seed(tmp_path):
    seed = 2**32 - 1  # the largest trial seed (uint32) is accepted by every RNG used
    runs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        runs.append(run_pipeline(tmp_path / name, SMALL, seed=seed)[1])
    first, second = runs
    assert first["teacher"].metrics == second["teacher"].metrics
    assert first["student"].metrics == second["student"].metrics


def test_accuracy_depends_on_the_teacher(tmp_path):
    """A barely trained teacher teaches a worse student than a reasonable one."""
    weak = {**SMALL, "augment": {"shifts": 0, "noise": 0.0},
            "teacher": {"max_iter": 10, "max_leaf_nodes": 4, "learning_rate": 0.01}}
    good = {**SMALL, "teacher": {"max_iter": 30, "max_leaf_nodes": 16, "learning_rate": 0.3}}
    (tmp_path / "weak").mkdir()
    (tmp_path / "good").mkdir()
    _, w = run_pipeline(tmp_path / "weak", weak)
    _, g = run_pipeline(tmp_path / "good", good)
    assert g["teacher"].metrics["teacherOofAcc"] > w["teacher"].metrics["teacherOofAcc"]
    assert g["student"].metrics["valAcc"] > w["student"].metrics["valAcc"]


def test_teacher_stops_when_cancelled(tmp_path):
    contexts, _ = run_pipeline(tmp_path, SMALL)
    ctx = FakeContext(
        params=dict(SMALL["teacher"], max_iter=200),
        workdir=tmp_path,
        parent=FakeOutput(contexts["teacher"].parent.value),
    )
    ctx.cancelled.set()
    with pytest.raises(stages.Cancelled):
        call(stages.teacher, ctx)


@pytest.mark.parametrize("config", ["study.json", "study.ci.json"])
def test_study_configs_match_the_stages(config, tmp_path):
    study = json.loads((HERE / config).read_text())
    assert study["objective"] == {"metric": "valAcc", "direction": "maximize"}
    assert study["optimizer"]["method"] == "eeipu"
    specs = study["pipeline"]["stages"]
    assert [s["name"] for s in specs] == ["augment", "teacher", "student"]
    assert all(s["taskQueue"] == "python" for s in specs)
    registered = getattr(sys.modules["memotune"], "registered_stages", None)
    for spec in specs:
        implementation = spec.get("implementation", spec["name"])
        fn = getattr(stages, spec["name"])
        if registered is not None:  # the real package: the worker serves what is registered
            assert registered()[implementation].fn is fn
        else:
            assert fn.stage_name == implementation
    # The cheapest corner of the space runs, and every stage reads exactly its declared params.
    low = {s["name"]: {p["name"]: p["low"] for p in s["params"]} for s in specs}
    contexts, results = run_pipeline(tmp_path, low)
    for spec in specs:
        assert contexts[spec["name"]].params.read == {p["name"] for p in spec["params"]}
    assert 0.0 < results["student"].metrics["valAcc"] <= 1.0


def test_both_configs_share_parameter_names():
    full, ci = (json.loads((HERE / f).read_text()) for f in ("study.json", "study.ci.json"))

    def names(study):
        return [(s["name"], [(p["name"], p["type"]) for p in s["params"]]) for s in study["pipeline"]["stages"]]

    assert names(full) == names(ci)
