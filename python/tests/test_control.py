"""What the control API checks before anything reaches the server."""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import pytest

import memotune
from memotune.control import _plain_json

CONFIG: dict[str, Any] = {
    "name": "s",
    "pipeline": {"stages": [{"name": "a", "params": [{"name": "x", "type": "float", "low": 0, "high": 1}]}]},
    "objective": {"metric": "m"},
    "budget": 10,
}


@pytest.mark.parametrize(
    ("bad", "path"),
    [(math.inf, "pipeline.stages[0].params[0].high"), (math.nan, "pipeline.stages[0].params[0].high")],
)
def test_a_non_finite_number_in_a_config_is_refused_naming_its_field(bad: float, path: str) -> None:
    stage = {"name": "a", "params": [{"name": "x", "type": "float", "low": 0, "high": bad}]}
    config = {**CONFIG, "pipeline": {"stages": [stage]}}
    # Refused before connecting: JavaScript's JSON has no NaN, and the study would never start.
    with pytest.raises(memotune.StudyConfigRejected, match="^" + re.escape(f"{path}: must be a finite number")):
        asyncio.run(memotune.start_study(config, address="127.0.0.1:1"))


def test_numpy_scalars_become_plain_numbers_and_other_objects_are_named() -> None:
    np = pytest.importorskip("numpy")
    assert _plain_json({"a": [np.int64(3), np.float32(0.5), (True, None, "s")]}, "") == {"a": [3, 0.5, [True, None, "s"]]}
    plain = _plain_json([np.True_, np.array(0.25), np.array(7)], "")
    assert plain == [True, 0.25, 7] and [type(item) for item in plain] == [bool, float, int]
    with pytest.raises(ValueError, match=r"^x: must be a finite number, not nan"):
        _plain_json({"x": np.array(np.nan)}, "")
    with pytest.raises(TypeError, match=r"^a\[1\]: set is not JSON"):
        _plain_json({"a": [1, {2}]}, "")
    with pytest.raises(TypeError, match=r"^a: keys must be strings"):
        _plain_json({"a": {1: 2}}, "")


@pytest.mark.parametrize(
    ("configurations", "message"),
    [
        ([{"x": 0.5}], r"configurations\[0\] must be a list with one dict per stage"),
        ({"a": {"x": 0.5}}, r"configurations must be a list of configurations, not dict"),
        ([[0.5]], r"configurations\[0\]\[0\] must be a dict of that stage's parameters"),
    ],
)
def test_enqueue_names_the_shape_it_wants(configurations: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        asyncio.run(memotune.enqueue_trials("s", configurations, address="127.0.0.1:1"))


def test_enqueue_and_extend_refuse_non_finite_numbers_naming_them() -> None:
    with pytest.raises(ValueError, match=r"^configurations\[0\]\[0\]\.x: must be a finite number, not nan"):
        asyncio.run(memotune.enqueue_trials("s", [[{"x": math.nan}]], address="127.0.0.1:1"))
    with pytest.raises(ValueError, match=r"^amount: must be a finite number, not inf"):
        asyncio.run(memotune.extend_budget("s", math.inf, address="127.0.0.1:1"))


def test_a_given_value_matches_as_json_compares_it() -> None:
    from memotune.control import _has_given_values

    ran = [{"a": 1, "flag": True}, {"lr": 0.5}]
    assert _has_given_values([{"a": 1}], ran)
    assert _has_given_values([{"a": 1.0}, {"lr": 0.5}], ran)  # JSON has one number type
    assert not _has_given_values([{"a": True}], ran)  # True is not 1
    assert not _has_given_values([{"flag": 1}], ran)
    assert not _has_given_values([{"a": 1}, {"lr": 0.5}, {}], ran)  # more stages than it has
    assert not _has_given_values([{"b": 1}], ran)
