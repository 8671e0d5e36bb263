"""What a stage function receives: its parameters, its seed, earlier outputs, liveness hooks and
the intermediate values it reports for pruning."""

from __future__ import annotations

import bisect
import json
import numbers
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypedDict

from . import cache, jsjson
from .result import finite_number
from .store import ObjectStore

MAX_INTERMEDIATE_STEPS = 1000
"""Most values one stage attempt may report (``maxIntermediateSteps`` in src/core/pruning.ts). A
curve travels in the stage's result, the trial record and the trial log: 1,000 points of an epoch
loop stay near 20 kB; a loop over batches should report every n-th."""

MAX_INTERMEDIATE_STEP = 2**31 - 1
"""Largest step a stage may report (``maxIntermediateStep``): an int32, held exactly by both
languages (TypeScript numbers are doubles)."""


class TrialPruned(Exception):
    """Raised by a stage to stop its trial early, typically when :meth:`StageContext.should_prune`
    says the trial is doing worse than the trials before it.

    Not a failure: the attempt is reported as ``TrialPruned`` (never retried: a re-run would be
    pruned again, at the same cost), the trial is charged what it spent, and nothing is committed
    for the stage. The study records the trial as ``pruned``.
    """


def report_error(kind: type[Exception], message: str) -> Exception:
    """A ``TypeError``/``ValueError`` from ``report()``, marked (:func:`is_report_error`): a bug in
    the stage's code, which the activity does not retry (another attempt would repeat it at full cost)."""
    error = kind(message)
    error.memotune_report_error = True  # type: ignore[attr-defined]
    return error


def is_report_error(error: BaseException) -> bool:
    return getattr(error, "memotune_report_error", False) is True


class IntermediateValues(TypedDict):
    """Values a stage reported, in the order it reported them (steps strictly increasing)."""

    steps: list[int]
    values: list[float]


def _describe(value: Any) -> str:
    """``value`` for an error message: its repr, cut short, and its type when that is not obvious."""
    try:
        text = repr(value)
    except Exception:  # a __repr__ that raises must not hide the real error
        text = "(a value whose repr cannot be read)"
    if len(text) > 40:
        text = text[:40] + "…"
    return text if isinstance(value, (int, float)) and not isinstance(value, bool) else f"{text} ({type(value).__name__})"


def _is_integer(value: Any) -> bool:
    """An int or another integral type (a numpy integer), never a bool (``True`` is not step 1)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class PruneReference:
    """What a stage compares its curve with (the ``prune`` field of the activity's input): for
    each step, the threshold the trial's best value so far must not be worse than. The study sets
    it by its pruner (the median of its completed trials' values at that step of the same stage,
    a percentile of them, or successive halving's best 1/η at its rungs); a step without enough
    of them has no threshold, and a trial is never pruned there."""

    direction: Literal["maximize", "minimize"]
    steps: tuple[int, ...]
    """Strictly ascending (looked up by binary search)."""
    thresholds: tuple[float, ...]
    """One per step."""

    @classmethod
    def from_json(cls, data: Any) -> PruneReference | None:
        """The reference in a runStage input; ``None`` when it is absent (``null``).

        It comes from memotune's own workflow, so a malformed one is a bug, reported naming the field.

        Raises:
            TypeError, ValueError: a malformed reference.
        """
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"prune must be an object or null, got {_describe(data)}")
        direction = data.get("direction")
        if direction not in ("maximize", "minimize"):
            raise ValueError(f"prune.direction must be 'maximize' or 'minimize', got {_describe(direction)}")
        raw_steps = data.get("steps")
        raw_thresholds = data.get("thresholds")
        if not isinstance(raw_steps, list):
            raise TypeError(f"prune.steps must be a list, got {_describe(raw_steps)}")
        if not isinstance(raw_thresholds, list):
            raise TypeError(f"prune.thresholds must be a list, got {_describe(raw_thresholds)}")
        if len(raw_steps) != len(raw_thresholds):
            raise ValueError(
                f"prune.steps and prune.thresholds must have the same length, got {len(raw_steps)} and "
                f"{len(raw_thresholds)}"
            )
        steps: list[int] = []
        for i, step in enumerate(raw_steps):
            if not _is_integer(step) or not 0 <= step <= MAX_INTERMEDIATE_STEP:
                raise ValueError(
                    f"prune.steps[{i}] must be an integer from 0 to {MAX_INTERMEDIATE_STEP}, got {_describe(step)}"
                )
            if steps and step <= steps[-1]:
                raise ValueError(f"prune.steps must be strictly ascending, got {step} after {steps[-1]} at index {i}")
            steps.append(int(step))
        thresholds: list[float] = []
        for i, threshold in enumerate(raw_thresholds):
            number = finite_number(threshold)
            if number is None:
                raise ValueError(f"prune.thresholds[{i}] must be a finite number, got {_describe(threshold)}")
            thresholds.append(number)
        return cls(direction, tuple(steps), tuple(thresholds))

    def threshold_at(self, step: int) -> float | None:
        """The threshold at exactly ``step``, or ``None`` when the reference has none there."""
        at = bisect.bisect_left(self.steps, step)
        return self.thresholds[at] if at < len(self.steps) and self.steps[at] == step else None


class IntermediateCurve:
    """The values one attempt reported, and whether they say to prune (the rule of
    ``shouldPrune`` in src/core/pruning.ts, so both languages prune alike).

    Thread-safe: a sync stage reports from its worker thread while the activity reads the curve
    on the event loop once the stage is done. Each attempt gets a new, empty one.
    """

    def __init__(self, reference: PruneReference | None = None) -> None:
        self._reference = reference
        self._steps: list[int] = []
        self._values: list[float] = []
        self._best: float | None = None
        self._lock = threading.Lock()

    def report(self, step: Any, value: Any) -> None:
        """Records ``value`` at ``step``; checks in the order of ``reportProblem`` in
        src/core/pruning.ts (step, its order, value, count), so a bad call fails alike in both
        languages. Nothing is recorded when it raises.

        Raises:
            TypeError: ``step`` is not an integer, or ``value`` not a number.
            ValueError: ``step`` out of range or not after the last one, ``value`` not finite, or
                :data:`MAX_INTERMEDIATE_STEPS` values reported already.
        """
        value = jsjson.plain_scalar(value)
        if not _is_integer(step):
            swapped = isinstance(step, float) and _is_integer(value)
            raise report_error(TypeError, 
                f"report(): step must be a non-negative integer, got {_describe(step)}"
                + (" (the order is report(step, value); Optuna's is report(value, step))" if swapped else "")
            )
        if step < 0:
            raise report_error(ValueError, f"report(): step must be a non-negative integer, got {_describe(step)}")
        if step > MAX_INTERMEDIATE_STEP:
            raise report_error(ValueError, f"report(): step must be at most {MAX_INTERMEDIATE_STEP}, got {_describe(step)}")
        step = int(step)
        with self._lock:
            if self._steps and step <= self._steps[-1]:
                raise report_error(ValueError, 
                    f"report(): step {step} is not after the last reported step {self._steps[-1]} (steps must increase)"
                )
            number = finite_number(value)
            if number is None:
                is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
                raise report_error(ValueError if is_number else TypeError, 
                    f"report(): value must be a finite number, got {_describe(value)}"
                    # NaN or an infinity: what a diverging loss reports.
                    + (
                        " (a run that diverged: raise TrialPruned, or let the stage fail)"
                        if is_number and not isinstance(value, numbers.Integral)
                        else ""
                    )
                )
            if len(self._steps) >= MAX_INTERMEDIATE_STEPS:
                raise report_error(ValueError, 
                    f"report(): at most {MAX_INTERMEDIATE_STEPS} values may be reported per stage run "
                    "(report every n-th step)"
                )
            self._steps.append(step)
            self._values.append(number)
            if self._best is None or self._is_better(number, self._best):
                self._best = number

    def _is_better(self, value: float, than: float) -> bool:
        # Without a reference the best value is never used: either direction will do.
        maximize = self._reference is None or self._reference.direction == "maximize"
        return value > than if maximize else value < than

    def should_prune(self) -> bool:
        """Whether the best value so far is strictly worse than the reference's threshold at the
        last reported step. No reference, nothing reported, or no threshold at exactly that step:
        ``False`` (an early good value keeps a trial alive, as Optuna's MedianPruner does)."""
        reference = self._reference
        with self._lock:
            if reference is None or self._best is None:
                return False
            threshold = reference.threshold_at(self._steps[-1])
            best = self._best
        if threshold is None:
            return False
        return best < threshold if reference.direction == "maximize" else best > threshold

    def last_report(self) -> dict[str, float] | None:
        """The last reported ``{"step", "value"}`` (heartbeats carry it to ``study status``), or ``None``."""
        with self._lock:
            return {"step": self._steps[-1], "value": self._values[-1]} if self._steps else None

    @property
    def last_step(self) -> int | None:
        """The last reported step, ``None`` before the first report."""
        with self._lock:
            return self._steps[-1] if self._steps else None

    def to_json(self) -> IntermediateValues:
        """A copy of the curve, as it travels in the activity's result and failure details."""
        with self._lock:
            return {"steps": list(self._steps), "values": list(self._values)}

    def __len__(self) -> int:
        with self._lock:
            return len(self._steps)


class StageOutput:
    """A committed output of an earlier stage of the same trial, read lazily from the store.

    Nothing is downloaded until the stage asks for it; every read checks the sha256 recorded
    when the output was committed and raises :class:`~memotune.cache.CacheReadError` on a
    mismatch (the activity reports it as a non-retryable ``CacheMiss``). The methods block:
    an ``async def`` stage should call them through ``asyncio.to_thread``.
    """

    def __init__(self, store: ObjectStore, meta: Mapping[str, Any], download_dir: Path) -> None:
        self._store = store
        self._meta = dict(meta)
        self._download_dir = download_dir
        self._path: Path | None = None
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        """The chained cache key of this output."""
        return str(self._meta["key"])

    @property
    def stage(self) -> str:
        """Name of the stage that produced it."""
        return str(self._meta["stage"])

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self._meta["metrics"])

    @property
    def format(self) -> str:
        """``json`` when the stage returned a JSON value, ``bytes`` for bytes, a file or a stream,
        ``directory`` for a directory (stored as a tar archive)."""
        return str(self._meta["format"])

    @property
    def bytes_size(self) -> int:
        """Size of the stored output in bytes (for a directory, of its tar archive)."""
        return int(self._meta["bytes"])

    @property
    def sha256(self) -> str:
        return str(self._meta["sha256"])

    def path(self) -> Path:
        """A local copy of the output, fetched (streamed, verified) on the first call only: a file,
        or for a ``directory`` output the extracted directory. A file a stage output by name
        (``output_file``, TypeScript's ``outputFile``) keeps that name, so its extension too."""
        with self._lock:
            if self._path is None:
                if self.format == "directory":
                    target = self._download_dir / self.key
                    cache.extract_directory(self._store, self._meta, target)
                elif (name := _safe_file_name(self._meta.get("fileName"))) is not None:
                    # The name the stage gave its file, extension and all, in a folder of its own.
                    target = self._download_dir / self.key / name
                    cache.download_data(self._store, self._meta, target)
                else:
                    target = self._download_dir / f"{self.key}{'.json' if self.format == 'json' else '.bin'}"
                    cache.download_data(self._store, self._meta, target)
                self._path = target
            return self._path

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Streams the output into the file ``path`` (its folder is created), which appears (or is
        replaced) only once the data matched its checksum. For a directory output, the file is its
        tar archive. Returns the path."""
        target = Path(path)
        cache.download_data(self._store, self._meta, target)
        return target

    def to_directory(self, dest: str | os.PathLike[str]) -> Path:
        """Extracts a ``directory`` output into ``dest``, which must not exist or be an empty
        directory; it appears only once the archive matched its checksum. Returns the path.

        Raises:
            ValueError: the output is not a directory.
        """
        target = Path(dest)
        cache.extract_directory(self._store, self._meta, target)
        return target

    def open(self) -> BinaryIO:
        """The output as a binary stream (for a directory, its tar archive); a checksum mismatch
        raises when it is read to the end."""
        with self._lock:
            if self._path is not None and self._path.is_file():
                return self._path.open("rb")
        return cache.open_data(self._store, self._meta)

    def read_bytes(self) -> bytes:
        """The whole output, in memory (either format; for a directory, its tar archive)."""
        if self.format == "directory":
            with self.open() as stream:
                return stream.read()
        return self.path().read_bytes()

    def json(self) -> Any:
        """The output parsed as JSON (for a stage that returned a JSON value)."""
        return json.loads(self.read_bytes().decode("utf-8"))

    def __repr__(self) -> str:
        return f"StageOutput(stage={self.stage!r}, key={self.key!r}, format={self.format!r}, bytes={self.bytes_size})"


@dataclass(frozen=True)
class StageContext:
    """One attempt at running a stage."""

    params: Any
    """This stage's hyperparameters exactly as the optimizer chose them: a dict, or an instance of
    the stage's ``params=`` type."""
    seed: int
    """A uint32 derived from the study seed and this stage's cache key: the same whenever this
    exact prefix runs, different between prefixes. Use it for every random choice."""
    stage_name: str
    stage_index: int
    version: str
    study_id: str
    trial_index: int
    attempt: int
    """1 for the first attempt, counting up across retries."""
    parent: StageOutput | None
    """The previous stage's output; ``None`` for the first stage."""
    ancestors: dict[str, StageOutput]
    """Outputs of every earlier stage of this trial by stage name, the parent included."""
    cancelled: threading.Event
    """Set when the attempt is cancelled or timed out: long-running code should check it and stop.
    Nothing is committed after cancellation."""
    workdir: Path
    """A fresh directory for this attempt, deleted afterwards (after a returned path is uploaded)."""
    _heartbeat: Callable[[Any], None] = field(repr=False)
    _curve: IntermediateCurve = field(default_factory=IntermediateCurve, repr=False)

    def require_parent(self) -> StageOutput:
        """The previous stage's output, :attr:`parent`, typed for a stage that is never first (no
        ``assert ctx.parent is not None`` for mypy or pyright). Raises ``ValueError`` in the first stage."""
        if self.parent is None:
            raise ValueError(f"stage '{self.stage_name}' is the pipeline's first stage: it has no parent output")
        return self.parent

    def heartbeat(self, details: Any = None) -> None:
        """Reports liveness, with optional JSON-able progress details, from any thread. The
        activity also heartbeats on its own while the stage runs; this adds progress details.
        NumPy scalars are written as numbers (as in metrics and outputs), NaN and ±Infinity as null.

        Raises:
            TypeError: ``details`` is not JSON-able (raised here, in the stage's own frame, rather
                than failing the heartbeat later).
        """
        if details is not None:
            try:
                details = json.loads(jsjson.dumps(details))
            except TypeError as error:
                raise TypeError(f"ctx.heartbeat(details): {error}") from None
        self._heartbeat(details)

    def report(self, step: int, value: float) -> None:
        """Records an intermediate value of the study's objective at ``step`` (e.g. the validation
        accuracy after epoch ``step``), for :meth:`should_prune` and for the study: completed
        trials' values become the reference later trials are pruned against.

        ``step``: an integer from 0 to 2**31 - 1, greater than the last one reported by this
        attempt (a retried attempt starts a new curve). ``value``: a finite number (numpy scalars
        included). At most :data:`MAX_INTERMEDIATE_STEPS` values per attempt: in a loop over
        batches, report every n-th.

        Raises:
            TypeError, ValueError: naming the argument; nothing is recorded.
        """
        self._curve.report(step, value)

    def should_prune(self) -> bool:
        """Whether to stop this trial now (then ``raise TrialPruned()``): the best value reported
        so far is strictly worse than the study's reference (its pruner's threshold) at
        the last reported step. ``False`` before the first report, when the study gave no
        reference (pruning off, too few completed trials) or has none at exactly that step."""
        return self._curve.should_prune()

    @property
    def intermediate(self) -> IntermediateValues:
        """A copy of what this attempt reported: ``{"steps": [...], "values": [...]}``."""
        return self._curve.to_json()


def _safe_file_name(name: object) -> str | None:
    """``name`` when it is a plain file name to create in a folder of ours (a stored meta object is
    not trusted with a path), else ``None``."""
    if not isinstance(name, str) or name in ("", ".", "..") or len(name.encode("utf-8")) > 255:
        return None
    if any(char in name for char in "/\\\0") or any(ord(char) < 32 for char in name):
        return None
    return name
