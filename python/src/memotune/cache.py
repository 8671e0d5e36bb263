"""The stage cache in the object store, byte-compatible with src/storage/stage-cache.ts.

One folder per chained stage key::

    outputs/<key>/data-<sha256>  the output (JSON text, raw bytes or a directory's tar archive),
                                 named by its checksum
    outputs/<key>/meta.json      written last: the commit marker

A crash between the two writes leaves data without meta, which reads as "not cached". Data
objects are immutable, so two writers of one key each commit a meta that matches its own data.

Outputs of any size are streamed, never held in memory whole. The checksum names the data object,
so it is known before the upload starts: a file or a directory is read twice — hashed, then
uploaded while it is hashed again, the upload completing only when both agree — and a one-shot
stream is hashed while it is written to a temporary file, then uploaded from that file. A retried
upload re-reads its source from the start.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal

from . import jsjson
from .result import DirectoryOutput, FileOutput, StreamOutput, StreamSource
from .store import ObjectStore

Format = Literal["json", "bytes", "directory"]

CHUNK = 1024 * 1024
"""Bytes hashed or copied at a time, so large outputs never sit in memory whole."""

_CONTENT_TYPES: dict[str, str] = {
    "json": "application/json",
    "bytes": "application/octet-stream",
    "directory": "application/x-tar",
}
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
    """A stage's output whose bytes are known: in memory (``body``) or a local file (``path``)."""

    format: Format
    size: int
    sha256: str
    body: bytes | None = None
    path: Path | None = None
    #: The name of the file a stage output (``output_file`` or a file path), recorded in its meta
    #: as ``fileName`` so that a later stage's local copy keeps its extension.
    file_name: str | None = None


@dataclass(frozen=True)
class OutputSource:
    """An output streamed from outside memory (a file, a directory, a one-shot stream), hashed
    when :func:`write_data` stores it."""

    kind: Literal["file", "directory", "stream"]
    path: Path | None = None
    stream: StreamSource | None = None


def encode_output(output: Any) -> EncodedOutput | OutputSource:
    """Checks a stage's output without reading any file or stream yet. Bytes-like outputs are
    stored as ``bytes``; a :class:`~pathlib.Path` to a file or :func:`~memotune.output_file` as
    ``bytes`` read from the file; a path to a directory or :func:`~memotune.output_directory` as
    ``directory``; :func:`~memotune.output_stream` or a binary file object as ``bytes`` read from
    it; anything else as JSON text written like ``JSON.stringify``.

    Raises:
        TypeError: the value is not JSON-serializable.
        FileNotFoundError, IsADirectoryError, NotADirectoryError: a path output is not what it
            should be.
    """
    if isinstance(output, (FileOutput, DirectoryOutput, Path)):
        path = Path(output.path if isinstance(output, (FileOutput, DirectoryOutput)) else output).absolute()
        if isinstance(output, FileOutput) or (isinstance(output, Path) and path.is_file()):
            if not path.is_file():
                if path.is_dir():
                    raise IsADirectoryError(f"output_file({str(path)!r}): a directory (use output_directory)")
                raise FileNotFoundError(f"output_file({str(path)!r}): no such file")
            return OutputSource("file", path=path)
        if isinstance(output, DirectoryOutput) or path.is_dir():
            if not path.is_dir():
                raise NotADirectoryError(f"output_directory({str(path)!r}): no such directory")
            return OutputSource("directory", path=path)
        raise FileNotFoundError(f"the output path {path} is neither a file nor a directory")
    if isinstance(output, StreamOutput):
        return OutputSource("stream", stream=output.source)
    if isinstance(output, io.IOBase):
        return OutputSource("stream", stream=output)  # type: ignore[arg-type]
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


def write_data(
    store: ObjectStore, key: str, encoded: EncodedOutput | OutputSource, spool_dir: Path | None = None
) -> EncodedOutput:
    """Stores the data object; not visible as cached until :func:`commit`. Returns what was stored
    (its format, size and checksum). A one-shot stream is spooled to a temporary file in
    ``spool_dir`` (default: the system's temporary folder), removed afterwards.

    Raises:
        ValueError: a file or directory changed while it was being stored.
        OSError: its source could not be read.
    """
    if isinstance(encoded, EncodedOutput):
        target = data_key(key, encoded.sha256)
        content_type = _CONTENT_TYPES[encoded.format]
        if encoded.path is not None:
            store.put_file(target, encoded.path, content_type)
        else:
            assert encoded.body is not None
            store.put(target, encoded.body, content_type)
        return encoded
    if encoded.kind == "stream":
        assert encoded.stream is not None
        return _write_spooled(store, key, encoded.stream, spool_dir)
    path = encoded.path
    assert path is not None
    if encoded.kind == "file":
        stored = _write_twice(store, key, "bytes", lambda: path.open("rb"), f"the output file {path}")
        return dataclasses.replace(stored, file_name=path.name)
    return _write_twice(
        store, key, "directory", lambda: io.BufferedReader(_ChunkReader(_tar_chunks(path)), CHUNK),
        f"the output directory {path}",
    )


def _write_twice(
    store: ObjectStore, key: str, format: Format, open_source: Callable[[], BinaryIO], what: str
) -> EncodedOutput:
    """Hashes a source that can be read again, then uploads it while checking it is unchanged."""
    with open_source() as source:
        digest = hashlib.sha256()
        size = 0
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    sha256 = digest.hexdigest()

    def check(again: str, again_size: int) -> None:
        if (again, again_size) != (sha256, size):
            raise ValueError(f"{what} changed while it was being stored")

    store.put_stream(
        data_key(key, sha256),
        lambda: io.BufferedReader(_HashingReader(open_source(), check), CHUNK),
        _CONTENT_TYPES[format],
    )
    return EncodedOutput(format, size, sha256)


def _chunks_of(source: StreamSource) -> Iterator[bytes]:
    read = getattr(source, "read", None)
    if callable(read):
        while chunk := read(CHUNK):
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(f"the output stream yielded {type(chunk).__name__}, not bytes")
            yield bytes(chunk)
        return
    for chunk in source:  # type: ignore[union-attr]
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"the output stream yielded {type(chunk).__name__}, not bytes")
        yield bytes(chunk)


def _write_spooled(store: ObjectStore, key: str, source: StreamSource, spool_dir: Path | None) -> EncodedOutput:
    handle, name = tempfile.mkstemp(dir=spool_dir, prefix=".memotune-spool-")
    spooled = Path(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as target:
            for chunk in _chunks_of(source):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        close = getattr(source, "close", None)
        if callable(close):
            close()
        # The spooled file is private to this write: nothing can change it between hash and upload.
        encoded = EncodedOutput("bytes", size, digest.hexdigest(), path=spooled)
        write_data(store, key, encoded)
        return EncodedOutput("bytes", size, encoded.sha256)
    finally:
        spooled.unlink(missing_ok=True)


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
        **({} if encoded.file_name is None else {"fileName": encoded.file_name}),
        "createdAt": iso_timestamp(created_at),
    }
    store.put(meta_key(key), jsjson.dumps(meta).encode("utf-8"), "application/json")
    return meta


class _HashingReader(io.RawIOBase):
    """Passes a stream through, hashing it; at its end ``on_end(sha256, size)`` may raise, so a
    reader that needs the whole stream (an upload, a verified download) never sees it complete."""

    def __init__(self, source: BinaryIO, on_end: Callable[[str, int], None]) -> None:
        self._source = source
        self._on_end = on_end
        self._digest = hashlib.sha256()
        self._size = 0
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._source.read(len(view))
        if chunk:
            view[: len(chunk)] = chunk
            self._digest.update(chunk)
            self._size += len(chunk)
            return len(chunk)
        if not self._checked:
            self._on_end(self._digest.hexdigest(), self._size)
            self._checked = True
        return 0

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            super().close()


class _ChunkReader(io.RawIOBase):
    """A binary stream of what an iterator of bytes yields."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if callable(close):
            close()
        super().close()


def _sorted_entries(root: Path) -> Iterator[tuple[Path, str]]:
    """Everything under ``root`` with its archive name, sorted, each directory before its contents;
    symbolic links are archived as links, never followed."""
    def walk(directory: Path, prefix: str) -> Iterator[tuple[Path, str]]:
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda entry: entry.name)
        for child in children:
            name = f"{prefix}{child.name}"
            yield Path(child.path), name
            if child.is_dir(follow_symlinks=False):
                yield from walk(Path(child.path), f"{name}/")

    return walk(root, "")


def _tar_chunks(root: Path) -> Iterator[bytes]:
    """A tar archive (pax format) of the directory ``root``, as src/storage/data-streams.ts writes
    it: first the directory itself (``.``, so that even an empty directory's archive has an entry,
    which node-tar requires), then regular files, directories and symbolic links in sorted order,
    paths relative to ``root``, no owner names or ids. Another kind of entry (a socket, a device) is
    refused."""
    # A TarFile only for gettarinfo(), which also notices hard links between the files.
    helper = tarfile.TarFile(fileobj=io.BytesIO(), mode="w", format=tarfile.PAX_FORMAT)
    for path, name in [(root, "."), *_sorted_entries(root)]:
        info = helper.gettarinfo(str(path), name)
        if info is None or not (info.isreg() or info.isdir() or info.issym() or info.islnk()):
            raise OSError(f"cannot store {path} in a directory output: not a file, directory or symbolic link")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
        if info.isreg():
            remaining = info.size
            with path.open("rb") as file:
                while remaining > 0:
                    chunk = file.read(min(CHUNK, remaining))
                    if not chunk:
                        raise ValueError(f"{path} shrank while it was being stored")
                    remaining -= len(chunk)
                    yield chunk
            padding = -info.size % tarfile.BLOCKSIZE
            if padding:
                yield tarfile.NUL * padding
    yield tarfile.NUL * (2 * tarfile.BLOCKSIZE)


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
    return io.BufferedReader(
        _HashingReader(_open_source(store, meta), lambda digest, _size: _check_digest(meta, digest)), CHUNK
    )


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


def extract_directory(store: ObjectStore, meta: Mapping[str, Any], dest: Path) -> None:
    """Extracts a committed ``directory`` output into ``dest`` (absent or an empty directory),
    which appears only once the archive matched its checksum. Entries that would land outside
    ``dest`` are refused.

    Raises:
        CacheReadError: the data is missing, corrupted or not a valid archive.
        ValueError: the output is not a directory.
        FileExistsError, NotADirectoryError: ``dest`` is in the way.
    """
    if meta["format"] != "directory":
        raise ValueError(
            f"stage output {meta['key']} is not a directory (format {meta['format']!r}): read it with to_file()"
        )
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise NotADirectoryError(f"cannot extract into {dest}: it is not a directory")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"cannot extract into {dest}: the directory is not empty")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.parent / f".{dest.name}.partial-{secrets.token_hex(6)}"
    partial.mkdir()
    try:
        with open_data(store, meta) as stream:
            try:
                with tarfile.open(fileobj=stream, mode="r|") as archive:
                    _extract_all(archive, partial)
            except tarfile.TarError as error:
                # Read on to the end first: a corrupted archive is reported as corrupted.
                _drain(stream)
                raise CacheReadError(f"stage output {meta['key']} is not a valid directory archive: {error}") from error
            _drain(stream)  # the checksum is checked at the end of the stream
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _drain(stream: BinaryIO) -> None:
    while stream.read(CHUNK):
        pass


def _extract_all(archive: tarfile.TarFile, dest: Path) -> None:
    if hasattr(tarfile, "data_filter"):
        archive.extractall(dest, filter="data")
        return
    # Pythons before 3.10.12 / 3.11.4 lack extraction filters: the same refusals, by hand.
    for member in archive:
        _refuse_unsafe(member)
        archive.extract(member, dest, set_attrs=not member.issym())


def _refuse_unsafe(member: tarfile.TarInfo) -> None:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise tarfile.TarError(f"{member.name!r} would be extracted outside the directory")
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        raise tarfile.TarError(f"{member.name!r} is not a file, directory or link")
    if member.issym() or member.islnk():
        target = PurePosixPath(member.linkname)
        resolved = (name.parent / target) if member.issym() else target
        if target.is_absolute() or _escapes(resolved):
            raise tarfile.TarError(f"{member.name!r} links outside the directory")


def _escapes(path: PurePosixPath) -> bool:
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return True
    return False
