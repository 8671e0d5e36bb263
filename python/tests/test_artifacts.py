"""Outputs streamed from files, directories and streams, and read back without buffering."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from memotune import (
    CacheReadError,
    MemoryObjectStore,
    StageContext,
    StageResult,
    cache,
    output_directory,
    output_file,
    output_stream,
)
from memotune.context import StageOutput
from memotune.retry import RetryingStore, RetryPolicy
from conftest import KEY_A, KEY_B, Harness, Outage, RecordingStore, request


def make_tree(root: Path) -> Path:
    """A small checkpoint folder: nested files, an empty folder, a link, a non-ASCII name."""
    (root / "weights").mkdir(parents=True)
    (root / "weights" / "layer0.bin").write_bytes(bytes(range(256)) * 100)
    (root / "weights" / "layer1.bin").write_bytes(b"")
    (root / "empty").mkdir()
    (root / "config.json").write_text('{"lr": 0.1}')
    (root / "notes-é.txt").write_text("ünïcode")
    (root / "latest").symlink_to("weights/layer0.bin")
    return root


def tree(root: Path) -> dict[str, Any]:
    """Everything under ``root``: file contents, link targets, empty folders."""
    found: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = ("link", os.readlink(path))
        elif path.is_dir():
            found[name] = "dir"
        else:
            found[name] = path.read_bytes()
    return found


def committed(store: MemoryObjectStore, key: str, output: Any, spool_dir: Path | None = None) -> dict[str, Any]:
    stored = cache.write_data(store, key, cache.encode_output(output), spool_dir)
    fields = {"pipelineId": "p", "stage": "s", "version": "1", "cost": 1, "metrics": {}}
    return cache.commit(store, key, stored, fields, datetime(2026, 1, 1, tzinfo=timezone.utc))


# ---- directories --------------------------------------------------------------------------------


def test_a_directory_round_trips_through_a_tar_archive(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    source = make_tree(tmp_path / "ckpt")
    meta = committed(store, KEY_A, output_directory(source))
    data = store.objects[cache.data_key(KEY_A, meta["sha256"])]
    assert (meta["format"], meta["bytes"], meta["sha256"]) == ("directory", len(data), hashlib.sha256(data).hexdigest())
    assert store.content_types[cache.data_key(KEY_A, meta["sha256"])] == "application/x-tar"

    cache.extract_directory(store, meta, tmp_path / "out" / "restored")
    assert tree(tmp_path / "out" / "restored") == tree(source)
    # Nothing left beside it: the extraction went through a temporary sibling.
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["restored"]


def test_the_archive_is_plain_tar_in_sorted_order_without_owners(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    meta = committed(store, KEY_A, make_tree(tmp_path / "ckpt"))  # a plain Path to a directory
    with tarfile.open(fileobj=io.BytesIO(store.objects[cache.data_key(KEY_A, meta["sha256"])])) as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == [
        ".",
        "config.json", "empty", "latest", "notes-é.txt", "weights", "weights/layer0.bin", "weights/layer1.bin"
    ]
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert next(m for m in members if m.name == "latest").linkname == "weights/layer0.bin"
    # The same directory archives to the same bytes: the same checksum, the same data object.
    assert committed(MemoryObjectStore(), KEY_A, tmp_path / "ckpt")["sha256"] == meta["sha256"]


def test_an_empty_directory_round_trips(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    (tmp_path / "nothing").mkdir()
    meta = committed(store, KEY_A, output_directory(tmp_path / "nothing"))
    (tmp_path / "into").mkdir()  # an existing empty directory is fine
    cache.extract_directory(store, meta, tmp_path / "into")
    assert list((tmp_path / "into").iterdir()) == []


def test_a_corrupted_archive_is_a_cache_miss_and_leaves_nothing(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    meta = committed(store, KEY_A, output_directory(make_tree(tmp_path / "ckpt")))
    key = cache.data_key(KEY_A, meta["sha256"])
    good = store.objects[key]
    (tmp_path / "out").mkdir()
    # Same length, one byte of a file changed: only the checksum can tell.
    store.objects[key] = good[:2000] + bytes([good[2000] ^ 1]) + good[2001:]
    with pytest.raises(CacheReadError, match="corrupted"):
        cache.extract_directory(store, meta, tmp_path / "out" / "a")
    # Not an archive at all: still reported as the corruption it is.
    store.objects[key] = b"\x01" * len(good)
    with pytest.raises(CacheReadError, match="corrupted"):
        cache.extract_directory(store, meta, tmp_path / "out" / "b")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_directory_holding_a_socket_is_refused_not_silently_shortened(tmp_path: Path) -> None:
    import socket

    (tmp_path / "d").mkdir()
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "d" / "control.sock"))
        with pytest.raises(OSError, match="control.sock in a directory output: not a file"):
            cache.write_data(MemoryObjectStore(), KEY_A, cache.encode_output(output_directory(tmp_path / "d")))


def test_entries_that_would_escape_the_directory_are_refused(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    body = buffer.getvalue()
    sha256 = hashlib.sha256(body).hexdigest()
    store.put(cache.data_key(KEY_A, sha256), body, "application/x-tar")
    meta = {"key": KEY_A, "format": "directory", "bytes": len(body), "sha256": sha256}
    with pytest.raises(CacheReadError, match="not a valid directory archive"):
        cache.extract_directory(store, meta, tmp_path / "out" / "x")
    assert not (tmp_path / "out" / "escaped.txt").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_extraction_refuses_a_non_empty_destination_and_a_non_directory_output(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    meta = committed(store, KEY_A, output_directory(make_tree(tmp_path / "ckpt")))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        cache.extract_directory(store, meta, tmp_path / "full")
    file_meta = committed(store, KEY_B, b"bytes")
    with pytest.raises(ValueError, match="not a directory"):
        cache.extract_directory(store, file_meta, tmp_path / "y")


# ---- files and streams --------------------------------------------------------------------------


def test_a_file_that_changes_between_hash_and_upload_is_not_stored(tmp_path: Path) -> None:
    store = RecordingStore()
    model = tmp_path / "model.bin"
    model.write_bytes(b"a" * 5000)
    store.before_put = lambda key: model.write_bytes(b"b" * 5000)
    with pytest.raises(ValueError, match="changed while it was being stored"):
        cache.write_data(store, KEY_A, cache.encode_output(output_file(model)))
    assert store.objects == {}


@pytest.mark.parametrize(
    "make_output",
    [
        lambda body: io.BytesIO(body),
        lambda body: output_stream(iter([body[:1000], body[1000:]])),
        lambda body: output_stream(io.BufferedReader(io.BytesIO(body))),
    ],
    ids=["a file object", "output_stream of chunks", "output_stream of a file object"],
)
def test_a_one_shot_stream_is_spooled_then_uploaded_and_the_spool_removed(tmp_path: Path, make_output: Any) -> None:
    store = RecordingStore()
    body = os.urandom(cache.CHUNK * 2 + 123)
    meta = committed(store, KEY_A, make_output(body), tmp_path)
    assert (meta["format"], meta["bytes"], meta["sha256"]) == ("bytes", len(body), hashlib.sha256(body).hexdigest())
    assert store.objects[cache.data_key(KEY_A, meta["sha256"])] == body
    assert len(store.file_uploads) == 1 and not store.file_uploads[0].exists()
    assert list(tmp_path.iterdir()) == []


def test_a_stream_of_text_is_refused() -> None:
    with pytest.raises(TypeError, match="yielded str, not bytes"):
        cache.write_data(MemoryObjectStore(), KEY_A, cache.encode_output(output_stream(iter(["text"]))))
    with pytest.raises(TypeError, match="return bytes as the output itself"):
        output_stream(b"bytes")


def test_paths_that_are_not_what_they_claim_are_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    with pytest.raises(IsADirectoryError, match="use output_directory"):
        cache.encode_output(output_file(tmp_path / "d"))
    with pytest.raises(NotADirectoryError, match="no such directory"):
        cache.encode_output(output_directory(tmp_path / "f"))
    with pytest.raises(FileNotFoundError, match="neither a file nor a directory"):
        cache.encode_output(tmp_path / "missing")


# ---- retries ------------------------------------------------------------------------------------


def test_an_upload_broken_by_an_outage_starts_again_from_the_start(tmp_path: Path) -> None:
    inner = RecordingStore()
    outage = Outage(2)
    inner.before_put = outage
    store = RetryingStore(inner, policy=RetryPolicy(0.001, 0.002))
    source = make_tree(tmp_path / "ckpt")
    meta = committed(store, KEY_A, output_directory(source))  # type: ignore[arg-type]
    assert outage.failures == 2
    cache.extract_directory(inner, meta, tmp_path / "restored")
    assert tree(tmp_path / "restored") == tree(source)


def test_a_spooled_stream_survives_an_outage_during_its_upload(tmp_path: Path) -> None:
    inner = RecordingStore()
    outage = Outage(3)
    inner.before_put = outage
    store = RetryingStore(inner, policy=RetryPolicy(0.001, 0.002))
    body = os.urandom(50_000)
    meta = committed(store, KEY_A, output_stream(iter([body])), tmp_path)  # type: ignore[arg-type]
    assert outage.failures == 3
    assert inner.objects[cache.data_key(KEY_A, meta["sha256"])] == body


# ---- reading ------------------------------------------------------------------------------------


def test_stage_output_reads_files_and_directories_without_buffering(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    source = make_tree(tmp_path / "ckpt")
    directory = StageOutput(store, committed(store, KEY_A, output_directory(source)), tmp_path / "inputs")
    assert directory.format == "directory"
    assert tree(directory.path()) == tree(source)
    assert directory.path() == directory.path()  # extracted once
    assert tree(directory.to_directory(tmp_path / "mine")) == tree(source)
    archive = directory.to_file(tmp_path / "ckpt.tar")
    with tarfile.open(archive) as opened:
        assert "weights/layer0.bin" in opened.getnames()

    body = os.urandom(3 * cache.CHUNK + 5)
    file = StageOutput(store, committed(store, KEY_B, body), tmp_path / "inputs")
    assert file.to_file(tmp_path / "deep" / "copy.bin").read_bytes() == body
    with file.open() as stream:
        assert stream.read() == body
    with pytest.raises(ValueError, match="not a directory"):
        file.to_directory(tmp_path / "nope")


def test_a_file_output_keeps_its_name_so_a_later_stage_sees_its_extension(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    (tmp_path / "data.csv.gz").write_bytes(b"gzipped csv")
    meta = committed(store, KEY_A, output_file(tmp_path / "data.csv.gz"))
    assert meta["fileName"] == "data.csv.gz"
    local = StageOutput(store, meta, tmp_path / "inputs").path()
    assert local.name == "data.csv.gz"
    assert local.read_bytes() == b"gzipped csv"
    # Bytes and JSON values have no name; a meta object's name is not trusted with a path.
    assert "fileName" not in committed(store, KEY_B, b"raw")
    for hostile in ["../escape.csv", "a/b.csv", "", "..", "x\x00y", 7]:
        forged = {**meta, "fileName": hostile}
        path = StageOutput(store, forged, tmp_path / f"forged-{abs(hash(str(hostile)))}").path()
        assert path.name == f"{KEY_A}.bin"


def test_a_stage_returns_a_directory_and_the_next_stage_reads_it(harness: Harness, tmp_path: Path) -> None:
    source = make_tree(tmp_path / "ckpt")
    seen: dict[str, Any] = {}

    def prep(ctx: StageContext) -> StageResult:
        out = ctx.workdir / "checkpoint"
        make_tree(out)
        return StageResult(output_directory(out))

    def train(ctx: StageContext) -> StageResult:
        assert ctx.parent is not None
        seen["tree"] = tree(ctx.parent.path())
        seen["format"] = ctx.parent.format
        return StageResult(b"done")

    activity = harness.activity({"prep": prep, "train": train})
    first = harness.run(
        activity, request(stageIndex=0, stageName="prep", implementation="prep", key=KEY_A, parentKey=None, ancestors=[])
    )
    assert first["bytes"] > 0
    harness.run(activity, request())
    assert seen == {"tree": tree(source), "format": "directory"}
