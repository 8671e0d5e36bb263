"""StageContext.require_parent: the parent output, typed for a stage that is never first."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import commit_output

from memotune import MemoryObjectStore, StageContext, StageOutput
from memotune.cache import read_meta


def _context(parent: StageOutput | None, tmp_path: Path) -> StageContext:
    return StageContext(
        params={}, seed=1, stage_name="train", stage_index=0 if parent is None else 1, version="1",
        study_id="s", trial_index=0, attempt=1, parent=parent, ancestors={}, cancelled=threading.Event(),
        workdir=tmp_path, _heartbeat=lambda details: None,
    )  # fmt: skip


def test_require_parent_is_the_parent_and_refuses_the_first_stage(tmp_path: Path) -> None:
    store = MemoryObjectStore()
    commit_output(store, "k-prep", "prep", {"rows": 3})
    meta = read_meta(store, "k-prep")
    assert meta is not None
    parent = StageOutput(store, meta, tmp_path)
    assert _context(parent, tmp_path).require_parent().json() == {"rows": 3}
    with pytest.raises(ValueError, match="stage 'train' is the pipeline's first stage: it has no parent output"):
        _context(None, tmp_path).require_parent()
