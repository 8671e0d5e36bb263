"""With nothing configured, a Python worker finds the local stack of ``memotune dev`` the way the
TypeScript side does: from the stack.json in its state folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memotune import S3Settings
from memotune.local_stack import state_dir as find_state_dir
from memotune.connection import connect_config

STACK = {
    "temporalAddress": "127.0.0.1:27233",
    "namespace": "default",
    "s3": {"endpoint": "http://127.0.0.1:27070", "bucket": "memotune", "accessKeyId": "k", "secretAccessKey": "s"},
}


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "stack.json").write_text(json.dumps(STACK), encoding="utf-8")
    monkeypatch.setenv("MEMOTUNE_STATE_DIR", str(tmp_path))
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-such-config.toml"))
    return tmp_path


def test_s3_settings_fall_back_to_the_local_stack(state_dir: Path) -> None:
    settings = S3Settings.from_env({"MEMOTUNE_STATE_DIR": str(state_dir), "MEMOTUNE_S3_PREFIX": "t/"})
    assert settings == S3Settings("http://127.0.0.1:27070", "memotune", "t/", "k", "s", "us-east-1", True)


def test_configured_s3_wins_over_the_local_stack(state_dir: Path) -> None:
    settings = S3Settings.from_env({"MEMOTUNE_STATE_DIR": str(state_dir), "MEMOTUNE_S3_BUCKET": "team"})
    assert (settings.endpoint, settings.bucket, settings.access_key_id) == (None, "team", None)


def test_temporal_address_falls_back_to_the_local_stack(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connect_config()["target_host"] == "127.0.0.1:27233"
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.internal:7233")
    assert connect_config()["target_host"] == "temporal.internal:7233"
    assert connect_config(address="10.0.0.1:7233")["target_host"] == "10.0.0.1:7233"


def test_without_a_local_stack_the_default_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMOTUNE_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("TEMPORAL_ADDRESS", raising=False)
    monkeypatch.delenv("TEMPORAL_PROFILE", raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-such-config.toml"))
    assert connect_config()["target_host"] == "127.0.0.1:7233"


def test_a_worker_in_a_subfolder_finds_the_stack_at_the_project_root(tmp_path: Path) -> None:
    (tmp_path / ".memotune").mkdir()
    (tmp_path / ".memotune" / "stack.json").write_text(json.dumps(STACK), encoding="utf-8")
    deep = tmp_path / "pipelines" / "stages"
    deep.mkdir(parents=True)
    assert find_state_dir({}, str(deep)) == tmp_path.resolve() / ".memotune"
    # The nearest wins, and the setting wins over both.
    (deep / ".memotune").mkdir()
    (deep / ".memotune" / "stack.json").write_text("{}", encoding="utf-8")
    assert find_state_dir({}, str(deep)) == deep.resolve() / ".memotune"
    assert find_state_dir({"MEMOTUNE_STATE_DIR": "/elsewhere"}, str(deep)) == Path("/elsewhere")
