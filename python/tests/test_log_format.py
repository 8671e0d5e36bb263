"""``--log-format json``: the worker's log lines as one JSON object a line."""

from __future__ import annotations

import json
import logging

import pytest

from memotune.cli import main
from memotune.log_format import JsonLogFormatter, core_log_filter, parse_log_format, parse_log_level, python_log_level
from memotune.worker import _worker_runtime


def _record(message: str, *args: object, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.getLogger("memotune.test").makeRecord(
        "memotune.test", level, __file__, 1, message, args, None, extra=extra
    )
    record.created = 1765152000.123  # 2025-12-08T00:00:00.123Z
    return record


def test_a_line_has_time_level_message_logger_and_the_extra_fields() -> None:
    line = JsonLogFormatter().format(
        _record(
            "stage %s done",
            "train",
            level=logging.WARNING,
            temporal_activity={"activity_type": "runStage", "workflow_run_id": "r-1", "attempt": 2},
        )
    )
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2025-12-08T00:00:00.123Z",
        "level": "WARN",  # the TypeScript workers' name
        "message": "stage train done",
        "logger": "memotune.test",
        # The SDK's activity context as the TypeScript SDK names its fields.
        "activityType": "runStage",
        "runId": "r-1",
        "attempt": 2,
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


def test_the_level_is_the_typescript_workers_names_in_any_case() -> None:
    assert parse_log_level(" debug ") == "DEBUG" and python_log_level("DEBUG") == logging.DEBUG
    assert python_log_level("WARN") == logging.WARNING and python_log_level("TRACE") < logging.DEBUG
    with pytest.raises(ValueError, match="must be one of TRACE, DEBUG, INFO, WARN, ERROR, got 'verbose'"):
        parse_log_level("verbose")


def test_core_logs_at_the_level_its_libraries_only_at_debug_and_trace() -> None:
    assert core_log_filter("INFO") == ("INFO", "ERROR") and core_log_filter("WARN") == ("WARN", "ERROR")
    assert core_log_filter("DEBUG") == ("DEBUG", "DEBUG") and core_log_filter("TRACE") == ("TRACE", "TRACE")
    assert _worker_runtime(None, False) is None  # nothing asked of Core: the SDK's default Runtime
    assert _worker_runtime(None, False, "info") is not None  # a Runtime of its own, Core at INFO


def test_the_cli_refuses_a_bad_level_naming_the_variable(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MEMOTUNE_LOG_LEVEL", "verbose")
    assert main(["worker", "--stages", "x.py", "--task-queue", "memotune-python"]) == 2
    assert "memotune: MEMOTUNE_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, got 'verbose'" in (
        capsys.readouterr().err
    )


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")


class _CoreEntry:
    """What the SDK's log forwarding attaches as ``temporal_log``."""

    target = "temporal_sdk_core::worker"
    fields = {"task_queue": "memotune-python", "error": "timeout"}


def test_a_record_that_cannot_be_formatted_is_still_one_json_line() -> None:
    formatter = JsonLogFormatter()
    wrong_args = json.loads(formatter.format(_record("trial %d of %d", "x")))
    assert wrong_args["message"] == "trial %d of %d" and wrong_args["logError"].startswith("message arguments: TypeError")
    unprintable = json.loads(formatter.format(_record("m", thing=_Unprintable(), huge=10**5000, text="é" * 3)))
    assert unprintable["thing"] == "[Unserializable: RuntimeError: no str]"
    assert unprintable["huge"].startswith("[Unserializable: ValueError")  # str() refuses 5,000 digits
    assert unprintable["text"] == "ééé"
    stacked = logging.getLogger("memotune.test").makeRecord(
        "memotune.test", logging.INFO, __file__, 1, "m", (), None, extra={"error": "caller's"}, sinfo="Stack (most recent call last):"
    )
    parsed = json.loads(formatter.format(stacked))
    assert parsed["stack"] == "Stack (most recent call last):" and parsed["meta.error"] == "caller's"
    line = formatter.format(_record("m", many=list(range(150)), long="x" * 20_000))
    parsed = json.loads(line)
    assert parsed["many"][-1] == "… 50 more" and parsed["long"].endswith("(10000 more characters)")
    assert "\n" not in line


def test_a_forwarded_core_line_keeps_its_target_and_fields() -> None:
    parsed = json.loads(JsonLogFormatter().format(_record("poll failed", level=logging.WARNING, temporal_log=_CoreEntry())))
    assert parsed["target"] == "temporal_sdk_core::worker"
    assert parsed["task_queue"] == "memotune-python" and parsed["meta.error"] == "timeout"
    assert "temporal_log" not in parsed


def test_debug_reaches_memotune_and_temporal_not_botocore_whose_lines_carry_tokens() -> None:
    from memotune.cli import _configure_logging

    saved = {name: logging.getLogger(name).level for name in ("memotune", "temporalio")}
    try:
        _configure_logging("text", "DEBUG")
        assert logging.getLogger("memotune.activity").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("temporalio.activity").getEffectiveLevel() == logging.DEBUG
        assert logging.getLogger("botocore.endpoint").getEffectiveLevel() >= logging.INFO
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
