"""Typed, validated parameters that carry their unit and provenance.

A parameter is a :class:`Param`: a value, its unit, where it comes from (``kind`` + ``source``) and what
it means. Parameters live in frozen groups (:class:`ParameterGroup`) whose fields declare, with
:func:`spec`, the unit they must be given in and their physical bounds. Unknown names fail loudly.

Provenance kinds
----------------
``measured``   stated in the study (Zhang et al. 2023) — source says where.
``literature`` from a paper — source is the citation.
``calibrated`` fitted — source names the target(s) and the script (``calibration/*.py``).
``assumed``    an engineering estimate — source says why it is reasonable.
``user``       given by the user (set automatically when a value is overridden).
"""

from __future__ import annotations

import difflib
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lilean.errors import ParameterError

ProvenanceKind = Literal["measured", "literature", "calibrated", "assumed", "user"]


class Param(BaseModel):
    """One physical parameter: ``value`` in ``unit``, with provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    unit: str
    kind: ProvenanceKind
    source: str = Field(..., min_length=1)
    description: str = ""

    def __float__(self) -> float:
        return float(self.value)


def spec(unit: str, description: str, **bounds: float) -> Any:
    """Declare a parameter field: required unit, meaning, and bounds (gt, ge, lt, le)."""
    unknown = set(bounds) - {"gt", "ge", "lt", "le"}
    if unknown:
        raise TypeError(f"unknown bound(s) {unknown}")
    return Field(..., description=description, json_schema_extra={"unit": unit, **bounds})


def _check(name: str, param: Param, extra: dict[str, Any]) -> None:
    unit = extra.get("unit")
    if unit is not None and param.unit != unit:
        raise ParameterError(f"parameter {name!r}: unit {param.unit!r} given, expected {unit!r}")
    v = param.value
    checks = {
        "gt": (lambda b: v > b, ">"),
        "ge": (lambda b: v >= b, ">="),
        "lt": (lambda b: v < b, "<"),
        "le": (lambda b: v <= b, "<="),
    }
    for key, (ok, sym) in checks.items():
        if key in extra and extra[key] is not None and not ok(extra[key]):
            raise ParameterError(
                f"parameter {name!r} = {v} {param.unit} is out of range: must be {sym} {extra[key]}"
            )


class ParameterGroup(BaseModel):
    """A frozen group of :class:`Param` fields declared with :func:`spec` (or nested groups)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _units_and_bounds(self) -> Self:
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, Param):
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                _check(f"{type(self).__name__}.{name}", value, extra)
        return self

    def values(self) -> dict[str, float]:
        """``{field: value}`` of the Params in this group (plain floats, for model code)."""
        return {k: float(v.value) for k, v in self if isinstance(v, Param)}


# ---- nested mappings <-> groups --------------------------------------------------------------


def flatten(obj: BaseModel | dict[str, Any], prefix: str = "") -> dict[str, Param]:
    """``{"cell.electrode_area_cm2": Param, ...}`` for every Param below ``obj``."""
    out: dict[str, Param] = {}
    items = obj.items() if isinstance(obj, dict) else iter(obj)
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, Param):
            out[name] = value
        elif isinstance(value, (BaseModel, dict)):
            out.update(flatten(value, name + "."))
    return out


def to_mapping(obj: BaseModel) -> dict[str, Any]:
    """Nested plain dict (TOML/YAML-ready) where each Param is an inline table."""
    out: dict[str, Any] = {}
    for key, value in obj:
        if isinstance(value, Param):
            out[key] = value.model_dump()
        elif isinstance(value, BaseModel):
            out[key] = to_mapping(value)
        elif isinstance(value, dict):
            out[key] = {k: to_mapping(v) for k, v in value.items()}
        else:
            out[key] = value
    return out


def merge(defaults: dict[str, Any], overrides: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Overlay ``overrides`` on the nested ``defaults`` mapping.

    An override may be a bare number (kind becomes ``user``) or an inline table with any of the
    Param keys. Names that do not exist in ``defaults`` raise :class:`ParameterError` with the
    closest known names.
    """
    out = dict(defaults)
    for key, value in overrides.items():
        name = f"{path}{key}"
        if key not in defaults:
            close = difflib.get_close_matches(key, list(defaults), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(f"unknown parameter {name!r}{hint}")
        base = defaults[key]
        if isinstance(base, dict) and "value" in base and "unit" in base:
            if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
                raise ParameterError(f"parameter {name!r}: expected a number, got {value!r}")
            if isinstance(value, dict):
                unknown = set(value) - set(Param.model_fields)
                if unknown:
                    raise ParameterError(f"parameter {name!r}: unknown key(s) {sorted(unknown)}")
                new = {**base, "kind": "user", "source": "user input", **value}
            else:
                new = {**base, "value": float(value), "kind": "user", "source": "user input"}
            out[key] = new
        elif isinstance(base, dict):
            if not isinstance(value, dict):
                raise ParameterError(f"{name!r} is a group of parameters, not a value")
            out[key] = merge(base, value, name + ".")
        else:
            out[key] = value
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``. Substrate keys like ``ag-cu`` are plain keys."""
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = out
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def validation_message(exc: ValidationError) -> str:
    """One line from a pydantic error: the dotted location and what was expected."""
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"])
    return f"parameter {loc!r}: {err['msg']}"
