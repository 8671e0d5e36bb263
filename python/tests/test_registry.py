"""The @stage registry, worker stage selection and CLI stage loading."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from memotune import StageResult, registered_stages, registry, stage
from memotune.cli import _bind_address, load_stages, main, queue_warning


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "_registry", {})
    yield


@dataclass
class Params:
    lr: float


def test_decorator_registers_and_returns_the_function() -> None:
    def teacher(ctx: object) -> StageResult:
        return StageResult(1)

    assert stage("teacher", params=Params)(teacher) is teacher
    definition = registered_stages()["teacher"]
    assert (definition.name, definition.fn, definition.params, definition.is_async) == ("teacher", teacher, Params, False)

    @stage("student")
    async def student(ctx: object) -> StageResult:
        return StageResult(2)

    assert registered_stages()["student"].is_async


def test_a_name_is_registered_once() -> None:
    stage("a")(lambda ctx: None)
    with pytest.raises(ValueError, match="already registered"):
        stage("a")(lambda ctx: None)


def test_params_must_be_a_dataclass_or_typeddict() -> None:
    with pytest.raises(TypeError, match="dataclass or a TypedDict"):
        stage("a", params=dict)


def test_workers_serve_all_or_the_selected_stages() -> None:
    first = stage("first")(lambda ctx: None)
    stage("second")(lambda ctx: None)
    assert sorted(registry.select_stages(None)) == ["first", "second"]
    assert sorted(registry.select_stages(["second", first])) == ["first", "second"]
    with pytest.raises(ValueError, match="'third' is not a registered stage"):
        registry.select_stages(["third"])


def test_cli_loads_a_stage_file_that_imports_its_siblings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "helpers_for_memotune_test.py").write_text("VALUE = 41\n")
    (tmp_path / "my_stages.py").write_text(
        "from memotune import stage, StageResult\n"
        "from helpers_for_memotune_test import VALUE\n"
        "@stage('prep')\n"
        "def prep(ctx):\n"
        "    return StageResult(VALUE + 1)\n"
    )
    load_stages(str(tmp_path / "my_stages.py"))
    assert registered_stages()["prep"].fn(None) == StageResult(42)
    for name in ("my_stages", "helpers_for_memotune_test"):
        monkeypatch.delitem(sys.modules, name)


def test_cli_names_a_stage_file_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "stages.py")
    assert main(["worker", "--stages", missing, "--task-queue", "q"]) == 2
    assert f"memotune: --stages {missing}: no such file" in capsys.readouterr().err


def test_cli_says_which_stage_file_failed_to_import_and_shows_only_its_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    broken = tmp_path / "broken_stages_for_memotune_test.py"
    broken.write_text("import json\n\ndef helper():\n    import no_such_package_for_memotune_test\n\nhelper()\n")
    assert main(["worker", "--stages", str(broken), "--task-queue", "q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"memotune: --stages {broken} could not be imported: "
        "ModuleNotFoundError: No module named 'no_such_package_for_memotune_test'\n"
        "in your code (most recent call last):\n"
    )
    assert err.count(str(broken)) == 3  # the headline and its two frames (module level, helper)
    assert "importlib" not in err and "cli.py" not in err
    monkeypatch.delitem(sys.modules, "broken_stages_for_memotune_test", raising=False)


def test_cli_warns_of_a_task_queue_without_its_prefix() -> None:
    # A stage's taskQueue 'python' is served on '<prefix>-python': a bare 'python' never gets a task.
    warning = queue_warning("python")
    assert warning is not None
    assert "'<prefix>-python'" in warning and "--task-queue memotune-python" in warning
    assert queue_warning("memotune-python") is None
    assert queue_warning("team-a-gpu") is None


def test_cli_metrics_address_is_an_ip_and_a_port(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    for good in ("127.0.0.1:9464", "0.0.0.0:1", "[::]:9464", "[::1]:65535"):
        assert _bind_address(good) == good
    # The exporter takes no host names: refused here, naming the option, rather than at start.
    for bad in ("localhost:9464", "9464", "127.0.0.1:0", "127.0.0.1:70000", "[127.0.0.1]:9464", "::1:9464"):
        with pytest.raises(SystemExit):
            main(["worker", "--stages", "x.py", "--task-queue", "memotune-python", "--metrics", bad])
        assert "argument --metrics: must be an IP address and a port from 1 to 65535" in capsys.readouterr().err


def test_a_stage_declares_its_version_as_a_non_empty_string() -> None:
    import pytest

    from memotune import stage
    from memotune.registry import registered_stages

    @stage("versioned-for-test", version="3")
    def versioned(ctx):  # type: ignore[no-untyped-def]
        return {"output": 1}

    assert registered_stages()["versioned-for-test"].version == "3"
    with pytest.raises(TypeError, match="version= must be a non-empty string"):
        stage("bad-version", version=3)  # type: ignore[arg-type]
