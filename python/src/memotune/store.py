"""The object-store port: the few operations the stage cache needs from S3.

Synchronous on purpose: boto3 is synchronous, and stage code (which runs in a worker thread)
reads earlier outputs through it directly. The activity calls it through ``asyncio.to_thread``
so the worker's event loop never blocks. Tests pass :class:`MemoryObjectStore`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

BodySource = Callable[[], BinaryIO]
"""Opens the body of a streamed write from its start (called again for each retry)."""


class ObjectStore(Protocol):
    """Keys are relative to the store's own prefix (the S3 store adds MEMOTUNE_S3_PREFIX)."""

    def get(self, key: str) -> bytes | None:
        """The whole object, or ``None`` when it does not exist."""
        ...

    def open(self, key: str) -> BinaryIO | None:
        """A stream of the object that is read as it is consumed; ``None`` when it does not exist."""
        ...

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Writes (replaces) an object."""
        ...

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Writes (replaces) an object from a local file, streamed rather than read into memory."""
        ...

    def put_stream(self, key: str, open_body: BodySource, content_type: str) -> None:
        """Writes (replaces) an object from a stream of any size, a bounded part of it in memory at
        a time (S3: a multipart upload). The object appears only if the body is read to its end
        without an error; ``open_body`` is called once per try, and the stream it returns closed."""
        ...


class MemoryObjectStore:
    """Unit-test store: a dict of immutable bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def open(self, key: str) -> BinaryIO | None:
        body = self.objects.get(key)
        return None if body is None else io.BytesIO(body)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = bytes(body)
        self.content_types[key] = content_type

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.put(key, path.read_bytes(), content_type)

    def put_stream(self, key: str, open_body: BodySource, content_type: str) -> None:
        with open_body() as body:
            data = body.read()
        self.put(key, data, content_type)
