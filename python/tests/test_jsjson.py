"""JSON text must match JavaScript's JSON.stringify (expected strings produced with Node)."""

from __future__ import annotations

import math

import pytest

from memotune import jsjson


def test_numbers_format_like_javascript() -> None:
    values = [0.0, -0.0, 1.0, -1.0, 0.1, 1e21, 1e20, 1.5e-7, 1e-6, 0.000001234, 1e16, 1.5e16, 5e-324,
              1.7976931348623157e308, 1 / 3, 2.5e-5, 123456.789, -4.2e-10]
    # node -e 'console.log(JSON.stringify([0,-0,1,-1,0.1,1e21,...]))'
    expected = ("[0,0,1,-1,0.1,1e+21,100000000000000000000,1.5e-7,0.000001,0.000001234,10000000000000000,"
                "15000000000000000,5e-324,1.7976931348623157e+308,0.3333333333333333,0.000025,123456.789,-4.2e-10]")
    assert jsjson.dumps(values) == expected


def test_integers_and_float_sums() -> None:
    assert jsjson.dumps([1.0, 100, 1e300, -1e-300, 2**53, 0.1 + 0.2]) == (
        "[1,100,1e+300,-1e-300,9007199254740992,0.30000000000000004]"
    )


def test_simple_object_is_byte_identical() -> None:
    assert jsjson.dumps({"a": 1, "b": [1, 2.5, "x"]}).encode() == b'{"a":1,"b":[1,2.5,"x"]}'


def test_strings_escape_like_javascript() -> None:
    text = jsjson.dumps({"s": "é€😀\n\t\u0000\u001f\u2028", "q": '"\\/', "lone": "\ud800"})
    assert text == '{"s":"é€😀\\n\\t\\u0000\\u001f\u2028","q":"\\"\\\\/","lone":"\\ud800"}'
    text.encode("utf-8")  # lone surrogates are escaped, so the text is valid UTF-8


def test_non_finite_numbers_become_null_and_tuples_arrays() -> None:
    assert jsjson.dumps({"n": math.nan, "i": -math.inf, "t": (True, False, None)}) == (
        '{"n":null,"i":null,"t":[true,false,null]}'
    )


@pytest.mark.parametrize("value", [{1: "a"}, {"s": {1, 2}}, object()])
def test_values_json_cannot_represent_are_rejected(value: object) -> None:
    with pytest.raises(TypeError):
        jsjson.dumps(value)
