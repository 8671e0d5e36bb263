"""The cache layout and encodings shared with src/storage/stage-cache.ts."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from memotune import CacheReadError, MemoryObjectStore, cache
from conftest import KEY_A, commit_output


def test_json_output_bytes_and_checksum_match_javascript() -> None:
    encoded = cache.encode_output({"a": 1, "b": [1, 2.5, "x"]})
    assert (encoded.format, encoded.body, encoded.size) == ("json", b'{"a":1,"b":[1,2.5,"x"]}', 23)
    # node: createHash('sha256').update(JSON.stringify({a:1,b:[1,2.5,'x']})).digest('hex')
    assert encoded.sha256 == "33b6b831cabb9adde3901cece8bd7aa5df8322011bf9039f25119daa5a0254f9"


def test_meta_json_is_byte_identical_to_javascript() -> None:
    store = MemoryObjectStore()
    encoded = cache.encode_output({"a": 1, "b": [1, 2.5, "x"]})
    fields = {"pipelineId": "pipe", "stage": "prep", "version": "1", "cost": 2.0, "metrics": {"acc": 0.5, "n": 3}}
    cache.commit(store, "k", encoded, fields, datetime(2025, 1, 2, 3, 4, 5, 678999, tzinfo=timezone.utc))
    # node: JSON.stringify({pipelineId:'pipe',stage:'prep',version:'1',cost:2,metrics:{acc:0.5,n:3},key:'k',
    #   format:'json',bytes:23,sha256:..., createdAt:new Date(Date.UTC(2025,0,2,3,4,5,678)).toISOString()})
    expected = (
        '{"pipelineId":"pipe","stage":"prep","version":"1","cost":2,"metrics":{"acc":0.5,"n":3},"key":"k",'
        '"format":"json","bytes":23,"sha256":"33b6b831cabb9adde3901cece8bd7aa5df8322011bf9039f25119daa5a0254f9",'
        '"createdAt":"2025-01-02T03:04:05.678Z"}'
    ).encode()
    assert store.objects["outputs/k/meta.json"] == expected
    assert store.content_types["outputs/k/meta.json"] == "application/json"


def test_iso_timestamp_is_utc_with_milliseconds() -> None:
    moment = datetime(2025, 6, 1, 12, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2)))
    assert cache.iso_timestamp(moment) == "2025-06-01T10:00:00.005Z"


def test_bytes_and_file_outputs_are_stored_as_bytes(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    raw = cache.encode_output(bytearray(b"\x00\x01"))
    assert (raw.format, raw.body, raw.sha256) == ("bytes", b"\x00\x01", hashlib.sha256(b"\x00\x01").hexdigest())
    file = tmp_path / "model.bin"
    file.write_bytes(b"w" * (cache.CHUNK + 7))
    source = cache.encode_output(file)
    assert source == cache.OutputSource("file", path=file)
    stored = cache.write_data(store, "k", source)
    sha256 = hashlib.sha256(file.read_bytes()).hexdigest()
    assert stored == cache.EncodedOutput("bytes", cache.CHUNK + 7, sha256, file_name="model.bin")
    key = f"outputs/k/data-{sha256}"
    assert store.objects[key] == file.read_bytes()
    assert store.content_types[key] == "application/octet-stream"


def test_missing_file_output_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        cache.encode_output(tmp_path / "nothing")


def test_unparseable_or_incomplete_meta_reads_as_absent() -> None:
    store = MemoryObjectStore()
    assert cache.read_meta(store, "k") is None
    store.put("outputs/k/meta.json", b"{not json", "application/json")
    assert cache.read_meta(store, "k") is None
    store.put("outputs/k/meta.json", json.dumps({"key": "k"}).encode(), "application/json")
    assert cache.read_meta(store, "k") is None


def test_stream_is_verified_at_the_end(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    meta = commit_output(store, KEY_A, "prep", b"payload")
    with cache.open_data(store, meta) as stream:
        assert stream.read() == b"payload"
    store.objects[cache.data_key(KEY_A, meta["sha256"])] = b"tampered"
    with cache.open_data(store, meta) as stream:
        assert stream.read(3) == b"tam"
        with pytest.raises(CacheReadError, match="corrupted"):
            stream.read()


def test_download_is_verified_and_leaves_nothing_on_mismatch(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    meta = commit_output(store, KEY_A, "prep", b"payload")
    cache.download_data(store, meta, tmp_path / "in" / "a.bin")
    assert (tmp_path / "in" / "a.bin").read_bytes() == b"payload"
    store.objects[cache.data_key(KEY_A, meta["sha256"])] = b"tampered"
    with pytest.raises(CacheReadError, match="corrupted"):
        cache.download_data(store, meta, tmp_path / "in" / "b.bin")
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["a.bin"]
    del store.objects[cache.data_key(KEY_A, meta["sha256"])]
    with pytest.raises(CacheReadError, match="has metadata but no data"):
        cache.open_data(store, meta)


def test_memory_store_streams_are_independent() -> None:
    store = MemoryObjectStore()
    store.put("x", b"abc", "application/octet-stream")
    stream = store.open("x")
    assert isinstance(stream, io.BytesIO) and stream.read() == b"abc"
    assert store.open("missing") is None
