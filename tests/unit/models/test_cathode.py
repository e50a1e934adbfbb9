"""LFP cathode model in its single-particle (SPMe) limit: OCV, conservation, analytical limits, rate
dependence, determinism. (The particle-class electrode: tests/unit/models/test_cathode_classes.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.errors import ParameterError
from lilean.models import cathode as cm
from lilean.parameters import default_parameters
from lilean.schema import CURRENT, DISCHARGE_CAPACITY, REQUIRED_COLUMNS, VOLTAGE

F = 96485.33212


#: one particle, no particle contact resistance: the SPMe of Marquis et al. (2019)
SPME = {
    "cathode.particle_classes": 1,
    "cathode.particle_contact_resistance_ohm_m2": 0.0,
    "cathode.particle_radius_log_sd": 0.0,
}


@pytest.fixture(scope="module")
def params():
    return default_parameters().replace(SPME)


@pytest.fixture(scope="module")
def p(params):
    return cm.cathode_parameter_vector(params)


def _ocv_formula(x: float) -> float:
    # Prada et al. 2013 / PyBaMM "Prada2013" (Afshar 2017), typed independently of the model
    return 3.4077 - 0.020269 * x + 0.5 * math.exp(-150 * x) - 0.9 * math.exp(-30 * (1 - x))


@pytest.mark.parametrize("x", [0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0])
def test_ocv_matches_prada2013(x):
    assert cm.lfp_ocv_V(x) == pytest.approx(_ocv_formula(x), abs=1e-12)


def test_ocv_values_at_known_points():
    # mid-plateau ~3.40 V; fully lithiated U(1) = 3.4077 - 0.020269 - 0.9 = 2.4874 V
    assert cm.lfp_ocv_V(0.5) == pytest.approx(3.3976, abs=2e-4)
    assert cm.lfp_ocv_V(1.0) == pytest.approx(2.48743, abs=1e-4)


def test_geometry_from_loading(params, p):
    cell = params.cell.values()
    cat = params.cathode.values()
    # independent: LFP mass per area -> volume; theoretical capacity of the accessible LFP
    mass_g_cm2 = cell["cathode_loading_mAh_cm2"] / cell["lfp_specific_capacity_mAh_g"]
    lfp_volume_m = mass_g_cm2 / cat["lfp_density_g_cm3"] * 1e-2  # m^3 per m^2
    assert p[cm.IDX_EPS_S] * p[cm.IDX_L_P] == pytest.approx(
        lfp_volume_m * cat["active_material_fraction"], rel=1e-12
    )
    expected_mAh = (
        lfp_volume_m
        * cat["active_material_fraction"]
        * cat["max_concentration_mol_m3"]
        * F
        / 3.6
        * cell["electrode_area_cm2"]
        * 1e-4
    )
    assert cm.cathode_capacity_mAh(p, cell["electrode_area_cm2"]) == pytest.approx(expected_mAh)
    # c_max F / rho = 170 mAh/g: the theoretical capacity is the nominal one (within 0.2 %)
    nominal = cell["cathode_loading_mAh_cm2"] * cell["electrode_area_cm2"]
    assert expected_mAh / cat["active_material_fraction"] == pytest.approx(nominal, rel=2e-3)
    # porosity + LFP + additives fill the coating, thickness scales with loading
    p10 = cm.cathode_parameter_vector(params, cathode_loading_mAh_cm2=1.0)
    assert p10[cm.IDX_L_P] / p[cm.IDX_L_P] == pytest.approx(1.0 / cell["cathode_loading_mAh_cm2"])
    assert 5e-6 < p[cm.IDX_L_P] < 60e-6


def _li_mol_m2(state: np.ndarray, p: np.ndarray) -> float:
    return cm.cathode_stoichiometry(state, p) * p[cm.IDX_C_MAX] * p[cm.IDX_EPS_S] * p[cm.IDX_L_P]


def _salt_mol_m2(state: np.ndarray, p: np.ndarray) -> float:
    n_r, n_s, n_c = (cm.electrolyte_offset(p), int(p[cm.IDX_N_SEP]), int(p[cm.IDX_N_CAT]))
    c = state[n_r : n_r + n_s + n_c]
    dx = np.r_[np.full(n_s, p[cm.IDX_L_S] / n_s), np.full(n_c, p[cm.IDX_L_P] / n_c)]
    eps = np.r_[np.full(n_s, p[cm.IDX_EPS_SEP]), np.full(n_c, p[cm.IDX_EPS_P])]
    return float(np.sum(c * dx * eps))


@settings(max_examples=40, deadline=None)
@given(
    currents=st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=6),
    dt_s=st.floats(0.01, 200.0),
    x0=st.floats(0.2, 0.8),
)
def test_lithium_and_salt_are_conserved(p, currents, dt_s, x0):
    state = cm.initial_state(p, x0)
    li0 = _li_mol_m2(state, p)
    salt0 = _salt_mol_m2(state, p)
    charge = 0.0
    for i in currents:
        cm.cathode_step(state, p, i, dt_s)
        charge += i * dt_s
    # positive current delithiates: Li in the particle drops by exactly the charge / F
    assert _li_mol_m2(state, p) - li0 == pytest.approx(-charge / F, abs=1e-12 * max(li0, 1.0))
    # the salt made in the cathode is removed at the Li electrode
    assert _salt_mol_m2(state, p) == pytest.approx(salt0, rel=1e-11)


@pytest.mark.parametrize("x", [0.05, 0.3, 0.7, 0.95])
def test_zero_current_potential_is_ocv(p, x):
    state = cm.initial_state(p, x)
    assert cm.cathode_potential_V(state, p, 0.0) == pytest.approx(_ocv_formula(x), abs=1e-12)
    assert cm.cathode_surface_stoichiometry(state, p) == pytest.approx(x)
    assert cm.cathode_stoichiometry(state, p) == pytest.approx(x)


def test_relaxation_returns_to_ocv_of_mean(p):
    state = cm.initial_state(p, 0.3)
    for _ in range(50):
        cm.cathode_step(state, p, -8.0, 10.0)  # 2C discharge
    x_mean = cm.cathode_stoichiometry(state, p)
    assert cm.cathode_surface_stoichiometry(state, p) > x_mean + 1e-3  # gradient under load
    tau = p[cm.IDX_R_P] ** 2 / p[cm.IDX_D_S]
    for _ in range(200):
        cm.cathode_step(state, p, 0.0, tau / 10)
    assert cm.cathode_stoichiometry(state, p) == pytest.approx(x_mean, rel=1e-12)
    assert cm.cathode_potential_V(state, p, 0.0) == pytest.approx(_ocv_formula(x_mean), abs=1e-6)


def test_pseudo_steady_particle_gradient_matches_analytic(params):
    # Sphere under constant surface flux: after ~R^2/D the profile is parabolic and
    # x_surf - x_mean = -j R / (5 F D c_max) (Crank, The Mathematics of Diffusion, ch. 6).
    p = cm.cathode_parameter_vector(params, n_shells=40)
    state = cm.initial_state(p, 0.5)
    i = 2.0  # A/m^2, charge
    tau = p[cm.IDX_R_P] ** 2 / p[cm.IDX_D_S]
    dt = tau / 200
    for _ in range(400):
        cm.cathode_step(state, p, i, dt)
    a = 3 * p[cm.IDX_EPS_S] / p[cm.IDX_R_P]
    j = i / (a * p[cm.IDX_L_P])
    expected = -j * p[cm.IDX_R_P] / (5 * F * p[cm.IDX_D_S] * p[cm.IDX_C_MAX])
    surf = cm._surface_x(state, p, i)
    assert surf - cm.cathode_stoichiometry(state, p) == pytest.approx(expected, rel=0.02)


def test_pseudo_steady_electrolyte_drop_matches_analytic(params):
    # Steady salt flux N0 = (1 - t+) |i| / F through the separator, falling linearly to 0 across the
    # cathode: c(0) - mean(c_cathode) = N0 (L_s / D_s,eff + L_p / (3 D_p,eff)).
    p = cm.cathode_parameter_vector(params, n_separator=40, n_cathode=40)
    state = cm.initial_state(p, 0.5)
    i = -20.0
    for _ in range(200):
        cm.cathode_step(state, p, i, 2.0)
    n_r, n_s = cm.electrolyte_offset(p), int(p[cm.IDX_N_SEP])
    d_s = p[cm.IDX_D_E] * p[cm.IDX_EPS_SEP] ** p[cm.IDX_B_SEP]
    d_p = p[cm.IDX_D_E] * p[cm.IDX_EPS_P] ** p[cm.IDX_B_P]
    n0 = (1 - p[cm.IDX_T_PLUS]) * abs(i) / F
    expected = n0 * (p[cm.IDX_L_S] / d_s + p[cm.IDX_L_P] / (3 * d_p))
    c_anode = cm.electrolyte_concentration_at_anode(state, p, i)
    mean_cat = state[n_r + n_s : n_r + n_s + int(p[cm.IDX_N_CAT])].mean()
    assert c_anode - mean_cat == pytest.approx(expected, rel=0.01)


def test_small_current_polarisation_is_linear_resistance(params):
    # At |i| -> 0 the overpotential is i * (R_ct + R_ohm + ...); R_ct = RT / (F i0 a L_p)
    p = cm.cathode_parameter_vector(params)
    state = cm.initial_state(p, 0.5)
    i = 1e-4
    rt_f = 8.314462618 * p[cm.IDX_T_K] / F
    c_max, c_e = p[cm.IDX_C_MAX], p[cm.IDX_C_E0]
    i0 = p[cm.IDX_K_REACTION] * math.sqrt(c_e * 0.5 * c_max * 0.5 * c_max)
    a_l = 3 * p[cm.IDX_EPS_S] / p[cm.IDX_R_P] * p[cm.IDX_L_P]
    kappa = sum(p[k] * (c_e / 1000) ** e for k, e in ((19, 1.0), (20, 1.5), (21, 3.0)))
    r_ohm = (
        p[cm.IDX_L_S] / (kappa * p[cm.IDX_EPS_SEP] ** 1.5)
        + p[cm.IDX_L_P] / (3 * kappa * p[cm.IDX_EPS_P] ** 1.5)
        + p[cm.IDX_L_P] / (3 * p[cm.IDX_SIGMA_S] * p[cm.IDX_EPS_S] ** 1.5)
        + p[cm.IDX_R_CONTACT]
    )
    r_diff = 0.5 * (p[cm.IDX_R_P] / int(p[cm.IDX_N_SHELLS])) / (F * c_max * p[cm.IDX_D_S] * a_l)
    slope = (cm.cathode_potential_V(state, p, i) - cm.cathode_potential_V(state, p, -i)) / (2 * i)
    dudx = (_ocv_formula(0.5 + 1e-6) - _ocv_formula(0.5 - 1e-6)) / 2e-6
    # the electrolyte at the Li surface is extrapolated half a separator cell with the boundary flux
    d_sep = p[cm.IDX_D_E] * p[cm.IDX_EPS_SEP] ** 1.5
    half_cell = 0.5 * p[cm.IDX_L_S] / int(p[cm.IDX_N_SEP])
    r_conc = (
        2 * (1 - p[cm.IDX_T_PLUS]) * rt_f * (1 - p[cm.IDX_T_PLUS]) * half_cell / (F * d_sep * c_e)
    )
    expected = rt_f / (i0 * a_l) + r_ohm - dudx * r_diff + r_conc
    assert slope == pytest.approx(expected, rel=1e-3)


def test_rate_dependence(params):
    q = {
        c: cm.simulate_half_cell_discharge(params, c).data[DISCHARGE_CAPACITY].iloc[-1]
        for c in (0.5, 1.0, 5.0)
    }
    assert q[5.0] < q[1.0] < q[0.5]
    cap = cm.cathode_capacity_mAh(cm.cathode_parameter_vector(params), 1.131)
    assert q[0.5] <= cap * 1.0001


def test_rate_test_protocol_is_monotonic(params):
    q = cm.rate_test_discharge_capacities_mAh_g(params)
    assert np.all(np.diff(q) < 0)
    assert q[0] < params.cell.lfp_specific_capacity_mAh_g.value


def test_discharge_table_follows_schema(params):
    data = cm.simulate_half_cell_discharge(params, 1.0)
    df = data.data
    assert list(df.columns[: len(REQUIRED_COLUMNS)]) == list(REQUIRED_COLUMNS)
    assert (df[CURRENT] < 0).all()  # discharge is negative
    assert df[VOLTAGE].iloc[-1] == pytest.approx(2.0, abs=2e-3)
    assert (df[VOLTAGE].iloc[:-1] > 2.0).all()
    # capacity column = |I| t / 3.6 (trapezoid of a constant current)
    t_end = df["Time [s]"].iloc[-1]
    assert df[DISCHARGE_CAPACITY].iloc[-1] == pytest.approx(-df[CURRENT].iloc[0] * t_end / 3.6)
    assert data.meta.instrument == "lilean"


def test_charge_stops_at_upper_cutoff(p):
    state = cm.initial_state(p, 0.9)
    t = np.empty(1000)
    v = np.empty(1000)
    n = cm.run_constant_current(state, p, 4.0, 10.0, 4.2, 1e5, 10.0, 0.0, 0.0, t, v)
    assert (
        v[n - 1] == pytest.approx(4.2, abs=2e-3)
        or cm.cathode_surface_stoichiometry(state, p) < 1e-3
    )
    assert np.all(v[: n - 1] < 4.2)
    assert cm.cathode_stoichiometry(state, p) < 0.2


def test_deterministic(params):
    a = cm.simulate_half_cell_discharge(params, 2.0).data
    b = cm.simulate_half_cell_discharge(params, 2.0).data
    assert np.array_equal(a[VOLTAGE].to_numpy(), b[VOLTAGE].to_numpy())
    assert np.array_equal(a["Time [s]"].to_numpy(), b["Time [s]"].to_numpy())


def test_active_material_loss_scales_capacity(params):
    p = cm.cathode_parameter_vector(params)
    cap0 = cm.cathode_capacity_mAh(p, 1.0)
    cm.apply_active_material_loss(p, 0.1)
    assert cm.cathode_capacity_mAh(p, 1.0) == pytest.approx(0.9 * cap0)
    assert p[cm.IDX_LAM_PER_CYCLE] == params.cathode.loss_of_active_material_per_cycle.value


def test_bad_input_is_refused(params, p):
    with pytest.raises(ParameterError, match="stoichiometry"):
        cm.initial_state(p, 1.5)
    with pytest.raises(ParameterError, match="n_shells"):
        cm.cathode_parameter_vector(params, n_shells=0)
    with pytest.raises(ParameterError, match="loading"):
        cm.cathode_parameter_vector(params, cathode_loading_mAh_cm2=0.0)
    with pytest.raises(ParameterError, match="c_rate"):
        cm.simulate_half_cell_discharge(params, 0.0)
    with pytest.raises(ParameterError, match="porosity"):
        params.replace({"cathode.porosity": 1.5})


def test_parameters_are_provenanced():
    for name, param in default_parameters().cathode:
        assert param.source, name
        assert param.kind in {"measured", "literature", "calibrated", "assumed"}, name


def test_derived_entries_follow_their_definitions(params):
    """The constants the step kernels read instead of recomputing them every step equal their
    definitions, and the only one that follows a later change (solid conduction, eps_s^b_s) moves
    with the active-material loss."""
    p = cm.cathode_parameter_vector(params.replace({"cathode.particle_radius_log_sd": 0.3}))
    n_k = int(p[cm.IDX_N_CLASSES])
    table = p[cm.IDX_CLASSES : cm.IDX_CLASSES + 3 * n_k].reshape(n_k, 3)
    surface = table[:, 0] / table[:, 1]
    assert p[cm.IDX_SURFACE_WEIGHT_SUM] == pytest.approx(surface.sum(), rel=1e-15)
    shares = np.array([cm.surface_share(p, k) for k in range(n_k)])
    np.testing.assert_allclose(shares, surface / surface.sum(), rtol=1e-15)
    assert shares.sum() == pytest.approx(1.0, rel=1e-14)
    assert len(set(shares.round(12))) == n_k  # a size spread gives every class its own share
    assert p[cm.IDX_TORTUOSITY_SEP] == p[cm.IDX_EPS_SEP] ** p[cm.IDX_B_SEP]
    assert p[cm.IDX_TORTUOSITY_P] == p[cm.IDX_EPS_P] ** p[cm.IDX_B_P]
    eps_s = p[cm.IDX_EPS_S]
    cm.apply_active_material_loss(p, 0.1)
    assert p[cm.IDX_EPS_S] == pytest.approx(0.9 * eps_s, rel=1e-15)
    assert p[cm.IDX_TORTUOSITY_S] == pytest.approx(p[cm.IDX_EPS_S] ** p[cm.IDX_B_S], rel=1e-15)
    cm.scale_active_material(p, 0.5)
    assert p[cm.IDX_TORTUOSITY_S] == pytest.approx((0.45 * eps_s) ** p[cm.IDX_B_S], rel=1e-14)
