"""Li || LFP full-cell model: schema, bookkeeping, emergent collapse, relations, speed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.parameters import default_parameters
from lilean.schema import REQUIRED_COLUMNS
from lilean.simulate import CyclingSimulation, simulate_cycling, simulate_rate

PARAMS = default_parameters()


def _sim(substrate: str = "ag-cu", **kw: Any) -> CyclingSimulation:
    args: dict[str, Any] = {
        "cathode_loading_mAh_cm2": 0.4,
        "li_inventory_mAh_cm2": 10.0,
        "c_rate": 1.0,
        "cycles": 20,
    }
    args.update(kw)
    return simulate_cycling(PARAMS, substrate, **args)


def test_schema_meta_and_contract() -> None:
    sim = _sim()
    assert all(c in sim.data.data.columns for c in REQUIRED_COLUMNS)
    meta = sim.data.meta
    assert meta.instrument == "lilean" and meta.file_format == "simulation"
    assert meta.extra["substrate"] == "ag-cu"
    assert meta.extra["parameter_set_hash"] == PARAMS.hash()
    d = sim.to_dict()
    for key in (
        "cycle",
        "discharge_capacity_mAh_g",
        "charge_capacity_mAh_g",
        "coulombic_efficiency",
        "li_remaining_mAh_cm2",
    ):
        assert len(d[key]) == 20
    assert d["retention_percent"] == pytest.approx(
        100 * d["discharge_capacity_mAh_g"][-1] / d["discharge_capacity_mAh_g"][0]
    )


def test_table_capacities_match_kernel_sums() -> None:
    """The trapezoid capacities of the table (analysis.cycling) equal the kernel's exact sums."""
    sim = _sim(cycles=5)
    area = sim.data.meta.area_cm2
    kernel = sim.run.cycles["Discharge capacity [mAh/cm2]"].to_numpy()[3:] * area
    table = sim.summary["Discharge capacity [mAh]"].to_numpy()
    np.testing.assert_allclose(table, kernel, rtol=1e-9)


def test_voltage_window_respected() -> None:
    v = _sim(cycles=3).data.data["Voltage [V]"].to_numpy()
    assert v.max() <= 4.2 + 1e-3 and v.min() >= 2.0 - 1e-3


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_every_cc_step_ends_at_its_cut_off_on_the_allowed_side(substrate: str) -> None:
    """Every charge ends within CUTOFF_TOLERANCE_V below 4.2 V and every discharge within it above
    2.0 V: the cut-off search, whose first two trials come from the ends of the searches before it
    (a memory of the run), still closes every bracket on the allowed side; over 40 cycles at 1C
    after 3 formation cycles at 0.5C (the memory crosses the change of rate)."""
    from lilean.models.full_cell import CUTOFF_TOLERANCE_V

    df = _sim(substrate, cycles=40, formation_cycles=3).data.data
    last = df.groupby("Step", sort=True).tail(1)
    v = last["Voltage [V]"].to_numpy()
    kind = last["Step type"].astype(str).to_numpy()
    charge, discharge = v[kind == "charge"], v[kind == "discharge"]
    assert charge.size == 43 and discharge.size == 43
    assert np.all((charge <= 4.2) & (charge >= 4.2 - CUTOFF_TOLERANCE_V))
    assert np.all((discharge >= 2.0) & (discharge <= 2.0 + CUTOFF_TOLERANCE_V))


def test_capacity_collapses_when_reservoir_exhausted() -> None:
    """A small Li excess (N/P = 2) runs out: capacity must fall by the inventory lost, no fit."""
    sim = _sim("cu", li_inventory_mAh_cm2=0.8, cycles=60)
    d = sim.to_dict()
    q = np.array(d["discharge_capacity_mAh_g"])
    li = np.array(d["li_remaining_mAh_cm2"])
    big = np.array(_sim("cu", cycles=60).to_dict()["discharge_capacity_mAh_g"])
    assert q[-1] < 0.8 * q[0]
    assert big[-1] > 0.95 * big[0]  # same cell with the study's 10 mAh/cm2: no collapse yet
    assert li[-1] < 0.05
    # the discharge can never exceed the Li that was available: pools + cathode Li
    run = sim.run
    total = run.pools.iloc[:, 1:].sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, run.initial_li_mAh_cm2, rtol=1e-9)


def test_plateau_gap_ag_cu_below_cu() -> None:
    cu = _sim("cu", cycles=100).summary["Voltage gap [V]"].to_numpy()
    ag = _sim("ag-cu", cycles=100).summary["Voltage gap [V]"].to_numpy()
    assert (ag < cu).all()
    assert cu[-1] > cu[0]  # resistance growth raises the polarization


def test_rate_test_blocks() -> None:
    d = simulate_rate(
        PARAMS, "ag-cu", cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0
    ).to_dict()
    assert d["c_rate"] == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 1.0]
    q = d["discharge_capacity_mAh_g"]
    assert all(q[k] > q[k + 1] for k in range(5))  # falls with C-rate
    assert q[6] == pytest.approx(q[1], rel=0.02)  # recovers at 1C


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_plateau_steps_agree_with_every_substep_a_cathode_step(substrate: str) -> None:
    """Plateau steps (one cathode step per 4 anode sub-steps where the voltage is flat) against the
    cathode stepping every sub-step, and both against 8x finer steps (the converged answer): the
    plateau steps must be in use (the results differ), no further from the converged capacities
    and plateau gaps than the plain sub-steps (+ a small margin), with the same rows, the same
    window and every row's Li balance."""
    from lilean.protocols.study import full_cell
    from lilean.scenarios.protocol import run_experiment

    experiment = full_cell(
        1.0, 20, formation_cycles=3, formation_c_rate=0.5, v_lower=2.0, v_upper=4.2
    )
    kw: dict[str, Any] = {"cathode_loading_mAh_cm2": 0.4, "li_inventory_mAh_cm2": 10.0}

    def run(steps: int, plateau: int | None) -> Any:
        return run_experiment(
            PARAMS,
            substrate,
            experiment,
            steps_per_half_cycle=steps,
            plateau_substeps=plateau,
            **kw,
        )

    plateau, plain, fine = run(60, None), run(60, 1), run(480, 1)

    def cap_gap(r: Any) -> tuple[np.ndarray, np.ndarray]:
        c = r.cycles
        q = c["Discharge capacity [mAh/cm2]"].to_numpy()
        gap = (c["Mean charge voltage [V]"] - c["Mean discharge voltage [V]"]).to_numpy()
        return q, gap

    (q_p, g_p), (q_0, g_0), (q_f, g_f) = cap_gap(plateau), cap_gap(plain), cap_gap(fine)
    assert np.abs(q_p - q_0).max() > 1e-7 * q_0.max()  # the plateau steps did run
    err_p = np.abs(q_p / q_f - 1.0).max()
    err_0 = np.abs(q_0 / q_f - 1.0).max()
    assert err_p <= err_0 + 1e-3
    assert np.abs(g_p - g_f).max() <= np.abs(g_0 - g_f).max() + 1.5e-3  # V
    assert abs(len(plateau.data.data) - len(plain.data.data)) <= 0.01 * len(plain.data.data)
    v = plateau.data.data["Voltage [V]"].to_numpy()
    assert v.max() <= 4.2 and v.min() >= 2.0
    total = plateau.pools.iloc[:, 1:].sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, plateau.initial_li_mAh_cm2, rtol=1e-10)


def test_300_cycles_run_fast() -> None:
    _sim("cu", cycles=5)  # JIT warm-up
    t0 = time.perf_counter()
    _sim("cu", cycles=300)
    assert time.perf_counter() - t0 < 5.0


@pytest.mark.parametrize(
    ("substrate", "kw", "match"),
    [
        ("zn", {}, "unknown substrate"),
        ("cu", {"cathode_loading_mAh_cm2": -1.0}, "cathode_loading_mAh_cm2"),
        ("cu", {"li_inventory_mAh_cm2": 0.0}, "li_inventory_mAh_cm2"),
    ],
)
def test_bad_input_raises_parameter_error(substrate: str, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        _sim(substrate, cycles=1, **kw)


def _anode(li_mAh_cm2: float) -> tuple[np.ndarray, np.ndarray]:
    """Anode parameter vector and initial state of the study's Li-Cu cell (as the protocol runs it)."""
    from lilean.models import cathode as cat
    from lilean.models.anode import anode_parameter_vector, initial_anode_state
    from lilean.models.electrolyte import electrolyte_capacity

    cell = PARAMS.cell
    anode = PARAMS.substrate("cu").anode
    pc = cat.cathode_parameter_vector(PARAMS, cathode_loading_mAh_cm2=0.4)
    pa = anode_parameter_vector(
        anode,
        temperature_C=cell.temperature_C.value,
        separator_thickness_um=cell.separator_thickness_um.value,
        electrolyte=electrolyte_capacity(
            PARAMS,
            cathode_thickness_um=float(pc[cat.IDX_L_P]) * 1e6,
            cathode_porosity=PARAMS.cathode.porosity.value,
        ),
    )
    sa = initial_anode_state(
        anode,
        li_mAh_cm2,
        np.random.default_rng(0),
        separator_thickness_um=cell.separator_thickness_um.value,
        deposition_current_density_mA_cm2=cell.li_deposition_current_density_mA_cm2.value,
        temperature_C=cell.temperature_C.value,
    )
    return pa, sa


@pytest.mark.parametrize("li_mAh_cm2", [0.02, 0.1, 0.35])
def test_anode_exhaustion_time_is_where_the_anode_stops_passing_the_current(
    li_mAh_cm2: float,
) -> None:
    """The cut-off search's exhaustion time (anode alone): the anode passes the set discharge
    current for 1e-9 of the bracket less, not at the time returned (a real anode, no fit)."""
    from lilean.models.anode import anode_step
    from lilean.models.full_cell import SECONDS_PER_HOUR, _anode_exhaustion_time

    pa, sa = _anode(li_mAh_cm2)
    i_set = -0.4  # mA/cm^2 (1C discharge of the 0.4 mAh/cm^2 cathode): the anode is oxidised
    h = 3600.0

    def passes(t: float) -> bool:
        s = sa.copy()
        passed = -anode_step(s, pa, -i_set, t) * SECONDS_PER_HOUR / i_set  # time at full current
        return bool(passed >= t * (1.0 - 1e-9))

    assert passes(1.0) and not passes(h)
    t_ex = _anode_exhaustion_time(sa, pa, np.empty_like(sa), i_set, 0.0, h)
    assert 0.0 < t_ex < h
    assert not passes(t_ex)
    assert passes(t_ex - 1e-9 * h)
    # ~ the Li there is to strip at 0.4 mA/cm^2 (less what the stripping itself strands as dead Li)
    assert t_ex < li_mAh_cm2 / 0.4 * SECONDS_PER_HOUR * 1.001
