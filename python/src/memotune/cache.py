"""The stage cache in the object store, byte-compatible with src/storage/stage-cache.ts.

One folder per chained stage key::

    outputs/<key>/data-<sha256>  the output (JSON text or raw bytes), named by its checksum
    outputs/<key>/meta.json      written last: the commit marker

A crash between the two writes leaves data without meta, which reads as "not cached". Data
objects are immutable, so two writers of one key each commit a meta that matches its own data.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Literal

from . import jsjson
from .store import ObjectStore

Format = Literal["json", "bytes"]

CHUNK = 1024 * 1024
"""Bytes hashed or copied at a time, so large outputs never sit in memory whole."""

_CONTENT_TYPES: dict[str, str] = {"json": "application/json", "bytes": "application/octet-stream"}
_META_FIELDS = ("key", "stage", "cost", "metrics", "format", "bytes", "sha256")


class CacheReadError(Exception):
    """A stage output that is not (validly) in the cache: retrying the read will not help."""


def meta_key(key: str) -> str:
    return f"outputs/{key}/meta.json"


def data_key(key: str, sha256: str) -> str:
    return f"outputs/{key}/data-{sha256}"


def iso_timestamp(moment: datetime) -> str:
    """JavaScript's ``Date.prototype.toISOString``: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class EncodedOutput:
    """A stage's output ready to store: in memory (``body``) or a local file (``path``)."""

    format: Format
    size: int
    sha256: str
    body: bytes | None = None
    path: Path | None = None


def encode_output(output: Any) -> EncodedOutput:
    """Bytes-like and :class:`~pathlib.Path` outputs are stored as ``bytes``; anything else as
    JSON text written like ``JSON.stringify``.

    Raises:
        TypeError: the value is not JSON-serializable.
        FileNotFoundError: a path output is not an existing file.
    """
    if isinstance(output, Path):
        if not output.is_file():
            raise FileNotFoundError(f"the output path {output} is not a file")
        digest = hashlib.sha256()
        size = 0
        with output.open("rb") as file:
            while chunk := file.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return EncodedOutput("bytes", size, digest.hexdigest(), path=output)
    if isinstance(output, (bytes, bytearray, memoryview)):
        body = bytes(output)
        return EncodedOutput("bytes", len(body), hashlib.sha256(body).hexdigest(), body=body)
    body = jsjson.dumps(output).encode("utf-8")
    return EncodedOutput("json", len(body), hashlib.sha256(body).hexdigest(), body=body)


def read_meta(store: ObjectStore, key: str) -> dict[str, Any] | None:
    """The metadata of a committed output, or ``None`` when it is not (validly) committed: a
    meta object that cannot be parsed is treated as absent, and the next run overwrites it."""
    body = store.get(meta_key(key))
    if body is None:
        return None
    try:
        meta = json.loads(body.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(meta, dict) or any(field not in meta for field in _META_FIELDS):
        return None
    return meta


def write_data(store: ObjectStore, key: str, encoded: EncodedOutput) -> None:
    """Stores the data object; not visible as cached until :func:`commit`."""
    target = data_key(key, encoded.sha256)
    content_type = _CONTENT_TYPES[encoded.format]
    if encoded.path is not None:
        store.put_file(target, encoded.path, content_type)
    else:
        assert encoded.body is not None
        store.put(target, encoded.body, content_type)


def commit(
    store: ObjectStore, key: str, encoded: EncodedOutput, fields: Mapping[str, Any], created_at: datetime
) -> dict[str, Any]:
    """Writes the commit marker for stored data and returns it. ``fields`` are pipelineId,
    stage, version, cost and metrics, in that order."""
    meta = {
        **fields,
        "key": key,
        "format": encoded.format,
        "bytes": encoded.size,
        "sha256": encoded.sha256,
        "createdAt": iso_timestamp(created_at),
    }
    store.put(meta_key(key), jsjson.dumps(meta).encode("utf-8"), "application/json")
    return meta


class _VerifyingReader(io.RawIOBase):
    """Passes a data stream through, hashing it; raises CacheReadError at EOF on a mismatch."""

    def __init__(self, source: BinaryIO, meta: Mapping[str, Any]) -> None:
        self._source = source
        self._meta = meta
        self._digest = hashlib.sha256()
        self._verified = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._source.read(len(view))
        if chunk:
            view[: len(chunk)] = chunk
            self._digest.update(chunk)
            return len(chunk)
        if not self._verified:
            _check_digest(self._meta, self._digest.hexdigest())
            self._verified = True
        return 0

    def close(self) -> None:
        self._source.close()
        super().close()


def _check_digest(meta: Mapping[str, Any], digest: str) -> None:
    if digest != meta["sha256"]:
        raise CacheReadError(f"stage output {meta['key']} is corrupted (sha256 {digest} != {meta['sha256']})")


def _open_source(store: ObjectStore, meta: Mapping[str, Any]) -> BinaryIO:
    source = store.open(data_key(meta["key"], meta["sha256"]))
    if source is None:
        raise CacheReadError(f"stage output {meta['key']} has metadata but no data")
    return source


def open_data(store: ObjectStore, meta: Mapping[str, Any]) -> BinaryIO:
    """A committed output's data as a stream, checked against its checksum when read to the end."""
    return io.BufferedReader(_VerifyingReader(_open_source(store, meta), meta), CHUNK)


def download_data(store: ObjectStore, meta: Mapping[str, Any], path: Path) -> None:
    """Streams a committed output's data to ``path``, which appears only once it is verified."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as target, _open_source(store, meta) as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
        _check_digest(meta, digest.hexdigest())
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
