"""Parser of PyBaMM-style step strings: the documented examples, round trips and errors."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lilean.errors import ParameterError
from lilean.protocols import Experiment, Step, parse_step

EXAMPLES: dict[str, dict[str, Any]] = {
    "Discharge at 1C until 2.0 V": dict(
        direction="discharge", current=1.0, current_unit="C", until_voltage_V=2.0
    ),
    "Charge at 0.5 C until 4.2 V": dict(
        direction="charge", current=0.5, current_unit="C", until_voltage_V=4.2
    ),
    "Charge at 1 mA/cm2 for 1 hour": dict(
        direction="charge", current=1.0, current_unit="mA/cm2", duration_s=3600.0
    ),
    "Discharge at 2 mA for 30 minutes": dict(
        direction="discharge", current=2.0, current_unit="mA", duration_s=1800.0
    ),
    "Rest for 10 minutes": dict(direction="rest", duration_s=600.0),
    "Hold at 4.2 V until C/20": dict(
        direction="hold", voltage_V=4.2, until_current=1 / 20, until_current_unit="C"
    ),
    "Hold at 4.2 V until 0.05 mA": dict(
        direction="hold", voltage_V=4.2, until_current=0.05, until_current_unit="mA"
    ),
    "Charge at 1 mA/cm2 for 1 hour or until 0.5 V": dict(
        direction="charge",
        current=1.0,
        current_unit="mA/cm2",
        duration_s=3600.0,
        until_voltage_V=0.5,
    ),
    "Discharge at 1 mA/cm2 until 10 mAh/cm2": dict(
        direction="discharge",
        current=1.0,
        current_unit="mA/cm2",
        until_capacity=10.0,
        until_capacity_unit="mAh/cm2",
    ),
    "Discharge at 500 uA for 90 s": dict(
        direction="discharge", current=0.5, current_unit="mA", duration_s=90.0
    ),
    "Charge at C/2 until 4200 mV": dict(
        direction="charge", current=0.5, current_unit="C", until_voltage_V=4.2
    ),
    "discharge AT 2c FOR 2 h OR UNTIL 2.5 v": dict(
        direction="discharge",
        current=2.0,
        current_unit="C",
        duration_s=7200.0,
        until_voltage_V=2.5,
    ),
    "Discharge at 1 mA/cm^2 until 1 Ah": dict(
        direction="discharge",
        current=1.0,
        current_unit="mA/cm2",
        until_capacity=1000.0,
        until_capacity_unit="mAh",
    ),
}


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_examples_parse_to_the_expected_fields(text: str) -> None:
    step = parse_step(text)
    expected = Step(**EXAMPLES[text])
    assert step == expected
    for key, value in EXAMPLES[text].items():
        got = getattr(step, key)
        if isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-15)
        else:
            assert got == value
    assert step.text == text
    assert str(step) == text


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_describe_round_trips(text: str) -> None:
    step = parse_step(text)
    again = parse_step(step.describe())
    assert again == step


def test_whitespace_and_case_do_not_matter() -> None:
    assert parse_step("  Charge   at 1C  until   4.2V ") == parse_step("charge at 1 C until 4.2 V")


BAD = [
    "",
    "Charge",
    "Charge at 1C",  # never ends
    "Rest",
    "Rest until 2 V",
    "Discharge at -1C until 2 V",
    "Discharge at 0 C until 2 V",
    "Charge at 1C until 4.2 V please",
    "Charge at 1 V until 3 V",
    "Hold at 4.2 V until 3 V",  # voltage limit on a hold
    "Hold at 1C until 0.05 mA",
    "Charge at 1C until C/20",  # current limit needs a hold
    "Charge at 1C for 1 m",  # 'm' is ambiguous
    "Charge at 1C for 2 V",
    "Charge at 1C until 1 hour",
    "Charge at 1C until 4.2 V or until 4.1 V",
    "Charge at 1C for 1 hour or 2 hours",
    "Charge at 1,5C until 4.2 V",
    "Discharge at 1 W until 2 V",
    "Discharge at 1C until 2 V (1 minute period)",
    "Rest for -5 minutes",
    "Rest for 0 s",
    "Charge at C/0 until 4.2 V",
    "Charge at 1e999 C until 4.2 V",
    "Charge at nan C until 4.2 V",
    "Charge at 1C until 10 mWh",
    "Run at 1C for 1 hour",
    "Hold at 4.2 V",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_text_raises_parameter_error_quoting_it(text: str) -> None:
    with pytest.raises(ParameterError) as info:
        parse_step(text)
    message = str(info.value)
    assert repr(text) in message
    assert "\n" not in message


def test_non_string_is_rejected() -> None:
    with pytest.raises(ParameterError):
        Experiment([(3.0,)])  # type: ignore[list-item]


# ---- number formats (hypothesis) ------------------------------------------------------------

positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _formats(x: float) -> list[str]:
    return [repr(x), f"{x:.6e}", f"{x:.6E}", f"{x:f}", f"{x:g}"]


@given(x=positive, fmt=st.integers(min_value=0, max_value=4))
def test_current_number_formats(x: float, fmt: int) -> None:
    number = _formats(x)[fmt]
    expected = float(number)
    if expected <= 0:
        return
    step = parse_step(f"Discharge at {number} mA until 2 V")
    assert step.current == expected
    assert step.current_unit == "mA"


@given(x=positive, fmt=st.integers(min_value=0, max_value=4))
def test_duration_units_scale(x: float, fmt: int) -> None:
    number = _formats(x)[fmt]
    value = float(number)
    if value <= 0:
        return
    for unit, factor in (
        ("seconds", 1),
        ("minutes", 60),
        ("min", 60),
        ("hours", 3600),
        ("h", 3600),
    ):
        step = parse_step(f"Rest for {number} {unit}")
        assert step.duration_s == pytest.approx(value * factor, rel=1e-14)


@given(v=st.floats(min_value=-5, max_value=5, allow_nan=False))
def test_signed_voltage_limits(v: float) -> None:
    step = parse_step(f"Discharge at 1 mA/cm2 until {v!r} V")
    assert step.until_voltage_V == v
    step_mv = parse_step(f"Discharge at 1 mA/cm2 until {v * 1000!r} mV")
    assert step_mv.until_voltage_V == pytest.approx(v, abs=1e-12)


@given(n=st.floats(min_value=0.01, max_value=1000, allow_nan=False))
def test_c_over_n(n: float) -> None:
    step = parse_step(f"Hold at 4.2 V until C/{n!r}")
    assert step.until_current_unit == "C"
    assert math.isclose(step.until_current or 0.0, 1 / n, rel_tol=1e-15)


@given(x=positive)
def test_round_trip_any_value(x: float) -> None:
    step = Step(
        direction="charge",
        current=x,
        current_unit="mA/cm2",
        duration_s=x * 7,
        until_voltage_V=-x,
        until_capacity=x / 3,
        until_capacity_unit="mAh",
    )
    assert parse_step(step.describe()) == step
