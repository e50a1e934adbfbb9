"""Where parameters, protocol and model meet: symmetric cells, full-cell cycling and rate tests.

Every function returns a result object with ``.data`` (a canonical :class:`~lilean.schema.CyclingData`,
``meta.instrument = "lilean"``, ``meta.file_format = "simulation"``, ``meta.extra`` holding the
substrate, the protocol and ``params.hash()``) and ``.to_dict()`` (JSON-ready; the key names are a
contract with the CLI).

* :func:`simulate_nucleation` - Li deposition on a bare substrate (:mod:`lilean.models.nucleation`,
  re-exported here so that the CLI finds every simulation in one module).
* :func:`simulate_symmetric` - Li || Li cells (:mod:`lilean.models.symmetric`), metrics from
  :func:`lilean.analysis.symmetric.analyze_symmetric`.
* :func:`simulate_cycling` - Li || LFP cycling (:mod:`lilean.models.full_cell`) with the study protocol
  (:func:`lilean.protocols.study.full_cell`), per-cycle metrics from
  :func:`lilean.analysis.cycling.cycle_summary`.
* :func:`simulate_rate` - the study's rate test (:func:`lilean.protocols.study.rate_test`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import ParameterError
from lilean.parameters.set import ParameterSet
from lilean.schema import CyclingData, Metadata, build_table

#: initial Li stoichiometry of the pristine LFP (x = 1 is LiFePO4; just below 1 so that the
#: exchange current ~ sqrt(1 - x) is finite). Assumed: as-made LFP is fully lithiated.
INITIAL_LFP_STOICHIOMETRY = 0.995
#: solver steps per nominal CC step (Q_cath / |I|)
DEFAULT_STEPS_PER_HALF_CYCLE = 60


def _meta(params: ParameterSet, substrate: str, protocol: dict[str, Any], **kw: Any) -> Metadata:
    return Metadata(
        instrument="lilean",
        file_format="simulation",
        reader="lilean.simulate",
        extra={"substrate": substrate, "protocol": protocol, "parameter_set_hash": params.hash()},
        **kw,
    )


def _none_if_nan(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if np.isfinite(f) else None


@dataclass(frozen=True)
class NucleationSimulation:
    """Li deposition on a bare substrate: ``data`` plus the model's ``result``
    (:class:`lilean.models.nucleation.NucleationResult`)."""

    data: CyclingData
    result: Any

    def to_dict(self) -> dict[str, Any]:
        """``substrate``, ``current_density_mA_cm2``, ``dip_mV``, ``plateau_mV``,
        ``nucleation_overpotential_mV``, ``dip_time_s``, ``recovery_time_s``, ``nuclei_density_cm2``,
        and the transient itself: ``time_s``, ``potential_mV``."""
        r = self.result
        keys = (
            "dip_mV",
            "plateau_mV",
            "nucleation_overpotential_mV",
            "dip_time_s",
            "recovery_time_s",
            "nuclei_density_cm2",
        )
        out: dict[str, Any] = {
            "substrate": r.substrate,
            "current_density_mA_cm2": float(r.current_density_mA_cm2),
        }
        out.update({k: _none_if_nan(getattr(r, k)) for k in keys})
        out["time_s"] = [float(t) for t in r.time_s]
        out["potential_mV"] = [float(v) for v in r.potential_mV]
        return out


def simulate_nucleation(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float,
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
    return NucleationSimulation(result.data, result)


# ---- symmetric cells --------------------------------------------------------------------------


@dataclass(frozen=True)
class SymmetricSimulation:
    """A simulated symmetric cell: table, per-cycle metrics and final electrode states."""

    data: CyclingData
    result: Any  # lilean.analysis.symmetric.SymmetricResult
    we_states: np.ndarray
    ce_states: np.ndarray
    electrolyte: dict[str, Any] = field(default_factory=dict)  # lilean.models.electrolyte

    def to_dict(self) -> dict[str, Any]:
        """``cycle``, ``polarization_mV`` (per cycle), ``short_circuit_h``, ``failure_h``,
        ``electrolyte`` (state at the end, :func:`lilean.models.electrolyte.electrolyte_state`)."""
        cycles = [c for c in self.result.cycles if c.polarization_mV is not None]
        return {
            "cycle": [int(c.cycle) for c in cycles],
            "polarization_mV": [float(c.polarization_mV) for c in cycles],
            "short_circuit_h": _none_if_nan(self.result.short_circuit_h),
            "failure_h": _none_if_nan(self.result.failure_h),
            "electrolyte": self.electrolyte,
        }


def simulate_symmetric(
    params: ParameterSet,
    substrate: str,
    current_density_mA_cm2: float,
    areal_capacity_mAh_cm2: float,
    hours: float,
    *,
    seed: int = 0,
) -> SymmetricSimulation:
    """Symmetric Li-substrate || Li-substrate cell, both electrodes made by electrodepositing
    ``cell.li_inventory_mAh_cm2`` at ``cell.li_deposition_current_density_mA_cm2`` (simulated, with
    its losses); the working electrode is stripped first (positive current)."""
    from lilean.analysis.symmetric import analyze_symmetric
    from lilean.models.symmetric import run_symmetric

    cell = params.cell
    anode = params.substrate(substrate).anode
    area = cell.electrode_area_cm2.value
    trace = run_symmetric(
        anode,
        li_mAh_cm2=cell.li_inventory_mAh_cm2.value,
        current_density_mA_cm2=current_density_mA_cm2,
        areal_capacity_mAh_cm2=areal_capacity_mAh_cm2,
        hours=hours,
        separator_thickness_um=cell.separator_thickness_um.value,
        temperature_C=cell.temperature_C.value,
        seed=seed,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
    )
    table = build_table(
        trace.time_s, trace.voltage_V, trace.current_density_mA_cm2 * area * 1e-3, cycle=trace.cycle
    )
    protocol = {
        "kind": "symmetric",
        "current_density_mA_cm2": current_density_mA_cm2,
        "areal_capacity_mAh_cm2": areal_capacity_mAh_cm2,
        "hours": hours,
        "seed": seed,
    }
    data = CyclingData(table, _meta(params, substrate, protocol, area_cm2=area))
    from lilean.models.electrolyte import electrolyte_state

    sei = float(trace.we_states[-1][2] + trace.ce_states[-1][2]) if len(trace.we_states) else 0.0
    elyte = electrolyte_state(params, sei)
    return SymmetricSimulation(
        data, analyze_symmetric(data), trace.we_states, trace.ce_states, elyte
    )


# ---- full cells -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FullCellRun:
    """Raw output of one full-cell run: the table, per-step Li pools and per-cycle kernel sums."""

    data: CyclingData
    pools: pd.DataFrame  # per recorded row: Li pools in mAh/cm^2
    cycles: pd.DataFrame  # per protocol cycle: exact capacities and end-of-cycle pools (mAh/cm^2)
    initial_li_mAh_cm2: float
    active_mass_mg: float


def run_experiment(
    params: ParameterSet,
    substrate: str,
    experiment: Any,
    *,
    cathode_loading_mAh_cm2: float,
    li_inventory_mAh_cm2: float,
    seed: int = 0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
    protocol_info: dict[str, Any] | None = None,
) -> FullCellRun:
    """Run a :class:`lilean.protocols.Experiment` on a Li-substrate || LFP cell.

    The anode is made by electrodepositing ``li_inventory_mAh_cm2`` onto the bare substrate at
    ``cell.li_deposition_current_density_mA_cm2`` (simulated with its losses, as in the study); the
    Li balance is counted from the assembled cell."""
    from lilean.models import cathode as cat
    from lilean.models.anode import anode_parameter_vector, initial_anode_state
    from lilean.models.full_cell import (
        CYC_ACT_END,
        CYC_CATH_CAP,
        CYC_CHARGE,
        CYC_DEAD_END,
        CYC_DISCHARGE,
        CYC_R_INT,
        CYC_SEI_END,
        CYC_SHORT,
        CYC_SOFT_SHORTS,
        CYC_V_CHARGE,
        CYC_V_DISCHARGE,
        N_CYC,
        N_REC,
        REC_ACT,
        REC_CATH,
        REC_CYCLE,
        REC_DEAD,
        REC_I,
        REC_LAM,
        REC_SEI,
        REC_STEP,
        REC_TIME,
        REC_V,
        run_full_cell,
    )

    for name, value in (
        ("cathode_loading_mAh_cm2", cathode_loading_mAh_cm2),
        ("li_inventory_mAh_cm2", li_inventory_mAh_cm2),
    ):
        if not (np.isfinite(value) and value > 0):
            raise ParameterError(f"{name} = {value}, expected > 0")
    cell = params.cell
    area = cell.electrode_area_cm2.value
    anode = params.substrate(substrate).anode
    rng = np.random.default_rng(seed)
    pa = anode_parameter_vector(anode, temperature_C=cell.temperature_C.value)
    sa = initial_anode_state(
        anode,
        li_inventory_mAh_cm2,
        rng,
        separator_thickness_um=cell.separator_thickness_um.value,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
        temperature_C=cell.temperature_C.value,
    )
    pc = cat.cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    sc = cat.initial_state(pc, INITIAL_LFP_STOICHIOMETRY)
    compiled = experiment.compile(capacity_mAh=cathode_loading_mAh_cm2 * area, area_cm2=area)
    to_density = 1e3 / area  # A -> mA/cm^2
    n_cycles = int(compiled.cycle.max())
    cap = compiled.n_steps * (3 * steps_per_half_cycle + 80) + 16
    rec = np.zeros((cap, N_REC))
    cyc = np.zeros((n_cycles, N_CYC))
    cath_li0 = float(cat.cathode_stoichiometry(sc, pc) * cat.cathode_capacity_mAh(pc, 1.0))
    initial_li = float(sa[0] + sa[1] + sa[2]) + cath_li0
    n = run_full_cell(
        sa,
        pa,
        sc,
        pc.copy(),
        compiled.cycle.astype(np.int64),
        compiled.mode.astype(np.int64),
        compiled.current_A * to_density,
        compiled.voltage_V.astype(float),
        compiled.duration_s.astype(float),
        compiled.v_upper_V.astype(float),
        compiled.v_lower_V.astype(float),
        compiled.i_cutoff_A * to_density,
        compiled.capacity_cutoff_mAh / area,
        int(steps_per_half_cycle),
        rec,
        cyc,
    )
    rec = rec[:n]
    table = build_table(
        rec[:, REC_TIME],
        rec[:, REC_V],
        rec[:, REC_I] * area * 1e-3,
        cycle=rec[:, REC_CYCLE].astype(np.int64),
        step=rec[:, REC_STEP].astype(np.int64),
    )
    mass_mg = cathode_loading_mAh_cm2 * area / cell.lfp_specific_capacity_mAh_g.value * 1e3
    meta = _meta(
        params,
        substrate,
        {
            **(protocol_info or {}),
            "steps": list(compiled.texts),
            "cathode_loading_mAh_cm2": cathode_loading_mAh_cm2,
            "li_inventory_mAh_cm2": li_inventory_mAh_cm2,
            "seed": seed,
        },
        area_cm2=area,
        active_mass_mg=mass_mg,
    )
    pools = pd.DataFrame(
        {
            "Time [s]": rec[:, REC_TIME],
            "Active Li [mAh/cm2]": rec[:, REC_ACT],
            "Dead Li [mAh/cm2]": rec[:, REC_DEAD],
            "SEI Li [mAh/cm2]": rec[:, REC_SEI],
            "Cathode Li [mAh/cm2]": rec[:, REC_CATH],
            "Li in lost LFP [mAh/cm2]": rec[:, REC_LAM],
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        v_ch = np.where(cyc[:, CYC_CHARGE] > 0, cyc[:, CYC_V_CHARGE] / cyc[:, CYC_CHARGE], np.nan)
        v_dis = np.where(
            cyc[:, CYC_DISCHARGE] > 0, cyc[:, CYC_V_DISCHARGE] / cyc[:, CYC_DISCHARGE], np.nan
        )
    cycles = pd.DataFrame(
        {
            "Cycle": np.arange(1, n_cycles + 1),
            "Charge capacity [mAh/cm2]": cyc[:, CYC_CHARGE],
            "Discharge capacity [mAh/cm2]": cyc[:, CYC_DISCHARGE],
            "Mean charge voltage [V]": v_ch,
            "Mean discharge voltage [V]": v_dis,
            "Active Li [mAh/cm2]": cyc[:, CYC_ACT_END],
            "Dead Li [mAh/cm2]": cyc[:, CYC_DEAD_END],
            "SEI Li [mAh/cm2]": cyc[:, CYC_SEI_END],
            "Cathode capacity [mAh/cm2]": cyc[:, CYC_CATH_CAP],
            "Shorted": cyc[:, CYC_SHORT] > 0,
            "Soft shorts": cyc[:, CYC_SOFT_SHORTS].astype(np.int64),
            "Anode interface resistance [ohm cm2]": cyc[:, CYC_R_INT],
        }
    )
    return FullCellRun(CyclingData(table, meta), pools, cycles, initial_li, mass_mg)


@dataclass(frozen=True)
class CyclingSimulation:
    """Full-cell cycling: ``data`` (time series), ``summary`` (per cycle, after formation)."""

    data: CyclingData
    summary: pd.DataFrame
    formation_cycles: int
    run: FullCellRun = field(repr=False)
    electrolyte: dict[str, Any] = field(default_factory=dict)  # lilean.models.electrolyte

    def to_dict(self) -> dict[str, Any]:
        """``cycle``, ``discharge_capacity_mAh_g``, ``charge_capacity_mAh_g``,
        ``coulombic_efficiency``, ``retention_percent`` (last / first x 100), ``li_remaining_mAh_cm2``
        over the cycles after formation (cycle 1 = first cycle after formation)."""
        s = self.summary
        dis = s["Discharge capacity [mAh/g]"].to_numpy(dtype=float)
        retention = float(100.0 * dis[-1] / dis[0]) if dis.size and dis[0] > 0 else None
        return {
            "cycle": [int(c) for c in s["Cycle"]],
            "discharge_capacity_mAh_g": [float(x) for x in dis],
            "charge_capacity_mAh_g": [float(x) for x in s["Charge capacity [mAh/g]"]],
            "coulombic_efficiency": [_none_if_nan(x) for x in s["Coulombic efficiency"]],
            "retention_percent": retention,
            "li_remaining_mAh_cm2": [float(x) for x in s["Active Li [mAh/cm2]"]],
            "electrolyte": self.electrolyte,
        }


def _summary(run: FullCellRun, first_cycle: int) -> pd.DataFrame:
    """Per-cycle table from :func:`lilean.analysis.cycling.cycle_summary` plus the Li pools."""
    from lilean.analysis.cycling import cycle_summary

    summary = cycle_summary(
        run.data, active_mass_mg=run.active_mass_mg, ce_convention="discharge/charge"
    )
    merged = summary.merge(
        run.cycles[
            [
                "Cycle",
                "Active Li [mAh/cm2]",
                "Dead Li [mAh/cm2]",
                "SEI Li [mAh/cm2]",
                "Shorted",
                "Anode interface resistance [ohm cm2]",
            ]
        ],
        on="Cycle",
        how="left",
    )
    out = merged[merged["Cycle"] >= first_cycle].copy()
    out.insert(1, "Protocol cycle", out["Cycle"])
    out["Cycle"] = out["Cycle"] - first_cycle + 1
    q0 = float(out["Discharge capacity [mAh]"].iloc[0]) if len(out) else float("nan")
    out["Retention [%]"] = 100.0 * out["Discharge capacity [mAh]"] / q0 if q0 > 0 else np.nan
    return out.reset_index(drop=True)


def simulate_cycling(
    params: ParameterSet,
    substrate: str,
    *,
    cathode_loading_mAh_cm2: float,
    li_inventory_mAh_cm2: float,
    c_rate: float,
    cycles: int,
    formation_cycles: int = 3,
    formation_c_rate: float = 0.5,
    seed: int = 0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
) -> CyclingSimulation:
    """Li-substrate || LFP cycling with the study protocol (CC charge to ``cell.upper_cutoff_V``,
    CC discharge to ``cell.lower_cutoff_V``), ``formation_cycles`` at ``formation_c_rate`` first."""
    from lilean.protocols.study import full_cell

    experiment = full_cell(
        c_rate,
        cycles,
        formation_cycles=formation_cycles,
        formation_c_rate=formation_c_rate,
        v_lower=params.cell.lower_cutoff_V.value,
        v_upper=params.cell.upper_cutoff_V.value,
    )
    info = {
        "kind": "full_cell",
        "c_rate": c_rate,
        "cycles": cycles,
        "formation_cycles": formation_cycles,
        "formation_c_rate": formation_c_rate,
    }
    run = run_experiment(
        params,
        substrate,
        experiment,
        cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
        li_inventory_mAh_cm2=li_inventory_mAh_cm2,
        seed=seed,
        steps_per_half_cycle=steps_per_half_cycle,
        protocol_info=info,
    )
    from lilean.models.electrolyte import electrolyte_state

    sei = float(run.cycles["SEI Li [mAh/cm2]"].iloc[-1]) if len(run.cycles) else 0.0
    elyte = electrolyte_state(params, sei)
    return CyclingSimulation(
        run.data, _summary(run, formation_cycles + 1), formation_cycles, run, elyte
    )


@dataclass(frozen=True)
class RateSimulation:
    """The study's rate test: ``table`` has one row per C-rate block."""

    data: CyclingData
    table: pd.DataFrame
    summary: pd.DataFrame
    run: FullCellRun = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``c_rate`` and ``discharge_capacity_mAh_g`` (mean of each block)."""
        return {
            "c_rate": [float(c) for c in self.table["C-rate"]],
            "discharge_capacity_mAh_g": [
                float(q) for q in self.table["Discharge capacity [mAh/g]"]
            ],
        }


def simulate_rate(
    params: ParameterSet,
    substrate: str,
    *,
    cathode_loading_mAh_cm2: float,
    li_inventory_mAh_cm2: float,
    c_rates: tuple[float, ...] = (0.5, 1, 2, 3, 4, 5),
    seed: int = 0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
) -> RateSimulation:
    """Rate test: 3 cycles at ``c_rates[0]``, 5 at each further rate, then 5 back at 1C (the study's
    protocol, :func:`lilean.protocols.study.rate_test`); one row per block, the final 1C block
    included (its ``C-rate`` is 1)."""
    from lilean.protocols.study import rate_test

    experiment = rate_test(
        tuple(c_rates),
        v_lower=params.cell.lower_cutoff_V.value,
        v_upper=params.cell.upper_cutoff_V.value,
    )
    plan = [(c_rates[0], 3)] + [(c, 5) for c in c_rates[1:]] + [(1.0, 5)]
    run = run_experiment(
        params,
        substrate,
        experiment,
        cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
        li_inventory_mAh_cm2=li_inventory_mAh_cm2,
        seed=seed,
        steps_per_half_cycle=steps_per_half_cycle,
        protocol_info={"kind": "rate_test", "c_rates": list(c_rates)},
    )
    summary = _summary(run, 1)
    rows = []
    start = 0
    for block, (c, n) in enumerate(plan, start=1):
        part = summary.iloc[start : start + n]
        start += n
        rows.append(
            {
                "Block": block,
                "C-rate": float(c),
                "Cycles": [int(x) for x in part["Cycle"]],
                "Discharge capacity [mAh/g]": float(part["Discharge capacity [mAh/g]"].mean()),
            }
        )
    return RateSimulation(run.data, pd.DataFrame(rows), summary, run)


# ---- impedance spectra from the twin's state (issue 5) ------------------------------------------


@dataclass(frozen=True)
class EISSimulation:
    """A simulated impedance spectrum and the elements that produced it.

    ``data`` holds the spectrum in Ohm (area-specific values divided by ``cell.electrode_area_cm2``);
    ``elements`` the element values with their units in the key names (area-specific, per geometric
    cm^2; see :mod:`lilean.models.impedance`), plus the state they were computed from.
    """

    data: Any  # lilean.io.eis.ImpedanceData
    elements: dict[str, float]
    substrate: str
    cell: str
    cycles: int
    state_of_charge: float

    @property
    def interfacial_resistance_ohm_cm2(self) -> float:
        """Sum of the arcs' resistances: anode ``R_SEI + R_ct`` (both electrodes of a symmetric
        cell) plus, in a full cell, the LFP ``R_ct`` [ohm cm^2]."""
        return float(self.elements["interfacial_resistance_ohm_cm2"])

    def to_dict(self) -> dict[str, Any]:
        """``substrate``, ``cell``, ``cycles``, ``state_of_charge``, ``frequency_Hz``,
        ``z_real_ohm``, ``z_imag_ohm`` and ``elements`` (name with unit -> value)."""
        f, z = self.data.to_impedance_arrays()
        return {
            "substrate": self.substrate,
            "cell": self.cell,
            "cycles": int(self.cycles),
            "state_of_charge": float(self.state_of_charge),
            "frequency_Hz": [float(x) for x in f],
            "z_real_ohm": [float(x) for x in z.real],
            "z_imag_ohm": [float(x) for x in z.imag],
            "elements": {k: _none_if_nan(v) for k, v in self.elements.items()},
        }


def _eis_frequencies(frequencies_Hz: Any) -> np.ndarray:
    from lilean.models.impedance import DEFAULT_FREQUENCIES_HZ

    if frequencies_Hz is None:
        return DEFAULT_FREQUENCIES_HZ.copy()
    f = np.asarray(frequencies_Hz, dtype=float).ravel()
    if f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise ParameterError("frequencies_Hz: expected a non-empty list of finite values > 0 Hz")
    return f


def _full_cell_states(
    params: ParameterSet,
    substrate: str,
    *,
    cycles: int,
    cathode_loading_mAh_cm2: float,
    li_inventory_mAh_cm2: float,
    c_rate: float,
    state_of_charge: float,
    seed: int,
    formation_cycles: int,
    formation_c_rate: float,
    steps_per_half_cycle: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, dict[str, float]]:
    """Anode state, anode and cathode parameter vectors and LFP stoichiometry after ``cycles``.

    The twin is cycled (:func:`simulate_cycling`, same seed); the end-of-cycle Li pools and the
    remaining LFP capacity of the last cycle define the state; the heterogeneity factor is the one
    the run drew (same seed, same draw). The cell, discharged at the end of its last cycle, is then
    charged without loss by ``state_of_charge`` x its last discharge capacity (SOC of the aged cell)
    and relaxed (uniform particle, electrolyte at its initial concentration). With no cycles at all
    (``cycles = formation_cycles = 0``) it is the as-assembled cell (pristine LFP at
    :data:`INITIAL_LFP_STOICHIOMETRY`, SOC relative to the nominal capacity).
    """
    from lilean.models import cathode as cat
    from lilean.models.anode import (
        S_ACT,
        S_DEAD,
        S_SEI,
        S_SHORT,
        anode_parameter_vector,
        initial_anode_state,
    )

    if not (np.isfinite(li_inventory_mAh_cm2) and li_inventory_mAh_cm2 > 0):
        raise ParameterError(f"li_inventory_mAh_cm2 = {li_inventory_mAh_cm2}, expected > 0")
    cell = params.cell
    anode = params.substrate(substrate).anode
    pa = anode_parameter_vector(anode, temperature_C=cell.temperature_C.value)
    sa = initial_anode_state(
        anode,
        li_inventory_mAh_cm2,
        np.random.default_rng(seed),
        separator_thickness_um=cell.separator_thickness_um.value,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
        temperature_C=cell.temperature_C.value,
    )
    pc = cat.cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    q_cath0 = cat.cathode_capacity_mAh(pc, 1.0)
    if cycles + formation_cycles == 0:  # as assembled: pristine LFP, nothing cycled yet
        q_cath = q_cath0
        x_end = INITIAL_LFP_STOICHIOMETRY
        q_dis = min(cathode_loading_mAh_cm2, q_cath0)  # nominal capacity
    else:
        sim = simulate_cycling(
            params,
            substrate,
            cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
            li_inventory_mAh_cm2=li_inventory_mAh_cm2,
            c_rate=c_rate,
            cycles=cycles,
            formation_cycles=formation_cycles,
            formation_c_rate=formation_c_rate,
            seed=seed,
            steps_per_half_cycle=steps_per_half_cycle,
        )
        last = sim.run.cycles.iloc[-1]
        sa[S_ACT] = float(last["Active Li [mAh/cm2]"])
        sa[S_DEAD] = float(last["Dead Li [mAh/cm2]"])
        sa[S_SEI] = float(last["SEI Li [mAh/cm2]"])
        sa[S_SHORT] = 1.0 if bool(last["Shorted"]) else 0.0
        q_cath = float(last["Cathode capacity [mAh/cm2]"])
        pc[cat.IDX_EPS_S] *= q_cath / q_cath0  # active-material loss so far
        x_end = float(sim.run.pools["Cathode Li [mAh/cm2]"].iloc[-1]) / q_cath
        q_dis = float(last["Discharge capacity [mAh/cm2]"])
    x_min = 1e-3
    dq = min(state_of_charge * q_dis, max(x_end - x_min, 0.0) * q_cath)
    x = min(max(x_end - dq / q_cath, x_min), 1.0 - x_min)
    sa[S_ACT] += dq
    state = {
        "active_li_mAh_cm2": float(sa[S_ACT]),
        "dead_li_mAh_cm2": float(sa[S_DEAD]),
        "sei_li_mAh_cm2": float(sa[S_SEI]),
        "cathode_capacity_mAh_cm2": q_cath,
        "last_discharge_capacity_mAh_cm2": q_dis,
        "shorted": float(sa[S_SHORT]),
    }
    return sa, pa, pc, x, state


def simulate_eis(
    params: ParameterSet,
    substrate: str,
    *,
    cycles: int,
    cathode_loading_mAh_cm2: float = 0.4,
    li_inventory_mAh_cm2: float = 10.0,
    c_rate: float = 1.0,
    cell: str = "full",
    frequencies_Hz: Any = None,
    state_of_charge: float = 0.5,
    seed: int = 0,
    formation_cycles: int = 3,
    formation_c_rate: float = 0.5,
    symmetric_current_density_mA_cm2: float = 1.0,
    symmetric_capacity_mAh_cm2: float = 1.0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
) -> EISSimulation:
    """Impedance spectrum of the twin after ``cycles`` cycles (0 = fresh cell after formation).

    ``cell="full"``: Li-substrate || LFP, cycled with :func:`simulate_cycling` (``c_rate``,
    ``formation_cycles`` at ``formation_c_rate``), then brought to ``state_of_charge`` (0 = as
    discharged, 1 = charged by its last discharge capacity; see :func:`_full_cell_states`).
    ``cell="symmetric"``: Li-substrate || Li-substrate (``li_inventory_mAh_cm2`` on each), ``cycles`` plating/stripping cycles of
    ``symmetric_capacity_mAh_cm2`` per half-cycle at ``symmetric_current_density_mA_cm2``
    (:func:`lilean.models.symmetric.run_symmetric`, same seed), both electrodes' states.
    Elements and equations: :mod:`lilean.models.impedance`. ``frequencies_Hz`` defaults to the
    study's 1e5 .. 1e-2 Hz, 10 per decade. The spectrum is in Ohm (``cell.electrode_area_cm2``).
    """
    from lilean.io.eis import IMPEDANCE_CONVENTION, ImpedanceData
    from lilean.models import impedance as imp
    from lilean.models.anode import P_RSHORT, S_SHORT, anode_parameter_vector, initial_anode_state

    if isinstance(cycles, bool) or int(cycles) != cycles or cycles < 0:
        raise ParameterError(f"cycles = {cycles!r}, expected an integer >= 0")
    cycles = int(cycles)
    if not (np.isfinite(state_of_charge) and 0.0 <= state_of_charge <= 1.0):
        raise ParameterError(f"state_of_charge = {state_of_charge}, expected 0 <= SOC <= 1")
    if cell not in ("full", "symmetric"):
        raise ParameterError(f"cell = {cell!r}, expected 'full' or 'symmetric'")
    f = _eis_frequencies(frequencies_Hz)
    area = params.cell.electrode_area_cm2.value
    anode = params.substrate(substrate).anode
    elements: dict[str, float] = {}
    if cell == "full":
        sa, pa, pc, x, state = _full_cell_states(
            params,
            substrate,
            cycles=cycles,
            cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
            li_inventory_mAh_cm2=li_inventory_mAh_cm2,
            c_rate=c_rate,
            state_of_charge=state_of_charge,
            seed=seed,
            formation_cycles=formation_cycles,
            formation_c_rate=formation_c_rate,
            steps_per_half_cycle=steps_per_half_cycle,
        )
        an = imp.anode_elements(anode, sa, pa)
        ca = imp.cathode_elements(params, pc, x)
        r_short = float(pa[P_RSHORT]) if sa[S_SHORT] > 0 else None
        z = imp.full_cell_impedance_ohm_cm2(f, an, ca, r_short_ohm_cm2=r_short)
        elements.update({f"state_{k}": v for k, v in state.items()})
        elements.update(an.to_dict("anode_"))
        elements.update(ca.to_dict("cathode_"))
        elements["interfacial_resistance_ohm_cm2"] = (
            an.R_SEI_ohm_cm2 + an.R_ct_ohm_cm2 + ca.R_ct_ohm_cm2
        )
        elements["anode_interfacial_resistance_ohm_cm2"] = an.R_SEI_ohm_cm2 + an.R_ct_ohm_cm2
        elements["high_frequency_resistance_ohm_cm2"] = ca.R_ohmic_ohm_cm2 + an.R_dead_ohm_cm2
    else:
        if li_inventory_mAh_cm2 != params.cell.li_inventory_mAh_cm2.value:
            params = params.replace({"cell.li_inventory_mAh_cm2": li_inventory_mAh_cm2})
        cell_p = params.cell
        pa = anode_parameter_vector(anode, temperature_C=cell_p.temperature_C.value)
        if cycles == 0:
            rng = np.random.default_rng(seed)
            kw: dict[str, Any] = {
                "separator_thickness_um": cell_p.separator_thickness_um.value,
                "deposition_current_density_mA_cm2": (
                    cell_p.li_deposition_current_density_mA_cm2.value
                ),
                "temperature_C": cell_p.temperature_C.value,
            }
            we = initial_anode_state(anode, cell_p.li_inventory_mAh_cm2.value, rng, **kw)
            ce = initial_anode_state(anode, cell_p.li_inventory_mAh_cm2.value, rng, **kw)
        else:
            j = float(symmetric_current_density_mA_cm2)
            q = float(symmetric_capacity_mAh_cm2)
            if not (j > 0 and q > 0):
                raise ParameterError(
                    "symmetric cell: current density and capacity per half-cycle must be > 0, "
                    f"got {j} mA/cm^2, {q} mAh/cm^2"
                )
            sym = simulate_symmetric(params, substrate, j, q, 2.0 * cycles * q / j, seed=seed)
            we, ce = sym.we_states[-1].copy(), sym.ce_states[-1].copy()
        we_el = imp.anode_elements(anode, we, pa)
        ce_el = imp.anode_elements(anode, ce, pa)
        r_sep, diffusion = imp.symmetric_separator_elements(params, anode)
        shorted = we[S_SHORT] > 0 or ce[S_SHORT] > 0
        r_short = float(pa[P_RSHORT]) if shorted else None
        z = imp.symmetric_cell_impedance_ohm_cm2(
            f, we_el, ce_el, r_sep, diffusion, r_short_ohm_cm2=r_short
        )
        elements.update(we_el.to_dict("working_"))
        elements.update(ce_el.to_dict("counter_"))
        elements["separator_resistance_ohm_cm2"] = r_sep
        elements["R_diffusion_electrolyte_ohm_cm2"] = (
            imp.electrolyte_resistance_symmetric_ohm_m2(**diffusion) * 1e4
        )
        elements["shorted"] = 1.0 if shorted else 0.0
        elements["interfacial_resistance_ohm_cm2"] = (
            we_el.R_SEI_ohm_cm2 + we_el.R_ct_ohm_cm2 + ce_el.R_SEI_ohm_cm2 + ce_el.R_ct_ohm_cm2
        )
        elements["high_frequency_resistance_ohm_cm2"] = (
            r_sep + we_el.R_dead_ohm_cm2 + ce_el.R_dead_ohm_cm2
        )
    elements["electrode_area_cm2"] = area
    meta = _meta(
        params,
        substrate,
        {
            "kind": f"eis_{cell}",
            "cycles": cycles,
            "state_of_charge": state_of_charge,
            "c_rate": c_rate,
            "cathode_loading_mAh_cm2": cathode_loading_mAh_cm2,
            "li_inventory_mAh_cm2": li_inventory_mAh_cm2,
            "seed": seed,
        },
        area_cm2=area,
    )
    meta = meta.model_copy(update={"sign_convention": IMPEDANCE_CONVENTION})
    data = ImpedanceData.from_arrays(f, z / area, meta=meta)
    return EISSimulation(data, elements, substrate, cell, cycles, float(state_of_charge))
