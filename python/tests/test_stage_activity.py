"""The poller rule of ``study_progress``'s ``waitingOn``: the TypeScript client's (worker-wait.ts)."""

from __future__ import annotations

from memotune.stage_activity import LIVE_POLL_AGE_MS, classify_pollers


def test_a_poller_seen_within_the_long_poll_and_its_margin_is_live() -> None:
    now = 1_000_000
    assert classify_pollers([now - 1_000, now - LIVE_POLL_AGE_MS - 1], now) == {
        "live": 1,
        "listed": 2,
        "lastPollAgeMs": 1_000,
    }


def test_a_poller_without_a_time_counts_as_live_and_none_listed_has_no_age() -> None:
    assert classify_pollers([None], 5) == {"live": 1, "listed": 1, "lastPollAgeMs": None}
    assert classify_pollers([], 5) == {"live": 0, "listed": 0, "lastPollAgeMs": None}
