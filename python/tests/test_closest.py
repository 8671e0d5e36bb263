"""closest_key: the TypeScript side's "did you mean" rule (src/core/closest-key.ts)."""

from __future__ import annotations

from memotune.closest import closest_key


def test_case_first_then_at_most_two_edits_fewer_for_short_names() -> None:
    assert closest_key("Train", ["eval", "train"]) == "train"
    assert closest_key("calibrat", ["prep", "fit", "calibrate"]) == "calibrate"
    assert closest_key("trian", ["train", "eval"]) == "train"
    assert closest_key("ab", ["xy"]) is None  # 2 letters: one edit at most
    assert closest_key("preprocess", ["train"]) is None
    assert closest_key("x" * 32_000, ["train"]) is None
