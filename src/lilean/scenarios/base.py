"""The pieces every scenario is made of: :class:`Result`, :class:`Output`, :class:`Scenario`.

A *scenario* is one simulated experiment: a keyword function ``simulate(params, substrate, ...)``
whose defaults are the CLI's, the validated inputs derived from that signature
(:attr:`Scenario.inputs`, a pydantic model), the scalar outputs a sweep can keep, the names a fit
of the experiment uses, and the :func:`lilean.api.analyze_data` kind of its table. Scenarios never
run analysis inside the model run; a result may compute it lazily when asked (``summary``).
"""

from __future__ import annotations

import html
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from lilean.errors import ParameterError
from lilean.parameters.set import ParameterSet
from lilean.schema import Metadata


@runtime_checkable
class Result(Protocol):
    """What every simulation result offers.

    ``data``: the canonical table (a :class:`~lilean.schema.CyclingData` or
    :class:`~lilean.eis.ImpedanceData`), ``meta`` its metadata, ``to_dict()`` JSON-ready values
    (key names are a contract with the CLI), ``to_frame()`` the time series / spectrum as a
    DataFrame, ``summary`` the per-cycle (or per-element) table as a DataFrame.
    """

    data: Any

    @property
    def meta(self) -> Metadata: ...

    @property
    def summary(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...

    def to_frame(self) -> pd.DataFrame: ...


class ResultBase:
    """Shared behaviour of the result types: ``meta``, ``to_frame``, short ``repr``, HTML repr."""

    data: Any
    scenario: str = "?"

    def to_dict(self) -> dict[str, Any]:  # every result type defines its own
        raise NotImplementedError

    @property
    def meta(self) -> Metadata:
        meta: Metadata = self.data.meta
        return meta

    def to_frame(self) -> pd.DataFrame:
        """The time series (or spectrum) as a DataFrame (the table of ``data``)."""
        frame: pd.DataFrame = self.data.data
        return frame

    @property
    def summary(self) -> pd.DataFrame:  # overridden where a per-cycle table exists
        scalars = {k: v for k, v in self.to_dict().items() if not isinstance(v, list | dict)}
        return pd.DataFrame([scalars])

    def _describe(self) -> str:
        extra = self.meta.extra if self.meta is not None else {}
        parts = [f"substrate={extra.get('substrate', '?')!r}", f"rows={len(self.to_frame())}"]
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.scenario}: {self._describe()}>"

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        table = self.summary.head(12).to_html(max_cols=12, float_format=lambda x: f"{x:.4g}")
        return f"<div><p><code>{head}</code></p>{table}</div>"


def sim_meta(params: ParameterSet, substrate: str, protocol: dict[str, Any], **kw: Any) -> Metadata:
    """Metadata of a simulated table: instrument ``lilean``, format ``simulation``, the substrate,
    the protocol and ``params.hash()`` in ``extra``."""
    return Metadata(
        instrument="lilean",
        file_format="simulation",
        reader="lilean.simulate",
        extra={"substrate": substrate, "protocol": protocol, "parameter_set_hash": params.hash()},
        **kw,
    )


def none_if_nan(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if np.isfinite(f) else None


@dataclass(frozen=True)
class Output:
    """A named scalar computed from one result (NaN when undefined).

    ``experiments``: the scenarios that declare it; filled by the registry's output view
    (:data:`lilean.scenarios.OUTPUTS`) from the scenarios' ``outputs``."""

    name: str
    experiments: tuple[str, ...]
    func: Callable[[Any], float]
    description: str


def output(name: str, func: Callable[[Any], float], description: str) -> Output:
    """An :class:`Output` whose experiments the registry fills in."""
    return Output(name, (), func, description)


@dataclass(frozen=True)
class Scenario:
    """One simulated experiment (see the module docstring).

    ``simulate(params, substrate, **inputs)`` runs it; ``fit_experiment`` is its name for
    ``lilean fit --experiment`` (None: not fittable), ``fit_residuals`` the measured series its fit
    compares, ``default_free`` the parameters a fit frees by default (relative to
    ``substrates.<s>.``), ``analysis_kind`` the :func:`lilean.api.analyze_data` kind of its table
    (None: not a cycler table).
    """

    name: str
    simulate: Callable[..., Any]
    description: str
    outputs: tuple[Output, ...] = ()
    analysis_kind: str | None = None
    fit_experiment: str | None = None
    fit_residuals: tuple[str, ...] = ()
    default_free: tuple[str, ...] = ()
    sweepable: bool = True
    tags: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.simulate)

    def arguments(self) -> dict[str, inspect.Parameter]:
        """Keyword arguments of ``simulate`` (``params`` excluded)."""
        return {k: v for k, v in self.signature.parameters.items() if k != "params"}

    @cached_property
    def inputs(self) -> Any:
        """A pydantic model of the inputs (types and defaults from ``simulate``'s signature; the
        defaults are the CLI's); unknown names are refused."""
        import pydantic

        hints = typing.get_type_hints(self.simulate)
        fields: dict[str, Any] = {}
        for name, p in self.arguments().items():
            if name == "seed":
                continue
            default = ... if p.default is inspect.Parameter.empty else p.default
            fields[name] = (hints.get(name, Any), default)
        config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True)
        return pydantic.create_model(  # type: ignore[call-overload]
            f"{self.name.title().replace('_', '')}Inputs", __config__=config, **fields
        )

    def validate(self, inputs: Any = None, **kwargs: Any) -> Any:
        """``inputs`` (a dict or an :attr:`inputs` instance) plus ``kwargs`` as an inputs model;
        a bad value raises :class:`~lilean.errors.ParameterError` naming it."""
        import pydantic

        if isinstance(inputs, self.inputs):
            values = {**inputs.model_dump(), **kwargs}
        else:
            values = {**(dict(inputs) if inputs else {}), **kwargs}
        try:
            return self.inputs(**values)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ())) or "inputs"
            raise ParameterError(
                f"scenario {self.name!r}: {where}: {first.get('msg', 'invalid')}"
            ) from None

    def run(self, params: ParameterSet, inputs: Any = None, seed: int = 0) -> Any:
        """Run the scenario on validated ``inputs`` with ``seed`` (ignored by deterministic
        scenarios) and return its result."""
        model = self.validate(inputs)
        kwargs = {k: getattr(model, k) for k in type(model).model_fields}
        if "seed" in self.signature.parameters:
            kwargs["seed"] = seed
        return self.simulate(params, **kwargs)
