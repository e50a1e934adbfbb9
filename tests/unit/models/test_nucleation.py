"""Li nucleation model: CNT ingredients against independent formulas, charge conservation, table
schema, stopping rules, determinism and speed."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from lilean.analysis.deposition import analyze_deposition
from lilean.errors import ParameterError
from lilean.models.nucleation import (
    NucleationResult,
    barrier_coefficient_V2,
    counter_overpotential_V,
    critical_radius_nm,
    heterogeneous_factor,
    simulate_nucleation,
)
from lilean.parameters import default_parameters
from lilean.schema import CURRENT, REQUIRED_COLUMNS, STEP_TYPE, TIME, VOLTAGE, validate

PARAMS = default_parameters()
F = 96485.33212
R_GAS = 8.314462618
K_B = 1.380649e-23
E = 1.602176634e-19
N_A = 6.02214076e23


def _nuc(substrate: str) -> dict[str, float]:
    return PARAMS.substrate(substrate).nucleation.values()


# ---- classical nucleation theory ingredients ------------------------------------------------


@given(theta=st.floats(min_value=0.0, max_value=180.0))
def test_heterogeneous_factor_is_the_cap_volume_fraction(theta: float) -> None:
    # a spherical cap of contact angle theta on a flat substrate (plane at z = R cos theta),
    # volume relative to the full sphere (R = 1), by quadrature
    cap, _ = quad(lambda z: math.pi * (1 - z * z), math.cos(math.radians(theta)), 1.0)
    assert heterogeneous_factor(theta) == pytest.approx(cap / (4 / 3 * math.pi), abs=1e-12)


def test_heterogeneous_factor_limits() -> None:
    assert heterogeneous_factor(0.0) == 0.0
    assert heterogeneous_factor(90.0) == pytest.approx(0.5)
    assert heterogeneous_factor(180.0) == pytest.approx(1.0)


@given(
    gamma=st.floats(min_value=0.05, max_value=2.0),
    vm=st.floats(min_value=5.0, max_value=30.0),
    eta=st.floats(min_value=0.005, max_value=1.0),
)
def test_barrier_equals_one_third_of_critical_surface_energy(
    gamma: float, vm: float, eta: float
) -> None:
    # Gibbs: dG* = (1/3) x surface energy of the critical nucleus = (4/3) pi r*^2 gamma,
    # with r* = 2 gamma Omega / (e eta)
    temperature_K = 298.15
    r_star_m = critical_radius_nm(gamma, vm, eta) * 1e-9
    omega = vm * 1e-6 / N_A
    assert r_star_m == pytest.approx(2 * gamma * omega / (E * eta), rel=1e-12)
    dg_J = 4 / 3 * math.pi * r_star_m**2 * gamma
    b = barrier_coefficient_V2(gamma, vm, temperature_K)
    assert b / eta**2 == pytest.approx(dg_J / (K_B * temperature_K), rel=1e-10)


@given(
    j=st.floats(min_value=1e-3, max_value=50.0),
    i0=st.floats(min_value=0.01, max_value=100.0),
)
def test_counter_overpotential_symmetric_closed_form(j: float, i0: float) -> None:
    f_rt = F / (R_GAS * 298.15)
    expected = 2 / f_rt * math.asinh(j / (2 * i0))  # alpha = 0.5
    assert counter_overpotential_V(j, i0, 0.5, f_rt) == pytest.approx(expected, rel=1e-9)


# ---- the simulation ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cu_1mA() -> NucleationResult:
    return simulate_nucleation(PARAMS, "cu", 1.0)


def test_table_follows_the_schema(cu_1mA: NucleationResult) -> None:
    r = cu_1mA
    data = r.data
    frame = data.data
    assert list(frame.columns[: len(REQUIRED_COLUMNS)]) == list(REQUIRED_COLUMNS)
    assert validate(frame) == []
    assert data.meta.instrument == "lilean" and data.meta.file_format == "simulation"
    area = PARAMS.cell.electrode_area_cm2.value
    assert data.meta.area_cm2 == pytest.approx(area)
    # plating = negative current, substrate potential below 0 V vs Li
    np.testing.assert_allclose(frame[CURRENT], -1.0e-3 * area)
    assert (frame[STEP_TYPE] == "discharge").all()
    assert (frame[VOLTAGE] < 0).all()
    # default stop: 1 mAh/cm^2 at 1 mA/cm^2 = 3600 s, and the plated charge reads back
    assert frame[TIME].iloc[-1] == pytest.approx(3600.0)
    assert frame["Discharge capacity [mAh]"].iloc[-1] == pytest.approx(1.0 * area, rel=1e-9)
    np.testing.assert_array_equal(r.time_s, frame[TIME])
    np.testing.assert_allclose(r.potential_mV, frame[VOLTAGE] * 1e3)


def test_metrics_agree_with_the_analysis_stage(cu_1mA: NucleationResult) -> None:
    r = cu_1mA
    a = analyze_deposition(r.data)
    assert r.dip_mV == a.dip_mV == pytest.approx(float(np.min(r.potential_mV)))
    assert r.plateau_mV == a.plateau_mV
    assert r.nucleation_overpotential_mV == pytest.approx(r.plateau_mV - r.dip_mV)
    assert r.nucleation_overpotential_mV > 0


def test_dip_is_where_faradaic_current_meets_applied(cu_1mA: NucleationResult) -> None:
    r = cu_1mA
    k = int(np.argmin(r.potential_mV))
    # at the extremum d(eta)/dt = 0, so j_F = j (the exact dip time is on the output grid)
    assert r.states["faradaic_mA_cm2"][k] == pytest.approx(1.0, rel=1e-3)


def test_plateau_is_butler_volmer_plus_ohmic_drop(cu_1mA: NucleationResult) -> None:
    # fully covered: eta_WE and eta_CE both solve j = 2 i0 sinh(F eta / 2RT) (alpha = 0.5)
    p = _nuc("cu")
    f_rt = F / (R_GAS * (PARAMS.cell.temperature_C.value + 273.15))
    j = 1.0
    eta_we = 2 / f_rt * math.asinh(j / (2 * p["exchange_current_density_mA_cm2"]))
    eta_ce = 2 / f_rt * math.asinh(j / (2 * p["counter_exchange_current_density_mA_cm2"]))
    expected_mV = -(eta_we + eta_ce + j * 1e-3 * p["series_resistance_ohm_cm2"]) * 1e3
    r = cu_1mA
    assert r.states["coverage"][-1] == pytest.approx(1.0, abs=1e-9)
    assert r.potential_mV[-1] == pytest.approx(expected_mV, abs=0.01)
    assert r.plateau_mV == pytest.approx(expected_mV, abs=0.5)


def test_nuclei_bounded_by_site_density(cu_1mA: NucleationResult) -> None:
    r = cu_1mA
    n0 = _nuc("cu")["nucleation_site_density_cm2"]
    real = r.states["nuclei_cm2"]
    ext = r.states["extended_nuclei_cm2"]
    assert np.all(np.diff(real) >= -1e-6 * n0)
    assert np.all(real <= ext * (1 + 1e-9) + 1e-9 * n0)
    assert ext[-1] <= n0 * (1 + 1e-9)
    assert r.nuclei_density_cm2 == pytest.approx(real[-1])


@settings(deadline=None, max_examples=15)
@given(
    j=st.floats(min_value=0.05, max_value=10.0),
    substrate=st.sampled_from(["cu", "ag-cu"]),
)
def test_charge_conservation(j: float, substrate: str) -> None:
    """int j dt = C_dl eta + Q_Li at every output time (mC/cm^2)."""
    r = simulate_nucleation(PARAMS, substrate, j, capacity_mAh_cm2=0.05)
    passed = j * r.time_s
    stored = r.states["double_layer_charge_mC_cm2"] + r.states["li_charge_mC_cm2"]
    np.testing.assert_allclose(stored, passed, rtol=1e-5, atol=1e-6 * j)
    # and the table's discharge capacity is the same charge (mAh = mC / 3600 x area)
    area = r.data.meta.area_cm2
    assert r.data.data["Discharge capacity [mAh]"].iloc[-1] == pytest.approx(
        passed[-1] / 3600 * area, rel=1e-9
    )


def test_stopping_rules() -> None:
    r = simulate_nucleation(PARAMS, "ag-cu", 2.0, capacity_mAh_cm2=0.1)
    assert r.time_s[-1] == pytest.approx(0.1 * 3600 / 2.0)
    r = simulate_nucleation(PARAMS, "ag-cu", 2.0, capacity_mAh_cm2=0.1, duration_s=60.0)
    assert r.time_s[-1] == pytest.approx(60.0)
    r = simulate_nucleation(PARAMS, "ag-cu", 2.0, duration_s=500.0, area_cm2=2.0)
    assert r.time_s[-1] == pytest.approx(500.0)
    np.testing.assert_allclose(r.data.data[CURRENT], -4e-3)


def test_deterministic() -> None:
    a = simulate_nucleation(PARAMS, "cu", 0.7)
    b = simulate_nucleation(PARAMS, "cu", 0.7)
    np.testing.assert_array_equal(a.potential_mV, b.potential_mV)
    np.testing.assert_array_equal(a.time_s, b.time_s)


def test_barrier_controls_cu_dip() -> None:
    """On the barrier-controlled branch a larger contact angle gives a deeper dip, and the
    alloying pathway on Ag makes it shallower: physics, not the fit."""
    key = "substrates.cu.nucleation.contact_angle_deg"
    angle = PARAMS.get(key)
    deeper = simulate_nucleation(PARAMS.replace({key: angle + 10}), "cu", 1.0)
    base = simulate_nucleation(PARAMS, "cu", 1.0)
    assert deeper.nucleation_overpotential_mV > base.nucleation_overpotential_mV + 20
    key_ag = "substrates.ag-cu.nucleation.alloying_exchange_current_density_mA_cm2"
    i0 = PARAMS.get(key_ag)
    faster = simulate_nucleation(PARAMS.replace({key_ag: 3 * i0}), "ag-cu", 1.0)
    ag = simulate_nucleation(PARAMS, "ag-cu", 1.0)
    assert faster.nucleation_overpotential_mV < ag.nucleation_overpotential_mV
    # no alloying pathway and no barrier: coverage by nuclei alone is slow -> a deep dip
    no_alloy = simulate_nucleation(PARAMS.replace({key_ag: 0.0}), "ag-cu", 1.0)
    assert no_alloy.nucleation_overpotential_mV > 3 * ag.nucleation_overpotential_mV


def test_fast_enough() -> None:
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        simulate_nucleation(PARAMS, "cu", 1.0, capacity_mAh_cm2=10.0)
        best = min(best, time.perf_counter() - t0)
    assert best < 1.0


@pytest.mark.parametrize(
    ("substrate", "j", "kw"),
    [
        ("cu", 0.0, {}),
        ("cu", -1.0, {}),
        ("cu", float("nan"), {}),
        ("cu", 1.0, {"duration_s": 0.0}),
        ("cu", 1.0, {"capacity_mAh_cm2": -1.0}),
        ("cu", 1.0, {"area_cm2": 0.0}),
        ("cu", 1.0, {"n_points": 5}),
        ("zinc", 1.0, {}),
    ],
)
def test_bad_input(substrate: str, j: float, kw: dict[str, float]) -> None:
    with pytest.raises(ParameterError):
        simulate_nucleation(PARAMS, substrate, j, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_model_metrics_equal_the_analysis_of_its_own_table(substrate: str) -> None:
    """The model's own transient metrics (no analysis import) agree with the measured-data
    analysis run on the simulated table."""
    from lilean.analysis.deposition import analyze_deposition
    from lilean.models.nucleation import simulate_nucleation as run
    from lilean.parameters import default_parameters

    res = run(default_parameters(), substrate, 1.0)
    ana = analyze_deposition(res.data)
    assert res.dip_mV == pytest.approx(ana.dip_mV, abs=1e-9)
    assert res.plateau_mV == pytest.approx(ana.plateau_mV, abs=1e-6)
    assert res.nucleation_overpotential_mV == pytest.approx(
        ana.nucleation_overpotential_mV, abs=1e-6
    )
    assert res.recovery_time_s == pytest.approx(ana.recovery_time_s, abs=1e-9)


@pytest.mark.parametrize("substrate", ["cu", "ag-cu"])
def test_plateau_split_is_the_cell_models(substrate: str) -> None:
    """One split of the -62 mV plateau (kinetics vs resistance): the nucleation model uses the
    anode set's exchange current density and series resistance 2 R_SEI0 + R_sep
    (calibration/calibrate_nucleation.py copies them; a change to one without the other fails)."""
    from lilean.models.anode import separator_resistance_ohm_cm2

    nuc = PARAMS.substrate(substrate).nucleation
    anode = PARAMS.substrate(substrate).anode
    i0 = anode.exchange_current_density_mA_cm2.value
    r_s = 2 * anode.sei_resistance_ohm_cm2.value + separator_resistance_ohm_cm2(
        anode, PARAMS.cell.separator_thickness_um.value
    )
    assert nuc.exchange_current_density_mA_cm2.value == pytest.approx(i0, rel=1e-5)
    assert nuc.counter_exchange_current_density_mA_cm2.value == pytest.approx(i0, rel=1e-5)
    assert nuc.series_resistance_ohm_cm2.value == pytest.approx(r_s, rel=1e-5)
