"""Stages of the "digits" example: augment -> teacher -> student (knowledge distillation).

Real models on real data, no downloads: scikit-learn's bundled 8x8 handwritten digits
(``sklearn.datasets.load_digits``, 1797 images, 10 classes), split once, stratified, with a
fixed seed (the same for every trial) into 60 % train / 20 % validation / 20 % test.

1. ``augment`` (cheap): the training images plus ``shifts`` copies of each, every copy moved
   by one pixel in a random direction (8-neighbourhood, zero fill) and given Gaussian pixel
   noise of standard deviation ``noise`` x 16 (pixels are 0..16). Output: ``augmented.npz``.
2. ``teacher`` (expensive): ``HistGradientBoostingClassifier`` (``max_iter``,
   ``max_leaf_nodes``, ``learning_rate``; ten trees per iteration, single-threaded),
   cross-fitted over ``TEACHER_FOLDS`` folds of the training images: each fold's booster is
   trained on the augmented rows of the other folds' images, so every training image gets
   an out-of-fold soft label from a model that saw neither it nor its shifted copies. The
   fits run in chunks of iterations (``warm_start``) with a heartbeat and a cancellation check
   between chunks. Output: those soft labels (``teacher.npz``); metrics ``teacherValAcc``
   (the fold models' averaged vote on the validation set) and ``teacherOofAcc``.
3. ``student`` (cheap): a multinomial logistic regression (``C``) trained only on the
   teacher's soft labels, sharpened or flattened by ``temperature``, never on the true labels,
   so a worse teacher makes a worse student. Soft-label cross-entropy is fitted by repeating
   each image once per class with the class probability as its sample weight. It learns from
   the original training images only (shifted copies hurt a linear model on raw pixels).
   Metric ``valAcc`` (the study objective), plus ``testAcc`` (held out, reported, never
   tuned on) and ``teacherAgreement``. Output: a small JSON summary.

Every random choice uses ``ctx.seed``; the split does not.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

# HistGradientBoosting uses OpenMP, numpy a BLAS: keep every stage on one core. The
# environment variables cover libraries loaded after this point; threadpoolctl below limits
# the ones already loaded.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from memotune import StageContext, StageResult, stage  # noqa: E402

SPLIT_SEED = 0
"""The train/validation/test split is fixed: every trial is scored on the same images."""

TEACHER_FOLDS = 5
"""The teacher is cross-fitted: each training image's soft label comes from the booster that
did not see it (nor its shifted copies)."""

FIRST_CHUNK = 10
"""Boosting iterations (ten trees each, one per class) before the first heartbeat."""

CHUNK_SECONDS = 5.0
"""Aimed-at seconds between heartbeats and cancellation checks inside a fit. Every warm start
re-predicts the trees built so far: 2 s chunks cost ~20 % extra on a long fit, 5 s ~1 %."""

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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The originals followed by ``shifts`` shifted, noisy copies of every image; also each
    row's source image (its index in ``x``)."""
    rng = np.random.default_rng(seed)
    xs, ys, srcs = [x], [y], [np.arange(len(x))]
    for _ in range(shifts):
        offsets = _SHIFTS[rng.integers(0, len(_SHIFTS), size=len(x))]
        copy = shift_images(x, offsets)
        if noise > 0:
            copy = copy + rng.normal(0.0, noise * PIXEL_MAX, size=copy.shape)
        xs.append(np.clip(copy, 0.0, PIXEL_MAX).astype(np.float32))
        ys.append(y)
        srcs.append(np.arange(len(x)))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(srcs)


@stage("augment")
def augment(ctx: StageContext) -> StageResult:
    shifts = int(_param(ctx.params, "shifts"))
    noise = float(_param(ctx.params, "noise"))
    data = split()
    x, y, src = augment_arrays(data["x_train"], data["y_train"], shifts, noise, ctx.seed)
    out = Path(ctx.workdir) / "augmented.npz"
    np.savez_compressed(out, x=x, y=y, src=src, n_original=len(data["x_train"]))
    return StageResult(output=out, metrics={"trainSize": float(len(x))})


def fit_booster(
    x: np.ndarray,
    y: np.ndarray,
    *,
    max_iter: int,
    max_leaf_nodes: int,
    learning_rate: float,
    seed: int,
    between_chunks: Callable[[int], None] | None = None,
) -> HistGradientBoostingClassifier:
    """One gradient-boosted model, fitted a chunk of iterations at a time (``warm_start``) so
    that ``between_chunks(iterations_done)`` runs about every ``CHUNK_SECONDS``. Every warm
    start re-predicts the trees already built, so chunks grow with the measured speed rather
    than staying small."""
    model = HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=0,
        max_leaf_nodes=max_leaf_nodes,
        early_stopping=False,
        warm_start=True,
        random_state=seed,
    )
    done, chunk = 0, FIRST_CHUNK
    with threadpool_limits(limits=1):
        while done < max_iter:
            target = min(done + chunk, max_iter)
            started = time.perf_counter()
            model.set_params(max_iter=target)
            model.fit(x / PIXEL_MAX, y)
            per_iteration = (time.perf_counter() - started) / (target - done)
            done = target
            chunk = max(FIRST_CHUNK, int(CHUNK_SECONDS / max(per_iteration, 1e-6)))
            if between_chunks is not None:
                between_chunks(done)
    return model


def out_of_fold_teacher(
    x: np.ndarray,
    y: np.ndarray,
    src: np.ndarray,
    n_original: int,
    *,
    max_iter: int,
    max_leaf_nodes: int,
    learning_rate: float,
    seed: int,
    x_val: np.ndarray | None = None,
    between_chunks: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """``TEACHER_FOLDS`` boosters, each fitted on the augmented rows whose source image is
    outside its fold; returns each original image's out-of-fold probabilities (``proba``),
    the classes and, if ``x_val`` is given, the fold models' mean probabilities on it."""
    folds = StratifiedKFold(n_splits=TEACHER_FOLDS, shuffle=True, random_state=seed % (2**31))
    y_original = y[:n_original]
    classes = np.unique(y_original)
    proba = np.zeros((n_original, len(classes)), dtype=np.float64)
    val_proba = None if x_val is None else np.zeros((len(x_val), len(classes)))
    for fold, (_, held_out) in enumerate(folds.split(np.zeros(n_original), y_original)):
        train_rows = ~np.isin(src, held_out)
        model = fit_booster(
            x[train_rows],
            y[train_rows],
            max_iter=max_iter,
            max_leaf_nodes=max_leaf_nodes,
            learning_rate=learning_rate,
            seed=seed,
            between_chunks=None
            if between_chunks is None
            else (lambda done, fold=fold: between_chunks(fold, done)),
        )
        with threadpool_limits(limits=1):
            proba[held_out] = model.predict_proba(x[held_out] / PIXEL_MAX)
            if val_proba is not None:
                val_proba += model.predict_proba(x_val / PIXEL_MAX) / TEACHER_FOLDS
    return {"proba": proba, "classes": classes, "val_proba": val_proba}


@stage("teacher")
def teacher(ctx: StageContext) -> StageResult:
    max_iter = int(_param(ctx.params, "max_iter"))
    max_leaf_nodes = int(_param(ctx.params, "max_leaf_nodes"))
    learning_rate = float(_param(ctx.params, "learning_rate"))
    with np.load(ctx.require_parent().path()) as aug:
        x, y, src, n_original = aug["x"], aug["y"], aug["src"], int(aug["n_original"])
    data = split()
    _check_cancelled(ctx)

    def between_chunks(fold: int, done: int) -> None:
        ctx.heartbeat({"fold": fold + 1, "folds": TEACHER_FOLDS, "iterations": done, "of": max_iter})
        _check_cancelled(ctx)

    result = out_of_fold_teacher(
        x,
        y,
        src,
        n_original,
        max_iter=max_iter,
        max_leaf_nodes=max_leaf_nodes,
        learning_rate=learning_rate,
        seed=ctx.seed,
        x_val=data["x_val"],
        between_chunks=between_chunks,
    )
    proba, classes = result["proba"], result["classes"]
    out = Path(ctx.workdir) / "teacher.npz"
    np.savez_compressed(out, proba=proba.astype(np.float32), classes=classes)
    val_acc = float(np.mean(classes[result["val_proba"].argmax(1)] == data["y_val"]))
    oof_acc = float(np.mean(classes[proba.argmax(1)] == y[:n_original]))
    return StageResult(output=out, metrics={"teacherValAcc": val_acc, "teacherOofAcc": oof_acc})


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
        x = aug["x"][: int(aug["n_original"])]
    with np.load(ctx.require_parent().path()) as t:
        proba, classes = t["proba"], t["classes"]
    data = split()
    _check_cancelled(ctx)
    model = fit_student(x, soften(proba, temperature), classes, c=c, seed=ctx.seed)
    with threadpool_limits(limits=1):
        val_acc = float(model.score(data["x_val"] / PIXEL_MAX, data["y_val"]))
        test_acc = float(model.score(data["x_test"] / PIXEL_MAX, data["y_test"]))
        agreement = float(np.mean(model.predict(x / PIXEL_MAX) == classes[proba.argmax(1)]))
    metrics = {"valAcc": val_acc, "testAcc": test_acc, "teacherAgreement": agreement}
    return StageResult(output={"C": c, "temperature": temperature, **metrics}, metrics=metrics)
