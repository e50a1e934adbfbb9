"""LFP electrode with a population of particle classes (lognormal contact resistances and sizes).

The electrode's capacity must respond *smoothly* to series (anode) resistance: the single
representative particle keeps its capacity until a cliff (its surface saturates at the end of every
step whatever the resistance), a porous LFP electrode loses capacity gradually (Thorat2011,
Safari2011, Farkhondeh2011).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lilean.errors import ParameterError
from lilean.models import cathode as cm
from lilean.parameters import default_parameters

F = 96485.33212
R_GAS = 8.314462618


@pytest.fixture(scope="module")
def params():
    return default_parameters()


@pytest.fixture(scope="module")
def p(params):
    return cm.cathode_parameter_vector(params)


def _classes(p: np.ndarray) -> np.ndarray:
    k = cm.n_particle_classes(p)
    return p[cm.IDX_CLASSES : cm.IDX_CLASSES + 3 * k].reshape(k, 3)


def test_classes_are_lognormal_quantiles(params, p):
    c = params.cathode.values()
    k = int(c["particle_classes"])
    assert k > 1
    table = _classes(p)
    assert table[:, 0] == pytest.approx(np.full(k, 1.0 / k))
    # equal-probability bins: the log-contact-resistances are symmetric about the median and
    # their spread matches the lognormal's sd (mid-bin quantiles shrink it slightly)
    logs = np.log(table[:, 2] / c["particle_contact_resistance_ohm_m2"])
    assert logs == pytest.approx(-logs[::-1], abs=1e-12)
    assert 0.85 * c["particle_contact_resistance_log_sd"] < np.std(logs)
    assert np.std(logs) < c["particle_contact_resistance_log_sd"]
    assert np.all(np.diff(table[:, 2]) > 0)
    # sizes: a lognormal spread when asked for
    p2 = cm.cathode_parameter_vector(params.replace({"cathode.particle_radius_log_sd": 0.3}))
    radii = _classes(p2)[:, 1]
    assert math.exp(np.mean(np.log(radii))) == pytest.approx(c["particle_radius_nm"] * 1e-9)
    with pytest.raises(ParameterError, match="particle_classes"):
        cm.cathode_parameter_vector(params.replace({"cathode.particle_classes": 2.5}))


def _li_mol_m2(state: np.ndarray, p: np.ndarray) -> float:
    return cm.cathode_stoichiometry(state, p) * p[cm.IDX_C_MAX] * p[cm.IDX_EPS_S] * p[cm.IDX_L_P]


@settings(max_examples=30, deadline=None)
@given(
    currents=st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=6),
    dt_s=st.floats(0.01, 200.0),
    x0=st.floats(0.2, 0.8),
)
def test_lithium_is_conserved_across_classes(p, currents, dt_s, x0):
    state = cm.initial_state(p, x0)
    li0 = _li_mol_m2(state, p)
    charge = 0.0
    for i in currents:
        cm.cathode_step(state, p, i, dt_s)
        charge += i * dt_s
    assert _li_mol_m2(state, p) - li0 == pytest.approx(-charge / F, abs=1e-12 * max(li0, 1.0))
    n = cm.electrolyte_offset(p)
    assert np.all((state[:n] > -1e-9) & (state[:n] < 1 + 1e-9)) or abs(charge) > 0


def test_low_resistance_classes_carry_more_current(p):
    state = cm.initial_state(p, 0.5)
    cm.cathode_step(state, p, -4.0, 5.0)  # 1C discharge
    k = cm.n_particle_classes(p)
    off = cm.electrolyte_offset(p) + int(p[cm.IDX_N_SEP]) + int(p[cm.IDX_N_CAT])
    fluxes = state[off + 2 : off + 2 + k]
    assert np.all(fluxes < 0)
    assert np.all(np.diff(np.abs(fluxes)) < 0)  # classes sorted by rising contact resistance
    # the split's mean is the electrode's mean flux
    assert np.mean(fluxes) == pytest.approx(state[off], rel=1e-12)


def test_small_current_split_is_parallel_resistances(p):
    """At i -> 0 on a uniform electrode, class k is a resistor R_k = RT/(F i0) + r_k - beta_k U'
    (per particle surface) between the common potential and its OCV: the electrode's particle-side
    resistance is 1 / sum_k s_k / R_k (independent arithmetic)."""
    x = 0.5
    state = cm.initial_state(p, x)
    i = 1e-4
    slope = (cm.particle_potential_V(state, p, i) - cm.particle_potential_V(state, p, -i)) / (2 * i)
    table = _classes(p)
    n_r = int(p[cm.IDX_N_SHELLS])
    c_max = p[cm.IDX_C_MAX]
    i0 = p[cm.IDX_K_REACTION] * math.sqrt(p[cm.IDX_C_E0]) * c_max * math.sqrt(x * (1 - x))
    dudx = -0.020269 - 75 * math.exp(-150 * x) - 27 * math.exp(-30 * (1 - x))
    r_ct = R_GAS * p[cm.IDX_T_K] / (F * i0)
    beta = 0.5 * table[:, 1] / n_r / (F * c_max * p[cm.IDX_D_S])
    r_k = r_ct + table[:, 2] - beta * dudx
    s_k = (table[:, 0] / table[:, 1]) / np.sum(table[:, 0] / table[:, 1])
    a_l = 3 * p[cm.IDX_EPS_S] * np.sum(table[:, 0] / table[:, 1]) * p[cm.IDX_L_P]
    expected = 1.0 / np.sum(s_k / r_k) / a_l  # per geometric area
    assert slope == pytest.approx(expected, rel=1e-4)


def test_cached_potential_equals_fresh_solve(p):
    state = cm.initial_state(p, 0.3)
    for _ in range(20):
        cm.cathode_step(state, p, -8.0, 20.0)
    cached = cm.cathode_potential_V(state, p, -8.0)
    fresh = state.copy()
    fresh[cm.electrolyte_offset(p) + int(p[cm.IDX_N_SEP]) + int(p[cm.IDX_N_CAT])] = math.nan
    assert cm.cathode_potential_V(fresh, p, -8.0) == pytest.approx(cached, abs=2e-6)


def test_one_class_without_contact_is_the_spme(params):
    spme = params.replace(
        {"cathode.particle_classes": 1, "cathode.particle_contact_resistance_ohm_m2": 0.0}
    )
    p1 = cm.cathode_parameter_vector(spme)
    state = cm.initial_state(p1, 0.5)
    for _ in range(10):
        cm.cathode_step(state, p1, -4.0, 30.0)
    # SPMe by hand: OCV(x_surf) + 2RT/F asinh(j / 2 i0) at the extrapolated surface
    n_r = int(p1[cm.IDX_N_SHELLS])
    j = -4.0 / (3 * p1[cm.IDX_EPS_S] / p1[cm.IDX_R_P] * p1[cm.IDX_L_P])
    x_s = state[n_r - 1] - 0.5 * p1[cm.IDX_R_P] / n_r * j / (F * p1[cm.IDX_C_MAX] * p1[cm.IDX_D_S])
    c_cat = np.mean(state[n_r + int(p1[cm.IDX_N_SEP]) : n_r + int(p1[cm.IDX_N_SEP]) + 4])
    c_max = p1[cm.IDX_C_MAX]
    i0 = p1[cm.IDX_K_REACTION] * math.sqrt(c_cat * x_s * c_max * (1 - x_s) * c_max)
    rt_f = R_GAS * p1[cm.IDX_T_K] / F
    expected = cm.lfp_ocv_V(x_s) + 2 * rt_f * math.asinh(j / (2 * i0))
    assert cm.particle_potential_V(state, p1, -4.0) == pytest.approx(expected, abs=1e-9)


SERIES_OHM_CM2 = np.arange(0.0, 301.0, 10.0)


@pytest.fixture(scope="module")
def capacity_vs_series_resistance(params):
    """5C discharge capacity [mAh/g] after the rate test's 5C cycles, per series resistance."""
    return np.array(
        [
            cm.rate_test_discharge_capacities_mAh_g(
                params, (5.0,), (5,), anode_resistance_ohm_cm2=float(r)
            )[0]
            for r in SERIES_OHM_CM2
        ]
    )


def test_5c_capacity_falls_smoothly_with_series_resistance(capacity_vs_series_resistance):
    q = capacity_vs_series_resistance
    drops = -np.diff(q)
    assert np.all(drops >= -1e-6 * q[0]), q  # monotonic
    # no cliff: no 10 Ohm cm^2 step loses more than 8 % of the capacity at zero resistance ...
    assert np.max(drops) < 0.08 * q[0], q
    # ... yet the capacity responds from the start (+10 -> +200 Ohm cm^2 is not flat)
    assert q[20] < q[1] - 0.1 * q[0], q
    assert q[1] < q[0]
    assert q[-1] > 0.0


def test_single_particle_has_the_cliff(params):
    """The motivation: one particle keeps its 5C capacity (within 2 %) up to 200 Ohm cm^2."""
    spme = params.replace(
        {"cathode.particle_classes": 1, "cathode.particle_contact_resistance_ohm_m2": 0.0}
    )
    q = [
        cm.rate_test_discharge_capacities_mAh_g(spme, (5.0,), (5,), anode_resistance_ohm_cm2=r)[0]
        for r in (10.0, 200.0)
    ]
    assert abs(q[1] - q[0]) < 0.02 * q[0]


def test_class_count_is_converged(params):
    """The default number of classes: the rate table within 2 % of twice as many classes."""
    k = int(params.cathode.particle_classes.value)
    q = cm.rate_test_discharge_capacities_mAh_g(params)
    q2 = cm.rate_test_discharge_capacities_mAh_g(
        params.replace({"cathode.particle_classes": 2 * k})
    )
    assert q == pytest.approx(q2, rel=0.02)


@settings(max_examples=40, deadline=None)
@given(
    x0=st.floats(0.02, 0.98),
    spread=st.floats(0.0, 0.4),
    flux_fraction=st.floats(-0.95, 0.95),
)
def test_fallback_split_equals_newton_split(p, x0, spread, flux_fraction):
    """The safeguarded Newton search on the common potential (the fallback) and the joint Newton
    split solve the same system: same potential, same fluxes, exact charge balance."""
    n_k = cm.n_particle_classes(p)
    table = _classes(p)
    alpha = np.clip(x0 + spread * np.linspace(-1.0, 1.0, n_k), 1e-3, 1 - 1e-3)
    n_r = int(p[cm.IDX_N_SHELLS])
    beta = 0.5 * table[:, 1] / n_r / (F * p[cm.IDX_C_MAX] * p[cm.IDX_D_S]) * 50.0
    share = (table[:, 0] / table[:, 1]) / np.sum(table[:, 0] / table[:, 1])
    lo = float(np.sum(share * (alpha - 1.0) / beta))
    hi = float(np.sum(share * alpha / beta))
    flux = 0.5 * (lo + hi) + 0.5 * flux_fraction * (hi - lo)
    kc = p[cm.IDX_K_REACTION] * math.sqrt(p[cm.IDX_C_E0]) * p[cm.IDX_C_MAX]
    two_rt_f = 2 * R_GAS * p[cm.IDX_T_K] / F
    j_newton = np.full(n_k, flux)
    e_newton = cm._split_current(
        p, alpha.copy(), beta, flux, kc, j_newton, 1e-7, np.empty(cm.split_work_size(n_k))
    )
    j_fallback = np.full(n_k, flux)
    e_fallback = cm._split_current_bracketed(
        p, alpha.copy(), beta, flux, kc, j_fallback, two_rt_f, math.nan
    )
    assert e_fallback == pytest.approx(e_newton, abs=1e-8)
    assert np.sum(share * j_fallback) == pytest.approx(flux, rel=1e-9, abs=1e-9 * (hi - lo))
    np.testing.assert_allclose(j_fallback, j_newton, rtol=1e-6, atol=1e-9 * (hi - lo))


@pytest.mark.parametrize("n_classes", [3, 8, 12, 13])
def test_split_ignores_the_scratch_contents(params, n_classes):
    """The split pads its class arrays to whole vectors (``padded_class_count``) with neutral
    classes of its own: what the scratch held before (NaN, huge values) changes no bit of the
    potential or the fluxes, for class counts below, at and between multiples of the width."""
    p_n = cm.cathode_parameter_vector(params.replace({"cathode.particle_classes": n_classes}))
    n_k = cm.n_particle_classes(p_n)
    assert n_k == n_classes
    assert cm.padded_class_count(n_k) % cm.CLASS_VECTOR_WIDTH == 0
    assert n_k <= cm.padded_class_count(n_k) < n_k + cm.CLASS_VECTOR_WIDTH
    table = _classes(p_n)
    n_r = int(p_n[cm.IDX_N_SHELLS])
    alpha = np.clip(0.6 + 0.2 * np.linspace(-1.0, 1.0, n_k), 1e-3, 1 - 1e-3)
    beta = 0.5 * table[:, 1] / n_r / (F * p_n[cm.IDX_C_MAX] * p_n[cm.IDX_D_S]) * 50.0
    share = (table[:, 0] / table[:, 1]) / np.sum(table[:, 0] / table[:, 1])
    flux = 0.3 * float(np.sum(share * (alpha - 1.0) / beta))  # a discharge inside the range
    kc = p_n[cm.IDX_K_REACTION] * math.sqrt(p_n[cm.IDX_C_E0]) * p_n[cm.IDX_C_MAX]
    results = []
    for fill in (math.nan, 1e300, 0.0):
        j = np.full(n_k, flux)
        work = np.full(cm.split_work_size(n_k), fill)
        e = cm._split_current(p_n, alpha.copy(), beta, flux, kc, j, 1e-7, work)
        results.append((e, j))
    e_0, j_0 = results[0]
    assert math.isfinite(e_0)
    assert np.sum(share * j_0) == pytest.approx(flux, rel=1e-9)
    for e, j in results[1:]:
        assert e == e_0
        np.testing.assert_array_equal(j, j_0)


def test_predicted_split_equals_cold_start(p):
    """The predictor (and the time extrapolation) only warm-start the split: a discharge whose
    cached split is cleared before every step (cold start) ends at the same potentials."""
    warm = cm.initial_state(p, 0.05)
    cold = warm.copy()
    off_c = cm.electrolyte_offset(p) + int(p[cm.IDX_N_SEP]) + int(p[cm.IDX_N_CAT])
    worst = 0.0
    compared = 0
    for step in range(200):
        dt = 60.0 if step % 7 else 17.0
        cm.cathode_step(warm, p, -10.0, dt)
        cold[off_c:] = math.nan
        cm.cathode_step(cold, p, -10.0, dt)
        if not math.isfinite(cold[off_c + 1]):
            break  # every surface saturated: the discharge is over
        worst = max(worst, abs(warm[off_c + 1] - cold[off_c + 1]))
        compared += 1
    assert compared >= 20
    assert worst < 2e-6
    np.testing.assert_allclose(warm[:off_c], cold[:off_c], rtol=1e-7, atol=1e-9)


def test_cached_factorisations_give_the_fresh_step(p):
    """A step that reuses the factorisations kept in its scratch (same step length, same
    parameters) is the step with a new scratch, to the last bit; a change of the step length or
    of a parameter they depend on (the solid diffusivity, the porosity) is not served from the
    cache."""
    reused = cm.new_cathode_work(p)
    state = cm.initial_state(p, 0.3)
    fresh_state = state.copy()
    p_slow = p.copy()
    p_slow[cm.IDX_D_S] *= 0.5
    p_dense = p.copy()
    p_dense[cm.IDX_EPS_P] *= 0.9
    for step, (dt, pv) in enumerate(
        [(30.0, p), (30.0, p), (30.0, p), (12.5, p), (30.0, p), (30.0, p_slow), (30.0, p_slow),
         (30.0, p_dense), (30.0, p)] * 3
    ):  # fmt: skip
        cm.cathode_step_into(state, pv, -8.0 if step % 5 else 4.0, dt, reused)
        cm.cathode_step_into(
            fresh_state, pv, -8.0 if step % 5 else 4.0, dt, cm.new_cathode_work(pv)
        )
        assert np.array_equal(state, fresh_state, equal_nan=True), step
    key = reused[reused.size - cm.FACTORISATION_KEY_LEN :]
    assert key[0] == 30.0 and np.isfinite(key).all()
    assert np.isnan(cm.new_cathode_work(p)[-cm.FACTORISATION_KEY_LEN :]).all()
