"""Stages of the "digits" example: augment -> teacher -> student (knowledge distillation).

Real models on real data, no downloads: scikit-learn's bundled 8x8 handwritten digits
(``sklearn.datasets.load_digits``, 1797 images, 10 classes), split once, stratified, with a
fixed seed (independent of the trial seed) into 60 % train / 20 % validation / 20 % test.

1. ``augment`` (cheap): the training images plus ``shifts`` copies of each, every copy moved
   by one pixel in a random direction (8-neighbourhood, zero fill) and given Gaussian pixel
   noise of standard deviation ``noise`` x 16 (pixel values are 0..16). Output: ``.npz``.
2. ``teacher`` (expensive): a ``HistGradientBoostingClassifier`` fitted on the augmented set
   (single-threaded; ten trees per boosting iteration, one per class). Its cost grows with
   ``max_iter``, ``max_leaf_nodes`` and the augmented set's size. It is fitted in chunks of
   iterations (``warm_start``) so the stage heartbeats and notices cancellation between chunks.
   Output: its class probabilities on every augmented input (``.npz``); metric
   ``teacherValAcc``.
3. ``student`` (cheap): a multinomial logistic regression trained only on the teacher's soft
   labels (softened by ``temperature``), never on the true labels, so it is exactly as good as
   what it is taught. Soft-label cross-entropy is fitted by repeating each input once per class
   with the class probability as its sample weight. Metric ``valAcc`` (the study objective)
   plus ``testAcc`` (held out, for reporting) and ``teacherAgreement``.

Every random choice uses ``ctx.seed``; the split does not (it is the same for every trial).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

# HistGradientBoosting uses OpenMP, numpy a BLAS: keep every stage on one core. The
# environment variables cover libraries loaded after this point; threadpoolctl below limits
# the ones already loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from memotune import StageContext, StageResult, stage  # noqa: E402

SPLIT_SEED = 0
"""The train/validation/test split is fixed: every trial is scored on the same images."""

TEACHER_CHUNK = 10
"""Boosting iterations between heartbeats (one iteration is ten trees)."""

PIXEL_MAX = 16.0


class Cancelled(Exception):
    """Raised by a stage that saw ``ctx.cancelled`` set."""


def split() -> dict[str, np.ndarray]:
    """The fixed stratified 60/20/20 split: x_* float32 in [0, 16] of shape (n, 64), y_* int."""
    digits = load_digits()
    x = digits.data.astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, test_size=0.4, stratify=y, random_state=SPLIT_SEED
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=SPLIT_SEED
    )
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "x_test": x_test,
        "y_test": y_test,
    }


def _param(params: Any, name: str) -> Any:
    return params[name] if isinstance(params, dict) else getattr(params, name)


def _check_cancelled(ctx: StageContext) -> None:
    if ctx.cancelled.is_set():
        raise Cancelled("stage cancelled")


_SHIFTS = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)])


def shift_images(x: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Each 8x8 image x[i] moved by offsets[i] = (dy, dx) pixels, zero fill."""
    images = x.reshape(-1, 8, 8)
    out = np.zeros_like(images)
    for (dy, dx) in {tuple(o) for o in offsets.tolist()}:
        rows = np.flatnonzero((offsets[:, 0] == dy) & (offsets[:, 1] == dx))
        src = images[rows]
        dst = np.zeros_like(src)
        ys = slice(max(dy, 0), 8 + min(dy, 0))
        yd = slice(max(-dy, 0), 8 + min(-dy, 0))
        xs = slice(max(dx, 0), 8 + min(dx, 0))
        xd = slice(max(-dx, 0), 8 + min(-dx, 0))
        # out[r, c] = in[r - dy, c - dx]
        dst[:, ys, xs] = src[:, yd, xd]
        out[rows] = dst
    return out.reshape(len(x), 64)


def augment_arrays(
    x: np.ndarray, y: np.ndarray, shifts: int, noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The originals followed by ``shifts`` shifted, noisy copies of every image."""
    rng = np.random.default_rng(seed)
    xs, ys = [x], [y]
    for _ in range(shifts):
        offsets = _SHIFTS[rng.integers(0, len(_SHIFTS), size=len(x))]
        copy = shift_images(x, offsets)
        if noise > 0:
            copy = copy + rng.normal(0.0, noise * PIXEL_MAX, size=copy.shape)
        xs.append(np.clip(copy, 0.0, PIXEL_MAX).astype(np.float32))
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


@stage("augment")
def augment(ctx: StageContext) -> StageResult:
    shifts = int(_param(ctx.params, "shifts"))
    noise = float(_param(ctx.params, "noise"))
    data = split()
    x, y = augment_arrays(data["x_train"], data["y_train"], shifts, noise, ctx.seed)
    out = Path(ctx.workdir) / "augmented.npz"
    np.savez_compressed(out, x=x, y=y)
    return StageResult(output=out, metrics={"trainSize": float(len(x))})


def fit_teacher(
    x: np.ndarray,
    y: np.ndarray,
    *,
    max_iter: int,
    max_leaf_nodes: int,
    learning_rate: float,
    seed: int,
    between_chunks: Any = None,
) -> HistGradientBoostingClassifier:
    """Fits the teacher ``TEACHER_CHUNK`` iterations at a time; ``between_chunks(done)`` runs
    after each chunk (heartbeat, cancellation check)."""
    model = HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=0,
        max_leaf_nodes=max_leaf_nodes,
        early_stopping=False,
        warm_start=True,
        random_state=seed,
    )
    done = 0
    with threadpool_limits(limits=1):
        while done < max_iter:
            done = min(done + TEACHER_CHUNK, max_iter)
            model.set_params(max_iter=done)
            model.fit(x / PIXEL_MAX, y)
            if between_chunks is not None:
                between_chunks(done)
    return model


@stage("teacher")
def teacher(ctx: StageContext) -> StageResult:
    max_iter = int(_param(ctx.params, "max_iter"))
    max_leaf_nodes = int(_param(ctx.params, "max_leaf_nodes"))
    learning_rate = float(_param(ctx.params, "learning_rate"))
    with np.load(ctx.parent.path()) as aug:
        x, y = aug["x"], aug["y"]
    data = split()
    _check_cancelled(ctx)

    def between_chunks(done: int) -> None:
        ctx.heartbeat({"iterations": done, "of": max_iter})
        _check_cancelled(ctx)

    model = fit_teacher(
        x,
        y,
        max_iter=max_iter,
        max_leaf_nodes=max_leaf_nodes,
        learning_rate=learning_rate,
        seed=ctx.seed,
        between_chunks=between_chunks,
    )
    with threadpool_limits(limits=1):
        proba = model.predict_proba(x / PIXEL_MAX).astype(np.float32)
        val_acc = float(model.score(data["x_val"] / PIXEL_MAX, data["y_val"]))
    out = Path(ctx.workdir) / "teacher.npz"
    np.savez_compressed(out, proba=proba, classes=model.classes_)
    return StageResult(
        output=out,
        metrics={
            "teacherValAcc": val_acc,
            "teacherTrainAcc": float(np.mean(model.classes_[proba.argmax(1)] == y)),
        },
    )


def soften(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities raised to 1/temperature and renormalized (temperature > 1 flattens)."""
    logp = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return p / p.sum(axis=1, keepdims=True)


def fit_student(
    x: np.ndarray, soft: np.ndarray, classes: np.ndarray, *, c: float, seed: int
) -> LogisticRegression:
    """Multinomial logistic regression minimizing cross-entropy against soft targets: each
    input appears once per class it has noticeable probability for, weighted by it."""
    rows, cols = np.nonzero(soft >= 1e-3)
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    with threadpool_limits(limits=1):
        model.fit(x[rows] / PIXEL_MAX, classes[cols], sample_weight=soft[rows, cols])
    return model


@stage("student")
def student(ctx: StageContext) -> StageResult:
    c = float(_param(ctx.params, "C"))
    temperature = float(_param(ctx.params, "temperature"))
    with np.load(ctx.ancestors["augment"].path()) as aug:
        x = aug["x"]
    with np.load(ctx.parent.path()) as t:
        proba, classes = t["proba"], t["classes"]
    data = split()
    _check_cancelled(ctx)
    model = fit_student(x, soften(proba, temperature), classes, c=c, seed=ctx.seed)
    with threadpool_limits(limits=1):
        val_acc = float(model.score(data["x_val"] / PIXEL_MAX, data["y_val"]))
        test_acc = float(model.score(data["x_test"] / PIXEL_MAX, data["y_test"]))
        agreement = float(np.mean(model.predict(x / PIXEL_MAX) == classes[proba.argmax(1)]))
    metrics = {"valAcc": val_acc, "testAcc": test_acc, "teacherAgreement": agreement}
    summary = {"C": c, "temperature": temperature, "trainSize": int(len(x)), **metrics}
    return StageResult(output=json.loads(json.dumps(summary)), metrics=metrics)
