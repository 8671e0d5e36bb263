"""What a stage function receives: its parameters, its seed, earlier outputs and liveness hooks."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import cache
from .store import ObjectStore


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
        or for a ``directory`` output the extracted directory."""
        with self._lock:
            if self._path is None:
                if self.format == "directory":
                    target = self._download_dir / self.key
                    cache.extract_directory(self._store, self._meta, target)
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

    def heartbeat(self, details: Any = None) -> None:
        """Reports liveness, with optional JSON-able progress details, from any thread. The
        activity also heartbeats on its own while the stage runs; this adds progress details."""
        self._heartbeat(details)
