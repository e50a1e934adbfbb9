"""Parser of PyBaMM-style protocol strings into the fields of a :class:`~lilean.protocols.steps.Step`.

This module knows the grammar only; it does not import :mod:`lilean.protocols.steps` (which imports
it and builds the :class:`Step`, :func:`lilean.protocols.steps.parse_step`), so the two form no
import cycle.

Grammar (case-insensitive, spaces optional between a number and its unit)::

    step      := cc | rest | hold
    cc        := ("Charge" | "Discharge") " at " current [limits]
    rest      := "Rest " duration-limit
    hold      := "Hold at " voltage [limits]
    limits    := limit (" or " limit)*
    limit     := "for " time | "until " condition | condition   (a bare condition follows an until)
    condition := voltage | current | capacity

Quantities (the number may be ``1``, ``1.``, ``.5``, ``1.5e-3``; voltages may be signed)::

    time      s, sec, second(s), min, minute(s), h, hr, hour(s), day(s)
    voltage   V, mV
    current   C-rate (``1C``, ``0.5 C``, ``C/20``), A, mA, uA, nA, A/cm2, mA/cm2, uA/cm2
    capacity  Ah, mAh, uAh, mAh/cm2, uAh/cm2

Examples: ``"Discharge at 1C until 2.0 V"``, ``"Charge at 1 mA/cm2 for 1 hour or until 0.5 V"``,
``"Hold at 4.2 V until C/20"``, ``"Discharge at 1 mA/cm2 until 10 mAh/cm2"``, ``"Rest for 10 minutes"``.

Anything the grammar does not cover raises :class:`~lilean.errors.ParameterError` quoting the string;
nothing is silently ignored. The convention follows ``pybamm.Experiment`` (Sulzer et al., J. Open Res.
Softw. 9, 14 (2021)).
"""

from __future__ import annotations

import re
from typing import Any

from lilean.errors import ParameterError

EXAMPLES = "'Discharge at 1C until 2.0 V', 'Rest for 10 minutes', 'Hold at 4.2 V until C/20'"

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_QUANTITY = re.compile(rf"^(?P<num>{_NUM})\s*(?P<unit>\S.*)$")
_C_OVER = re.compile(rf"^c\s*/\s*(?P<num>{_NUM})$")
_CC = re.compile(r"^(?P<dir>charge|discharge) at (?P<drive>.+?)(?: (?P<limits>(?:for|until) .+))?$")
_REST = re.compile(r"^rest(?: (?P<limits>.+))?$")
_HOLD = re.compile(r"^hold at (?P<volt>.+?)(?: (?P<limits>(?:for|until) .+))?$")

#: unit (lower case, spaces removed) -> (dimension, canonical unit, power of ten to the canonical)
_UNITS: dict[str, tuple[str, str, int]] = {}


def _add(dimension: str, canonical: str, power: int, *names: str) -> None:
    for name in names:
        _UNITS[name] = (dimension, canonical, power)


_add("time", "s", 0, "s", "sec", "secs", "second", "seconds")
_add("voltage", "V", 0, "v")
_add("voltage", "V", -3, "mv")
_add("current", "C", 0, "c")
_add("current", "A", 0, "a")
_add("current", "mA", 0, "ma")
_add("current", "mA", -3, "ua", "µa", "μa")
_add("current", "mA", -6, "na")
_add("current", "mA/cm2", 3, "a/cm2", "a/cm^2", "acm-2", "a/cm²")
_add("current", "mA/cm2", 0, "ma/cm2", "ma/cm^2", "macm-2", "ma/cm²")
_add("current", "mA/cm2", -3, "ua/cm2", "ua/cm^2", "uacm-2", "µa/cm2", "μa/cm2", "ua/cm²")
_add("capacity", "mAh", 3, "ah")
_add("capacity", "mAh", 0, "mah")
_add("capacity", "mAh", -3, "uah", "µah", "μah")
_add("capacity", "mAh/cm2", 0, "mah/cm2", "mah/cm^2", "mahcm-2", "mah/cm²")
_add("capacity", "mAh/cm2", -3, "uah/cm2", "uah/cm^2", "uahcm-2", "µah/cm2", "μah/cm2")
#: time units with a non-decimal factor to s
_TIME_FACTORS = {
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("day", "days"), 86400.0),
}


def _scale(value: float, power: int) -> float:
    """``value x 10**power``, dividing for negative powers (exact for mV -> V and the like)."""
    return value * 10.0**power if power >= 0 else value / 10.0 ** (-power)


def _fail(text: str, problem: str) -> ParameterError:
    return ParameterError(f"protocol step {text!r}: {problem}; expected e.g. {EXAMPLES}")


def parse_quantity(fragment: str, text: str) -> tuple[str, float, str]:
    """``"0.5 mA/cm2"`` -> ``("current", 0.5, "mA/cm2")``; ``"C/20"`` -> ``("current", 0.05, "C")``.

    ``fragment`` is lower case; ``text`` is the whole step (for the error message). Time comes back in
    s, voltage in V, currents in C, A, mA or mA/cm2, capacities in mAh or mAh/cm2.
    """
    fragment = fragment.strip()
    m = _C_OVER.match(fragment)
    if m:
        denominator = float(m["num"])
        if not denominator > 0:
            raise _fail(text, f"C-rate {fragment!r} needs a divisor > 0")
        return "current", 1.0 / denominator, "C"
    m = _QUANTITY.match(fragment)
    if not m:
        raise _fail(text, f"cannot read {fragment!r} as a number followed by a unit")
    value = float(m["num"])
    unit = re.sub(r"\s+", "", m["unit"])
    if unit in _TIME_FACTORS:
        return "time", value * _TIME_FACTORS[unit], "s"
    if unit not in _UNITS:
        raise _fail(text, f"unknown unit {m['unit']!r} in {fragment!r}")
    dimension, canonical, power = _UNITS[unit]
    return dimension, _scale(value, power), canonical


def _positive(text: str, what: str, value: float) -> float:
    if not value > 0:
        raise _fail(text, f"{what} must be > 0 (the sign comes from charge/discharge), got {value}")
    return value


def _parse_limits(limits: str, text: str, fields: dict[str, Any], *, rest: bool) -> None:
    previous = ""
    for raw in limits.split(" or "):
        piece = raw.strip()
        if piece.startswith("for "):
            kind, body = "for", piece[4:]
        elif piece.startswith("until "):
            if rest:
                raise _fail(text, "a rest step ends after a time only ('Rest for 10 minutes')")
            kind, body = "until", piece[6:]
        elif previous == "until" and piece:
            kind, body = "until", piece
        else:
            raise _fail(text, f"cannot read {piece!r}; a limit starts with 'for' or 'until'")
        previous = kind
        dimension, value, unit = parse_quantity(body, text)
        if kind == "for":
            if dimension != "time":
                raise _fail(text, f"'for {body}' needs a time (s, min, hours)")
            key = "duration_s"
            fields_new: dict[str, Any] = {key: _positive(text, "the duration", value)}
        elif dimension == "voltage":
            key = "until_voltage_V"
            fields_new = {key: value}
        elif dimension == "current":
            key = "until_current"
            fields_new = {
                key: _positive(text, "the current limit", value),
                "until_current_unit": unit,
            }
        elif dimension == "capacity":
            key = "until_capacity"
            fields_new = {
                key: _positive(text, "the capacity limit", value),
                "until_capacity_unit": unit,
            }
        else:
            raise _fail(text, f"'until {body}': use 'for <time>' for a duration")
        if key in fields:
            raise _fail(text, f"the limit {key} is given twice")
        fields.update(fields_new)


def parse_step_fields(text: str) -> dict[str, Any]:
    """Parse one PyBaMM-style step string into the keyword arguments of
    :class:`~lilean.protocols.steps.Step` (``text`` included).

    Raises :class:`~lilean.errors.ParameterError` quoting the string when any part of it is not
    understood.
    """
    if not isinstance(text, str):
        raise ParameterError(f"protocol step {text!r}: expected a string such as {EXAMPLES}")
    norm = re.sub(r"\s+", " ", text.strip()).lower()
    fields: dict[str, Any] = {}
    if m := _CC.match(norm):
        dimension, value, unit = parse_quantity(m["drive"], text)
        if dimension != "current":
            raise _fail(text, f"'{m['dir']} at {m['drive']}' needs a current (C, A, mA, mA/cm2)")
        fields.update(
            direction=m["dir"], current=_positive(text, "the current", value), current_unit=unit
        )
        limits = m["limits"]
    elif m := _HOLD.match(norm):
        dimension, value, _ = parse_quantity(m["volt"], text)
        if dimension != "voltage":
            raise _fail(text, f"'hold at {m['volt']}' needs a voltage (V, mV)")
        fields.update(direction="hold", voltage_V=value)
        limits = m["limits"]
    elif m := _REST.match(norm):
        fields["direction"] = "rest"
        limits = m["limits"]
    else:
        raise _fail(
            text, "does not start with 'Charge at', 'Discharge at', 'Rest for' or 'Hold at'"
        )
    if limits is None:
        raise _fail(text, "the step never ends; add 'for <time>' or 'until <limit>'")
    _parse_limits(limits, text, fields, rest=fields["direction"] == "rest")
    return {**fields, "text": text}
