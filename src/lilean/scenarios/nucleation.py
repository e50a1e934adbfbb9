"""Scenario ``nucleation``: galvanostatic Li plating onto a bare substrate.

The model is :func:`lilean.models.nucleation.simulate_nucleation`; this module wraps its result for
the CLI's ``to_dict`` and declares the sweep outputs and the fit (``lilean fit -e deposition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lilean.errors import LileanError
from lilean.parameters.set import ParameterSet
from lilean.scenarios.base import ResultBase, Scenario, none_if_nan, output
from lilean.schema import CyclingData

_KEYS = (
    "dip_mV",
    "plateau_mV",
    "nucleation_overpotential_mV",
    "dip_time_s",
    "recovery_time_s",
    "nuclei_density_cm2",
)


@dataclass(frozen=True, repr=False)
class NucleationSimulation(ResultBase):
    """Li deposition on a bare substrate: ``data`` plus the model's ``result``
    (:class:`lilean.models.nucleation.NucleationResult`)."""

    data: CyclingData
    result: Any
    #: the parameter set of the run (for the recovery-time sensitivity in :meth:`to_dict`)
    params: ParameterSet | None = None
    scenario = "nucleation"

    def to_dict(self) -> dict[str, Any]:
        """``substrate``, ``current_density_mA_cm2``, ``dip_mV``, ``plateau_mV``,
        ``nucleation_overpotential_mV``, ``dip_time_s``, ``recovery_time_s``, ``nuclei_density_cm2``,
        the recovery time's sensitivity to its unpinned input (the dip held at each value:
        :func:`lilean.models.nucleation.recovery_time_sensitivity`): ``recovery_time_s_low``,
        ``recovery_time_s_high`` and ``recovery_time_sensitivity`` (the table), and the transient
        itself: ``time_s``, ``potential_mV``."""
        r = self.result
        out: dict[str, Any] = {
            "substrate": r.substrate,
            "current_density_mA_cm2": float(r.current_density_mA_cm2),
        }
        out.update({k: none_if_nan(getattr(r, k)) for k in _KEYS})
        if self.params is not None:
            from lilean.models.nucleation import recovery_time_sensitivity

            try:
                sens = recovery_time_sensitivity(self.params, r.substrate, r.current_density_mA_cm2)
            except LileanError as exc:  # the dip cannot be held over the range: say so
                out["recovery_time_s_low"] = None
                out["recovery_time_s_high"] = None
                out["recovery_time_sensitivity"] = {"error": str(exc)}
            else:
                times = [*sens["recovery_time_s"], float(r.recovery_time_s)]
                out["recovery_time_s_low"] = min(times)
                out["recovery_time_s_high"] = max(times)
                out["recovery_time_sensitivity"] = sens
        out["time_s"] = [float(t) for t in r.time_s]
        out["potential_mV"] = [float(v) for v in r.potential_mV]
        return out

    @property
    def summary(self) -> pd.DataFrame:
        """One row: substrate, current density and the transient's descriptors."""
        d = self.to_dict()
        return pd.DataFrame([{k: v for k, v in d.items() if not isinstance(v, list)}])


def simulate_nucleation(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float = 1.0,
    *,
    duration_s: float | None = None,
    capacity_mAh_cm2: float | None = None,
) -> NucleationSimulation:
    """Galvanostatic Li plating onto a bare substrate (the model is
    :func:`lilean.models.nucleation.simulate_nucleation`; wrapped for the CLI's ``to_dict``)."""
    from lilean.models.nucleation import simulate_nucleation as run

    result = run(
        params,
        substrate,
        current_density_mA_cm2,
        duration_s=duration_s,
        capacity_mAh_cm2=capacity_mAh_cm2,
    )
    return NucleationSimulation(result.data, result, params)


def _nuc(key: str) -> Any:
    def get(result: Any) -> float:
        return float(getattr(result.result, key))

    return get


SCENARIO = Scenario(
    name="nucleation",
    simulate=simulate_nucleation,
    description="Galvanostatic Li deposition on a bare substrate: potential dip and plateau.",
    outputs=(
        output(
            "nucleation_overpotential_mV",
            _nuc("nucleation_overpotential_mV"),
            "dip minus plateau potential, mV",
        ),
        output("dip_mV", _nuc("dip_mV"), "most negative potential, mV"),
        output("plateau_mV", _nuc("plateau_mV"), "growth plateau, mV"),
    ),
    analysis_kind="deposition",
    fit_experiment="deposition",
    fit_residuals=("potential_mV",),
    default_free=(
        "nucleation.contact_angle_deg",
        "nucleation.alloying_exchange_current_density_mA_cm2",
        "nucleation.series_resistance_ohm_cm2",
    ),
)
