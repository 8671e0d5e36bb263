"""``--log-format json``: the worker's log lines as one JSON object a line."""

from __future__ import annotations

import json
import logging

import pytest

from memotune.cli import main
from memotune.log_format import JsonLogFormatter, parse_log_format


def _record(message: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.getLogger("memotune.test").makeRecord(
        "memotune.test", level, __file__, 1, message, args, None, extra=extra
    )
    record.created = 1765152000.123  # 2025-12-08T00:00:00.123Z
    return record


def test_a_line_has_time_level_message_logger_and_the_extra_fields() -> None:
    line = JsonLogFormatter().format(
        _record("stage %s done", "train", level=logging.WARNING, temporal_activity={"activity_type": "runStage"})
    )
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2025-12-08T00:00:00.123Z",
        "level": "WARN",  # the TypeScript workers' name
        "message": "stage train done",
        "logger": "memotune.test",
        "temporal_activity": {"activity_type": "runStage"},
    }


def test_values_json_cannot_hold_stay_readable() -> None:
    cyclic: dict[str, object] = {"name": "loop"}
    cyclic["self"] = cyclic
    line = JsonLogFormatter().format(
        _record("m", objective=float("nan"), worst=float("-inf"), token=b"\x00" * 40, cyclic=cyclic, other=object(),
                message_id=3)
    )
    parsed = json.loads(line)  # strict JSON: no NaN
    assert parsed["objective"] == "nan" and parsed["worst"] == "-inf"
    assert parsed["token"] == "<40 bytes>"
    assert parsed["cyclic"] == {"name": "loop", "self": "[Circular]"}
    assert parsed["other"].startswith("<object object")
    assert parsed["message_id"] == 3


def test_an_exception_is_one_field_and_extra_fields_never_overwrite_the_line() -> None:
    try:
        raise RuntimeError("S3 said no")
    except RuntimeError:
        record = logging.getLogger("memotune.test").makeRecord(
            "memotune.test", logging.ERROR, __file__, 1, "upload failed", (), __import__("sys").exc_info(),
            extra={"time": "fake", "level": "INFO", "logger": "fake"},
        )
    parsed = json.loads(JsonLogFormatter().format(record))
    assert parsed["level"] == "ERROR" and parsed["message"] == "upload failed" and parsed["logger"] == "memotune.test"
    assert parsed["meta.time"] == "fake" and parsed["meta.level"] == "INFO" and parsed["meta.logger"] == "fake"
    assert parsed["error"].startswith("Traceback") and "RuntimeError: S3 said no" in parsed["error"]


def test_the_format_is_text_or_json_in_any_case() -> None:
    assert parse_log_format(" JSON ") == "json"
    assert parse_log_format("text") == "text"
    with pytest.raises(ValueError, match="must be text or json, got 'yaml'"):
        parse_log_format("yaml")


def test_the_cli_refuses_a_bad_format_naming_the_option_or_the_variable(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_:
        main(["worker", "--stages", "x.py", "--task-queue", "memotune-python", "--log-format", "yaml"])
    assert exit_.value.code == 2
    assert "argument --log-format: must be text or json, got 'yaml'" in capsys.readouterr().err
    monkeypatch.setenv("MEMOTUNE_LOG_FORMAT", "xml")
    assert main(["worker", "--stages", "x.py", "--task-queue", "memotune-python"]) == 2
    assert "memotune: MEMOTUNE_LOG_FORMAT must be text or json, got 'xml'" in capsys.readouterr().err
