"""One connection per settings: polling a study does not open a connection per call."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from memotune import connection


@pytest.fixture
def connects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []

    async def fake_connect(**config: Any) -> object:
        made.append(config)
        return object()

    monkeypatch.setattr(connection.Client, "connect", fake_connect)
    monkeypatch.setattr(connection, "_connections", {})
    monkeypatch.setenv("MEMOTUNE_STATE_DIR", str(tmp_path))
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-such-config.toml"))
    return made


def test_calls_with_the_same_settings_share_one_connection_across_event_loops(connects: list[dict[str, Any]]) -> None:
    first = asyncio.run(connection.connect())
    second = asyncio.run(connection.connect())
    assert first is second
    assert [config["target_host"] for config in connects] == ["127.0.0.1:7233"]


def test_other_settings_get_their_own_connection(connects: list[dict[str, Any]]) -> None:
    default = asyncio.run(connection.connect())
    other = asyncio.run(connection.connect(address="10.0.0.1:7233", namespace="ml"))
    assert default is not other
    assert [(config["target_host"], config["namespace"]) for config in connects] == [
        ("127.0.0.1:7233", "default"),
        ("10.0.0.1:7233", "ml"),
    ]


def test_a_given_client_is_used_as_it_is(connects: list[dict[str, Any]]) -> None:
    mine: Any = object()
    assert asyncio.run(connection.connect(mine)) is mine
    assert connects == []
