"""Retrying object-store calls through an outage (mirrors test/unit/storage/retry.test.ts)."""

from __future__ import annotations

import io
import threading
from typing import Any, BinaryIO

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from memotune.retry import (
    RETRY_MAX_SECONDS,
    OutageClock,
    RetryCancelled,
    RetryingStore,
    RetryPolicy,
    is_store_full,
    is_store_refusal,
    is_transient_error,
    retry_until_cancelled,
)
from memotune.store import MemoryObjectStore

TINY = RetryPolicy(0.001, 0.004)


def client_error(status: int, code: str) -> ClientError:
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


def test_backoff_doubles_from_half_a_second_to_the_ten_second_cap() -> None:
    assert [RetryPolicy().delay(n) for n in (1, 2, 3, 4, 5, 6, 7, 100)] == [0.5, 1, 2, 4, 8, 10, 10, 10]
    assert RETRY_MAX_SECONDS == 10


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:7070"), True),
        (ConnectionClosedError(endpoint_url="http://127.0.0.1:7070"), True),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:7070"), True),
        (ResponseStreamingError(error="connection reset"), True),
        (client_error(500, "InternalError"), True),
        (client_error(503, "SlowDown"), True),
        (client_error(429, "TooManyRequests"), True),
        (client_error(400, "RequestTimeout"), True),
        (ConnectionResetError("reset"), True),
        (TimeoutError("timed out"), True),
        (client_error(403, "AccessDenied"), False),
        (client_error(404, "NoSuchBucket"), False),
        (client_error(507, "XMinioStorageFull"), False),
        (ValueError("bug"), False),
    ],
)
def test_transient_errors_are_outages_and_the_rest_are_not(error: Exception, transient: bool) -> None:
    assert is_transient_error(error) is transient


def test_calls_are_retried_until_they_succeed() -> None:
    calls = {"n": 0}
    waits: list[float] = []

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] < 6:
            raise EndpointConnectionError(endpoint_url="http://s3")
        return "ok"

    assert retry_until_cancelled(flaky, policy=TINY, on_wait=lambda error, n, delay: waits.append(delay)) == "ok"
    assert calls["n"] == 6 and waits == [0.001, 0.002, 0.004, 0.004, 0.004]


def test_an_error_retrying_cannot_heal_is_raised_at_once() -> None:
    calls = {"n": 0}

    def denied() -> None:
        calls["n"] += 1
        raise client_error(403, "AccessDenied")

    with pytest.raises(ClientError):
        retry_until_cancelled(denied, policy=TINY)
    assert calls["n"] == 1


def test_cancellation_ends_the_wait() -> None:
    cancelled = threading.Event()

    def down() -> None:
        raise ConnectionError("down")

    threading.Timer(0.05, cancelled.set).start()
    with pytest.raises(RetryCancelled):
        retry_until_cancelled(down, cancelled=cancelled, policy=RetryPolicy(60, 60))


def test_the_outage_lasts_from_the_first_failed_call_to_the_one_that_succeeded() -> None:
    now = {"t": 0.0}
    outages = OutageClock(lambda: now["t"])
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        now["t"] += 1.0
        if calls["n"] < 3:
            raise ConnectionError("down")

    retry_until_cancelled(flaky, policy=TINY, outages=outages)
    assert now["t"] == 3.0 and outages.seconds_between(0.0) == 2.0


def test_overlapping_outages_count_once() -> None:
    now = {"t": 100.0}
    outages = OutageClock(lambda: now["t"])
    outages.begin(10.0)(30.0)
    outages.begin(20.0)(50.0)
    still_open = outages.begin(80.0)
    assert outages.seconds_between(0.0) == 40 + 20
    assert outages.seconds_between(25.0, 90.0) == 25 + 10
    now["t"] = 120.0
    still_open()
    assert outages.seconds_between(0.0, 1000.0) == 80


class _BreakingStream(io.RawIOBase):
    """Delivers ``limit`` bytes, then fails like a connection reset mid-body."""

    def __init__(self, body: bytes, limit: int) -> None:
        self._body = io.BytesIO(body)
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            raise ResponseStreamingError(error="connection reset")
        chunk = self._body.read(min(len(buffer), self._left))
        self._left -= len(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _FlakyStreams(MemoryObjectStore):
    def __init__(self, breaks: list[int], failed_opens: int) -> None:
        super().__init__()
        self.breaks = breaks
        self.failed_opens = failed_opens
        self.opens = 0

    def open(self, key: str) -> BinaryIO | None:
        self.opens += 1
        if self.failed_opens > 0:
            self.failed_opens -= 1
            raise EndpointConnectionError(endpoint_url="http://s3")
        body = self.objects.get(key)
        if body is None:
            return None
        if self.breaks:
            return io.BufferedReader(_BreakingStream(body, self.breaks.pop(0)), 7)  # type: ignore[return-value]
        return io.BytesIO(body)


def test_a_stream_that_breaks_resumes_where_it_stopped() -> None:
    inner = _FlakyStreams([10, 40], failed_opens=2)
    body = bytes(range(100))
    inner.put("data", body, "application/octet-stream")
    store = RetryingStore(inner, policy=TINY)
    stream = store.open("data")
    assert stream is not None
    assert stream.read() == body
    assert inner.opens == 5  # 2 refused, the first stream, 2 reopened after breaks
    assert store.open("missing") is None
    assert store.get("missing") is None


def test_a_full_store_is_a_refusal_with_its_own_advice_as_the_typescript_side_decides() -> None:
    for full in (client_error(403, "QuotaExceeded"), client_error(507, "XMinioStorageFull"), client_error(507, "X")):
        assert is_store_full(full) and is_store_refusal(full) and not is_transient_error(full)
    assert not is_store_full(client_error(403, "AccessDenied"))
    assert not is_store_full(client_error(503, "SlowDown"))
