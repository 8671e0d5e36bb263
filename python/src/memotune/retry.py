"""Object-store calls retried until they succeed or the attempt is cancelled, as in
src/storage/retry.ts.

A stage's Temporal attempts belong to the stage's own code: an S3 outage that made ``runStage``
fail would use them up, record the trial failed and send the study down another path. So the
activity wraps its store in :class:`RetryingStore`: a transient failure (botocore connection
errors, timeouts, a 5xx, throttling) is retried with capped exponential backoff for as long as it
takes, while the activity keeps heartbeating on its own; only the attempt's cancellation ends the
wait. Errors that retrying cannot heal (a 403, a missing bucket, a bug) propagate at once. "Not
found" is not an error at all: the store returns ``None`` for it.

The store is synchronous (boto3 is), so the waiting happens in the calling thread: the activity's
``asyncio.to_thread`` calls and the stage's own reads of earlier outputs. A wait ends early when the
attempt's ``cancelled`` event is set, and the call then raises :class:`RetryCancelled`.
"""

from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from botocore import exceptions as botocore_errors

from .store import BodySource, ObjectStore

T = TypeVar("T")

RETRY_INITIAL_SECONDS = 0.5
"""First wait after a failed call."""

RETRY_MAX_SECONDS = 10.0
"""Longest wait between two calls (0.5, 1, 2, 4, 8, 10, 10, ... s). Why 10 s: once the outage ends
the stage resumes within 10 s, small next to any outage worth retrying, while a server that stays
down for hours gets one request per waiting attempt every 10 s. The activity heartbeats on its own
timer, so the cap need not fit the heartbeat timeout."""


@dataclass(frozen=True)
class RetryPolicy:
    initial_seconds: float = RETRY_INITIAL_SECONDS
    max_seconds: float = RETRY_MAX_SECONDS

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th consecutive failure (1-based)."""
        return min(self.max_seconds, self.initial_seconds * 2 ** min(max(0, failures - 1), 40))


class RetryCancelled(Exception):
    """The attempt was cancelled while a store call was waiting out an outage."""


_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "InternalError",
    }
)


def is_transient_error(error: BaseException) -> bool:
    """Whether a store error is an outage that retrying can outlast: no answer from the server
    (botocore connection errors and timeouts, a connection broken mid-body), an HTTP 5xx, 408 or
    429, or a throttling error code. Any other answer of the server is permanent."""
    if isinstance(error, botocore_errors.ClientError):
        response: dict[str, Any] = getattr(error, "response", {}) or {}
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _TRANSIENT_CODES:
            return True
        if is_store_full(error):  # a 507: waiting does not free space, someone must
            return False
        return isinstance(status, int) and (status >= 500 or status in (408, 429))
    if isinstance(
        error,
        (
            botocore_errors.ConnectionError,
            botocore_errors.HTTPClientError,
            botocore_errors.IncompleteReadError,
            ConnectionError,
            TimeoutError,
            http.client.IncompleteRead,
        ),
    ):
        return True
    # urllib3's errors (a body read that broke) without importing urllib3 directly.
    if type(error).__module__.startswith("urllib3") and type(error).__name__ in (
        "ProtocolError",
        "ReadTimeoutError",
        "IncompleteRead",
    ):
        return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient_error(cause)


_REFUSAL_CODES = frozenset(
    {
        "AccessDenied",
        "AllAccessDisabled",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "NoSuchBucket",
        "InvalidBucketName",
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
    }
)


# S3-compatible servers' names for a store out of space or over its quota (as retry.ts's fullNames).
_FULL_CODES = frozenset(
    {"QuotaExceeded", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "InsufficientStorage", "StorageFull"}
)


def is_store_full(error: BaseException) -> bool:
    """Whether a store error says the store is full or over its quota (HTTP 507, Ceph's 403
    ``QuotaExceeded``, MinIO's ``XMinioStorageFull``), as ``isStoreFull`` in src/storage/retry.ts:
    the trial ends as ``StoreRefused``, advising to free space, not to fix credentials."""
    at: BaseException | None = error
    for _ in range(8):
        if at is None:
            return False
        if isinstance(at, botocore_errors.ClientError):
            response: dict[str, Any] = getattr(at, "response", {}) or {}
            if response.get("Error", {}).get("Code") in _FULL_CODES:
                return True
            if response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 507:
                return True
        at = at.__cause__ if at.__cause__ is not at else None
    return False


def is_store_refusal(error: BaseException) -> bool:
    """Whether a store error says the worker's S3 settings or credentials are wrong (a rejected
    signature or key, access denied, a missing bucket, no credentials at all), as
    ``isStoreRefusal`` in src/storage/retry.ts decides it: the trial ends as ``StoreRefused``. A
    full store (:func:`is_store_full`) is one too."""
    if is_store_full(error):
        return True
    at: BaseException | None = error
    for _ in range(8):
        if at is None:
            return False
        if isinstance(
            at,
            (botocore_errors.NoCredentialsError, botocore_errors.PartialCredentialsError, botocore_errors.NoRegionError),
        ):
            return True
        if isinstance(at, botocore_errors.ClientError):
            response: dict[str, Any] = getattr(at, "response", {}) or {}
            code = response.get("Error", {}).get("Code")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _REFUSAL_CODES or status in (401, 403):
                return True
        at = at.__cause__ if at.__cause__ is not at else None
    return False


class OutageClock:
    """The time store calls spent waiting out outages, so that the stage's cost does not include
    them (docs/stage-contract.md, cost rule). Calls from several threads may wait at once: what
    counts is the union of their waits."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self._spans: list[list[float | None]] = []
        self._lock = threading.Lock()

    def begin(self, start: float) -> Callable[[], None]:
        """Marks an outage that began at ``start``; call the returned function when it is over."""
        span: list[float | None] = [start, None]
        with self._lock:
            self._spans.append(span)

        def end(at: float | None = None) -> None:
            with self._lock:
                if span[1] is None:
                    span[1] = max(start, self.now() if at is None else at)

        return end

    @property
    def waiting(self) -> bool:
        """Whether a call is waiting out an outage now."""
        with self._lock:
            return any(span[1] is None for span in self._spans)

    def seconds_between(self, start: float, end: float | None = None) -> float:
        """Seconds between ``start`` and ``end`` (now) during which a call was waiting out an outage."""
        until = self.now() if end is None else end
        with self._lock:
            spans = [(s, until if e is None else e) for s, e in self._spans]
        clipped = sorted((max(s, start), min(e, until)) for s, e in spans if s is not None)
        total = 0.0
        reach = float("-inf")
        for lo, hi in clipped:
            if hi <= lo or hi <= reach:
                continue
            total += hi - max(lo, reach)
            reach = hi
        return total


def retry_until_cancelled(
    action: Callable[[], T],
    *,
    cancelled: threading.Event | None = None,
    policy: RetryPolicy = RetryPolicy(),
    outages: OutageClock | None = None,
    on_wait: Callable[[BaseException, int, float], None] | None = None,
    is_transient: Callable[[BaseException], bool] = is_transient_error,
) -> T:
    """Calls ``action`` until it succeeds, waiting with capped exponential backoff after each
    transient failure; never gives up on its own.

    Raises:
        RetryCancelled: ``cancelled`` was set before a call or during a wait.
        Exception: the first non-transient error, unchanged.
    """
    failures = 0
    end_outage: Callable[..., None] | None = None
    try:
        while True:
            if cancelled is not None and cancelled.is_set():
                raise RetryCancelled("the attempt was cancelled")
            attempt_start = outages.now() if outages is not None else 0.0
            try:
                value = action()
            except Exception as error:
                if not is_transient(error):
                    raise
                failures += 1
                if end_outage is None and outages is not None:
                    end_outage = outages.begin(attempt_start)
                delay = policy.delay(failures)
                if on_wait is not None:
                    on_wait(error, failures, delay)
                if cancelled is not None:
                    if cancelled.wait(delay):
                        raise RetryCancelled("the attempt was cancelled") from error
                else:
                    threading.Event().wait(delay)
                continue
            if end_outage is not None:
                end_outage(attempt_start)
            return value
    finally:
        if end_outage is not None:
            end_outage()


class _ResumingReader(io.RawIOBase):
    """A body stream that, when it breaks on a transient error, is reopened after the backoff and
    continues where it stopped (the bytes already delivered are skipped)."""

    def __init__(self, first: BinaryIO, reopen: Callable[[], BinaryIO], retry: RetryingStore) -> None:
        self._source = first
        self._reopen = reopen
        self._retry = retry
        self._delivered = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        failures = 0
        while True:
            try:
                chunk = self._source.read(len(view))
            except Exception as error:
                if not self._retry.is_transient(error):
                    raise
                failures += 1
                self._wait_and_reopen(error, failures)
                continue
            if chunk:
                view[: len(chunk)] = chunk
                self._delivered += len(chunk)
            return len(chunk)

    def _wait_and_reopen(self, error: BaseException, failures: int) -> None:
        try:
            self._source.close()
        except Exception:
            pass
        outages = self._retry.outages
        end_outage = outages.begin(outages.now()) if outages is not None else None
        try:
            self._retry.wait(error, failures)
            source = self._reopen()
            skip = self._delivered
            while skip > 0:
                skipped = source.read(min(skip, 1024 * 1024))
                if not skipped:
                    raise EOFError("the object is shorter on a second read")
                skip -= len(skipped)
            self._source = source
        finally:
            if end_outage is not None:
                end_outage()

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            super().close()


class RetryingStore:
    """An :class:`~memotune.store.ObjectStore` whose calls are retried by
    :func:`retry_until_cancelled` with one attempt's cancellation event and outage clock."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        cancelled: threading.Event | None = None,
        policy: RetryPolicy = RetryPolicy(),
        outages: OutageClock | None = None,
        on_wait: Callable[[BaseException, int, float], None] | None = None,
        is_transient: Callable[[BaseException], bool] = is_transient_error,
    ) -> None:
        self._store = store
        self.cancelled = cancelled
        self.policy = policy
        self.outages = outages
        self.on_wait = on_wait
        self.is_transient = is_transient

    def _retry(self, action: Callable[[], T]) -> T:
        return retry_until_cancelled(
            action,
            cancelled=self.cancelled,
            policy=self.policy,
            outages=self.outages,
            on_wait=self.on_wait,
            is_transient=self.is_transient,
        )

    def wait(self, error: BaseException, failures: int) -> None:
        """One backoff wait; raises RetryCancelled when the attempt is cancelled meanwhile."""
        delay = self.policy.delay(failures)
        if self.on_wait is not None:
            self.on_wait(error, failures, delay)
        if self.cancelled is not None:
            if self.cancelled.wait(delay):
                raise RetryCancelled("the attempt was cancelled") from error
        else:
            threading.Event().wait(delay)

    def get(self, key: str) -> bytes | None:
        # The store reads the whole body inside the call, so a body that breaks is read again.
        return self._retry(lambda: self._store.get(key))

    def open(self, key: str) -> BinaryIO | None:
        first = self._retry(lambda: self._store.open(key))
        if first is None:
            return None

        def reopen() -> BinaryIO:
            source = self._retry(lambda: self._store.open(key))
            if source is None:
                raise FileNotFoundError(f"object {key} disappeared while it was being read")
            return source

        return io.BufferedReader(_ResumingReader(first, reopen, self), 1024 * 1024)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        self._retry(lambda: self._store.put(key, body, content_type))

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self._retry(lambda: self._store.put_file(key, path, content_type))

    def put_stream(self, key: str, open_body: BodySource, content_type: str) -> None:
        # Each try opens the body again from its start (a consumed stream cannot be replayed).
        self._retry(lambda: self._store.put_stream(key, open_body, content_type))
