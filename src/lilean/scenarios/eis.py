"""Scenario ``eis``: the impedance spectrum of the twin after N cycles, from its own state.

Elements and equations: :mod:`lilean.models.impedance`; the state comes from the ``cycling`` or
``symmetric`` scenario (same seed, same draw).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lilean.errors import ParameterError
from lilean.parameters.set import ParameterSet
from lilean.scenarios.base import ResultBase, Scenario, none_if_nan, output, sim_meta
from lilean.scenarios.cycling import simulate_cycling
from lilean.scenarios.protocol import DEFAULT_STEPS_PER_HALF_CYCLE, INITIAL_LFP_STOICHIOMETRY
from lilean.scenarios.symmetric import simulate_symmetric


@dataclass(frozen=True, repr=False)
class EISSimulation(ResultBase):
    """A simulated impedance spectrum and the elements that produced it.

    ``data`` holds the spectrum in Ohm (area-specific values divided by ``cell.electrode_area_cm2``);
    ``elements`` the element values with their units in the key names (area-specific, per geometric
    cm^2; see :mod:`lilean.models.impedance`), plus the state they were computed from.
    """

    data: Any  # lilean.eis.io.ImpedanceData
    elements: dict[str, float]
    substrate: str
    cell: str
    cycles: int
    state_of_charge: float
    scenario = "eis"

    @property
    def summary(self) -> pd.DataFrame:
        """The elements, one row: name with unit -> value."""
        return pd.DataFrame([self.elements])

    def _describe(self) -> str:
        return (
            f"substrate={self.substrate!r}, cell={self.cell!r}, cycles={self.cycles}, "
            f"frequencies={len(self.to_frame())}"
        )

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
            "elements": {k: none_if_nan(v) for k, v in self.elements.items()},
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
        cat.scale_active_material(pc, q_cath / q_cath0)  # active-material loss so far
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
    cycles: int = 0,
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
    from lilean.eis.io import IMPEDANCE_CONVENTION, ImpedanceData
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
    meta = sim_meta(
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


SCENARIO = Scenario(
    name="eis",
    simulate=simulate_eis,
    description="Impedance spectrum (1e5..1e-2 Hz) of the twin after N cycles, from its state.",
    outputs=(
        output(
            "interfacial_resistance_ohm_cm2",
            lambda r: float(r.interfacial_resistance_ohm_cm2),
            "anode interfacial (SEI + charge-transfer) resistance, ohm cm^2",
        ),
    ),
    analysis_kind=None,
    fit_experiment="eis",
    fit_residuals=("z_real_relative", "z_imag_relative"),
    default_free=(
        "anode.sei_resistance_ohm_cm2",
        "anode.exchange_current_density_mA_cm2",
        "anode.double_layer_capacitance_uF_cm2",
        "anode.electrolyte_conductivity_mS_cm",
    ),
)
