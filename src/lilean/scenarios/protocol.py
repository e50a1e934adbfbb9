"""Scenario ``protocol``: any :class:`lilean.protocols.Experiment` on a Li-substrate || LFP cell.

:func:`run_experiment` is the one full-cell runner that ``cycling`` and ``rate`` build on; the
kernel's record layout (:mod:`lilean.models.full_cell`) is unpacked here into named columns, so no
kernel index leaves this module. :data:`FULL_CELL_OUTPUTS` are the sweep outputs every full-cell
scenario with a per-cycle ``summary`` shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import LileanError, ParameterError
from lilean.parameters.set import ParameterSet
from lilean.scenarios.base import ResultBase, Scenario, output, sim_meta
from lilean.schema import CyclingData, build_table

#: initial Li stoichiometry of the pristine LFP (x = 1 is LiFePO4; just below 1 so that the
#: exchange current ~ sqrt(1 - x) is finite). Assumed: as-made LFP is fully lithiated.
INITIAL_LFP_STOICHIOMETRY = 0.995
#: solver steps per nominal CC step (Q_cath / |I|)
DEFAULT_STEPS_PER_HALF_CYCLE = 60


@dataclass(frozen=True, repr=False)
class FullCellRun(ResultBase):
    """Raw output of one full-cell run: the table, per-step Li pools and per-cycle kernel sums."""

    data: CyclingData
    pools: pd.DataFrame  # per recorded row: Li pools in mAh/cm^2
    cycles: pd.DataFrame  # per protocol cycle: exact capacities and end-of-cycle pools (mAh/cm^2)
    initial_li_mAh_cm2: float
    active_mass_mg: float
    #: electrolyte state at the end (:func:`lilean.models.electrolyte.electrolyte_state_from_fractions`)
    electrolyte: dict[str, Any] = field(default_factory=dict)
    scenario = "protocol"

    @property
    def summary(self) -> pd.DataFrame:
        """Per cycle after formation (none unless the table labels some): the analysis summary
        of ``data`` plus the Li pools (:func:`full_cell_summary`; the same
        cycle numbers and retention as ``analyze_data(self.data)``). The kernel's exact per-cycle
        sums in mAh/cm^2 are :attr:`cycles`."""
        return full_cell_summary(self)

    def to_dict(self) -> dict[str, Any]:
        """``cycle``, ``charge_capacity_mAh_cm2``, ``discharge_capacity_mAh_cm2``,
        ``li_remaining_mAh_cm2`` (per protocol cycle), ``initial_li_mAh_cm2`` and ``electrolyte`` (its
        state at the end)."""
        c = self.cycles
        return {
            "cycle": [int(x) for x in c["Cycle"]],
            "charge_capacity_mAh_cm2": [float(x) for x in c["Charge capacity [mAh/cm2]"]],
            "discharge_capacity_mAh_cm2": [float(x) for x in c["Discharge capacity [mAh/cm2]"]],
            "li_remaining_mAh_cm2": [float(x) for x in c["Active Li [mAh/cm2]"]],
            "initial_li_mAh_cm2": float(self.initial_li_mAh_cm2),
            "electrolyte": self.electrolyte,
        }


def full_cell_summary(run: FullCellRun, first_cycle: int | None = None) -> pd.DataFrame:
    """Per-cycle table after formation: :func:`lilean.analysis.cycling.cycle_summary` of the run's
    table (``after_formation``: ``Cycle`` 1 = first cycle after formation, ``Protocol cycle`` the
    table's index, retention against the first complete cycle after formation -- exactly what
    ``analyze_data(run.data)`` reports) plus the kernel's Li pools per cycle.

    Formation cycles are the table's ``Cycle label == "formation"`` rows; ``first_cycle`` (the
    first protocol cycle after formation) overrides that for tables without labels."""
    from lilean.analysis.cycling import after_formation, cycle_summary

    summary = cycle_summary(
        run.data,
        active_mass_mg=run.active_mass_mg,
        ce_convention="auto",  # what analyze_data uses; a full cell charges first: discharge/charge
        formation_cycles=None if first_cycle is None else max(int(first_cycle) - 1, 0),
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
    merged.attrs = dict(summary.attrs)
    return after_formation(merged)


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
    plateau_substeps: int | None = None,
) -> FullCellRun:
    """Run a :class:`lilean.protocols.Experiment` on a Li-substrate || LFP cell.

    The anode is made by electrodepositing ``li_inventory_mAh_cm2`` onto the bare substrate at
    ``cell.li_deposition_current_density_mA_cm2`` (simulated with its losses, as in the study); the
    Li balance is counted from the assembled cell. ``plateau_substeps``: sub-steps per cathode
    step on the voltage plateau (:data:`lilean.models.full_cell.PLATEAU_SUBSTEPS` when None; 1:
    the cathode takes every sub-step)."""
    from lilean.models import cathode as cat
    from lilean.models.anode import (
        S_ACT,
        S_DEAD,
        S_SALT,
        S_SEI,
        S_SOLV,
        anode_parameter_vector,
        initial_anode_state,
    )
    from lilean.models.electrolyte import electrolyte_capacity, electrolyte_state_from_fractions
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
        PLATEAU_SUBSTEPS,
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
        record_rows,
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
    pc = cat.cathode_parameter_vector(params, cathode_loading_mAh_cm2=cathode_loading_mAh_cm2)
    electrolyte_kw = {
        "cathode_thickness_um": float(pc[cat.IDX_L_P]) * 1e6,
        "cathode_porosity": params.cathode.porosity.value,
    }
    pa = anode_parameter_vector(
        anode,
        temperature_C=cell.temperature_C.value,
        separator_thickness_um=cell.separator_thickness_um.value,
        electrolyte=electrolyte_capacity(params, **electrolyte_kw),
    )
    sa = initial_anode_state(
        anode,
        li_inventory_mAh_cm2,
        rng,
        separator_thickness_um=cell.separator_thickness_um.value,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
        temperature_C=cell.temperature_C.value,
    )
    sc = cat.initial_state(pc, INITIAL_LFP_STOICHIOMETRY)
    compiled = experiment.compile(capacity_mAh=cathode_loading_mAh_cm2 * area, area_cm2=area)
    to_density = 1e3 / area  # A -> mA/cm^2
    n_cycles = int(compiled.cycle.max())
    # rows the kernel may write (models.full_cell.record_rows: CC, adaptive CV, rest), never less
    # than the historical size; a full buffer is refused below, never a silently cut table
    cap = max(
        compiled.n_steps * (3 * steps_per_half_cycle + 80) + 16,
        record_rows(compiled.mode, int(steps_per_half_cycle)),
    )
    # not cleared: the kernel writes every column of each row it records, and only those rows are
    # read (rec[:n]); zeroing the whole buffer cost ~0.6 ms a call of ~50
    rec = np.empty((cap, N_REC))
    cyc = np.zeros((n_cycles, N_CYC))
    cath_li0 = float(cat.cathode_stoichiometry(sc, pc) * cat.cathode_capacity_mAh(pc, 1.0))
    initial_li = float(sa[S_ACT] + sa[S_DEAD] + sa[S_SEI]) + cath_li0  # active + dead + SEI
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
        PLATEAU_SUBSTEPS if plateau_substeps is None else int(plateau_substeps),
        rec,
        cyc,
    )
    if n >= cap:
        raise LileanError(
            f"simulation record buffer full ({cap} rows): the table would be cut short; "
            "use fewer or shorter steps, or fewer steps per half-cycle"
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
    meta = sim_meta(
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
    electrolyte = electrolyte_state_from_fractions(params, sa[S_SALT], sa[S_SOLV], **electrolyte_kw)
    return FullCellRun(CyclingData(table, meta), pools, cycles, initial_li, mass_mg, electrolyte)


def simulate_protocol(
    params: ParameterSet,
    substrate: str,
    steps: tuple[str, ...],
    *,
    repeat: int = 1,
    cathode_loading_mAh_cm2: float = 0.4,
    li_inventory_mAh_cm2: float = 10.0,
    seed: int = 0,
    steps_per_half_cycle: int = DEFAULT_STEPS_PER_HALF_CYCLE,
) -> FullCellRun:
    """The cycle ``steps`` (PyBaMM-style texts, e.g. ``"Charge at 1C until 4.2 V"``) run
    ``repeat`` times on a Li-substrate || LFP cell (:func:`run_experiment`)."""
    from lilean.protocols import Experiment

    if isinstance(repeat, bool) or int(repeat) != repeat or repeat < 1:
        raise ParameterError(f"repeat = {repeat!r}: expected a whole number >= 1")
    if isinstance(steps, str):
        steps = (steps,)
    experiment = Experiment([tuple(steps)] * int(repeat))
    return run_experiment(
        params,
        substrate,
        experiment,
        cathode_loading_mAh_cm2=cathode_loading_mAh_cm2,
        li_inventory_mAh_cm2=li_inventory_mAh_cm2,
        seed=seed,
        steps_per_half_cycle=steps_per_half_cycle,
    )


# ---- sweep outputs shared by the full-cell scenarios with a per-cycle ``summary`` ----------------


def last(values: Any) -> float:
    arr = np.asarray(values, dtype=float)
    return float(arr[-1]) if arr.size else math.nan


def initial_li(result: Any) -> float:
    """The Li inventory electrodeposited on the anode, mAh/cm^2 (the ``li_inventory_mAh_cm2``
    argument, from the result's protocol metadata)."""
    return float(result.data.meta.extra["protocol"]["li_inventory_mAh_cm2"])


FULL_CELL_OUTPUTS = (
    output(
        "final_discharge_capacity_mAh_g",
        lambda r: last(r.summary["Discharge capacity [mAh/g]"]),
        "discharge capacity of the last cycle, mAh per g of LFP",
    ),
    output(
        "first_discharge_capacity_mAh_g",
        lambda r: float(r.summary["Discharge capacity [mAh/g]"].iloc[0]),
        "discharge capacity of the first analysed cycle, mAh per g of LFP",
    ),
    output(
        "mean_coulombic_efficiency",
        lambda r: float(np.nanmean(r.summary["Coulombic efficiency"].to_numpy(dtype=float))),
        "mean discharge/charge Coulombic efficiency over the analysed cycles",
    ),
    output(
        "li_remaining_mAh_cm2",
        lambda r: last(r.summary["Active Li [mAh/cm2]"]),
        "active Li left on the anode after the last cycle, mAh/cm^2",
    ),
    output(
        "li_remaining_fraction",
        lambda r: last(r.summary["Active Li [mAh/cm2]"]) / initial_li(r),
        "active Li left / li_inventory_mAh_cm2 (the Li electrodeposited on the anode)",
    ),
    output(
        "dead_li_mAh_cm2",
        lambda r: last(r.summary["Dead Li [mAh/cm2]"]),
        "dead (isolated) Li after the last cycle, mAh/cm^2",
    ),
    output(
        "shorted",
        lambda r: float(bool(np.any(r.summary["Shorted"].to_numpy(dtype=bool)))),
        "1 if the cell shorted in any analysed cycle, else 0",
    ),
)

SCENARIO = Scenario(
    name="protocol",
    simulate=simulate_protocol,
    description="Any protocol (PyBaMM-style steps) on a Li-substrate || LFP cell.",
    analysis_kind="cycling",
    sweepable=False,
)
