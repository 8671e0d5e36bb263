"""Reading a study's trials from Python (memotune.trials): the trial log's layout and the CSV
the Node CLI writes (test/fixtures/trial-records)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from memotune import MemoryObjectStore, Study, TrialLogError
from memotune.trials import read_records, record_key, segment_key

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "trial-records"
LOG = "studies/run-1/"


def fixture_study() -> Study:
    fixture = json.loads((FIXTURES / "records.json").read_text(encoding="utf-8"))
    return Study("s", "completed", "maximize", fixture["stages"], "acc", fixture["records"], {"trialIndex": 2})


def log_of(count: int, segments: int) -> MemoryObjectStore:
    """A log of ``count`` records, its first ``segments`` segments written (as the TypeScript side does)."""
    store = MemoryObjectStore()
    records = [{"trialIndex": index} for index in range(count)]
    for record in records:
        store.put(record_key(LOG, record["trialIndex"]), json.dumps(record).encode(), "application/json")
    for segment in range(segments):
        body = json.dumps(records[segment * 100 : segment * 100 + 100]).encode()
        store.put(segment_key(LOG, segment), body, "application/json")
    return store


def test_the_csv_is_the_node_clis_cell_for_cell() -> None:
    assert fixture_study().to_csv() + "\n" == (FIXTURES / "expected.csv").read_text(encoding="utf-8")


def test_what_reuse_saved_is_the_typescript_sides_figure() -> None:
    # savedByReuse in src/core/charge.ts gives {"saved": 2.4, "charged": 15.6} for these records.
    saving = fixture_study().saved_by_reuse
    assert saving is not None
    assert saving["saved"] == pytest.approx(2.4) and saving["charged"] == pytest.approx(15.6)
    assert Study("s", "completed", "maximize", [], None, [{"trialIndex": 0, "cachedPrefix": 0}]).saved_by_reuse is None


def test_rows_and_the_best_trial() -> None:
    study = fixture_study()
    columns, rows = study.rows()
    assert columns[:5] == ["trial", "status", "objective", "charged", "reused"]
    assert [row[0] for row in rows] == [0, 1, 2]
    assert study.best_trial is not None and study.best_trial["objective"] == 0.8125


def test_a_dataframe_with_pandas_and_a_clear_error_without() -> None:
    study = fixture_study()
    try:
        import pandas  # noqa: F401  (not a dependency: both cases are checked, whichever this venv has)
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            study.trials_dataframe()
        return
    frame = study.trials_dataframe()
    assert list(frame.columns) == study.rows()[0] and len(frame) == 3


def test_reads_whole_segments_then_single_records() -> None:
    store = log_of(250, segments=2)
    # Single records of the segments' span gone: the segments must be what is read.
    for position in range(200):
        del store.objects[record_key(LOG, position)]
    records = read_records(store, LOG, 250)
    assert [record["trialIndex"] for record in records] == list(range(250))


def test_reads_single_records_where_a_segment_is_not_written_yet() -> None:
    records = read_records(log_of(120, segments=0), LOG, 120)
    assert [record["trialIndex"] for record in records] == list(range(120))
    assert read_records(log_of(3, segments=0), LOG, 0) == []


def test_a_missing_or_broken_record_names_its_key() -> None:
    store = log_of(5, segments=0)
    del store.objects[record_key(LOG, 3)]
    with pytest.raises(TrialLogError, match=r"trials/000000003\.json is missing: the study has 5 trial records"):
        read_records(store, LOG, 5)
    store.put(record_key(LOG, 3), b"{not json", "application/json")
    with pytest.raises(TrialLogError, match="is not valid JSON"):
        read_records(store, LOG, 5)


def test_a_running_study_no_worker_answers_for_is_named_so() -> None:
    import asyncio
    from types import SimpleNamespace

    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from memotune import NoWorker
    from memotune.trials import study_outcome

    class Handle:
        async def describe(self) -> SimpleNamespace:
            return SimpleNamespace(status=WorkflowExecutionStatus.RUNNING)

        async def query(self, name: str) -> None:
            raise RPCError(
                "no poller seen for task queue recently, worker may be down", RPCStatusCode.FAILED_PRECONDITION, b""
            )

    client = SimpleNamespace(get_workflow_handle=lambda study_id: Handle())
    with pytest.raises(NoWorker, match=r"no worker is serving study 's1''s orchestration queue right now.*memotune worker"):
        asyncio.run(study_outcome(client, "s1"))  # type: ignore[arg-type]


def test_best_params_and_typed_rows_put_back_what_json_lost() -> None:
    from datetime import timedelta

    study = fixture_study()
    # A float parameter at an integral value (layers: 8), as JSON stores it; its type from the plan.
    types = {"prep.frac": "float", "prep.mode": "categorical", "train.lr": "float", "train.layers": "float"}
    typed = Study(
        study.study_id, study.status, study.direction, study.stages, study.objective_metric,
        study.trials, study.best, param_types=types,
    )  # fmt: skip
    best = typed.best_params
    assert best["train.layers"] == 8.0 and isinstance(best["train.layers"], float)
    assert best["prep.mode"] == "c"
    assert isinstance(study.best_params["train.layers"], int)  # without the plan: as JSON has it
    assert typed.best_value == 0.8125
    typed_columns, rows = typed.typed_rows()
    at = typed_columns.index("duration")
    assert typed_columns[at - 1] == "finished" and typed_columns[at - 2] == "started"
    for row in rows:
        if row[at - 1] is not None and row[at - 2] is not None:
            assert isinstance(row[at], timedelta) and row[at] == row[at - 1] - row[at - 2]
            assert row[at - 2].tzinfo is not None
    objective = typed_columns.index("objective")
    assert all(isinstance(row[objective], float) for row in rows)
    # A failed trial's objective is NaN, as Optuna's value column has it (a column of None is object).
    failed = [row for row, trial in zip(rows, typed.trials) if trial["status"] != "completed"]
    assert failed and all(math.isnan(row[objective]) for row in failed)


def test_best_params_before_any_trial_completed_says_so() -> None:
    empty = Study("s", "running", "maximize", ["a"], "acc", [], None)
    with pytest.raises(ValueError, match="no completed trial yet"):
        _ = empty.best_params


def test_artifact_reads_the_best_trials_last_stage_or_the_one_asked_for(tmp_path: Path) -> None:
    from conftest import commit_output

    store = MemoryObjectStore()
    commit_output(store, "k-prep-1", "prep", {"scaler": [1.0, 2.0]})
    commit_output(store, "k-fit-1", "fit", b"pickled model")
    records = [
        {"trialIndex": 0, "status": "failed", "keys": ["k-prep-1", "k-fit-0"]},
        {"trialIndex": 1, "status": "completed", "keys": ["k-prep-1", "k-fit-1"]},
    ]
    study = Study("s", "completed", "maximize", ["prep", "fit"], "acc", records, {"trialIndex": 1}, store=store)
    best = study.artifact(download_dir=tmp_path)
    assert (best.stage, best.format, best.read_bytes()) == ("fit", "bytes", b"pickled model")
    assert best.path().parent == tmp_path
    assert study.artifact(0, "prep").json() == {"scaler": [1.0, 2.0]}
    with pytest.raises(LookupError, match="trial 0's fit output is not in the cache"):
        study.artifact(0)
    with pytest.raises(ValueError, match="stage='train': the stages are prep, fit"):
        study.artifact(1, "train")
    with pytest.raises(ValueError, match="trial=7: study 's' has trials 0..1"):
        study.artifact(7)
    with pytest.raises(ValueError, match="no completed trial yet: pass trial="):
        Study("s", "running", "maximize", ["prep", "fit"], "acc", records, None, store=store).artifact()
