"""Analytic impedance of the twin (lilean.models.impedance) against independent computations.

The main check is a small-signal experiment: a small sinusoidal current is applied to time-domain
integrations (scipy ``solve_ivp``, or the cycling model's own numba kernel) of the same physics —
double-layer charging, nonlinear Butler-Volmer, SEI film, finite-volume solid and electrolyte
diffusion — and the fundamental of the voltage is extracted by a least-squares lock-in; it must
match the analytic spectrum.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse
from scipy.integrate import solve_ivp

from lilean.models import cathode as cat
from lilean.models import impedance as imp
from lilean.models.anode import (
    P_I0,
    P_THERMAL,
    S_ACT,
    S_DEAD,
    S_SEI,
    anode_overpotential_V,
    anode_parameter_vector,
    coverage,
    initial_anode_state,
)
from lilean.parameters.set import default_parameters

F = 96485.33212
R_GAS = 8.314462618


@pytest.fixture(scope="module")
def params():
    return default_parameters()


def _anode_state(params, substrate: str = "cu"):
    anode = params.substrate(substrate).anode
    pa = anode_parameter_vector(anode, temperature_C=25.0)
    sa = initial_anode_state(anode, 10.0, np.random.default_rng(3))
    sa[S_ACT] = 0.4  # partly covered: theta = 0.4 / 0.7
    sa[S_DEAD] = 0.8
    sa[S_SEI] = 2.0
    return anode, pa, sa


def _lock_in(t: np.ndarray, y: np.ndarray, f: float, t_from: float) -> complex:
    """Complex amplitude of ``y`` at ``f`` (``y ~ Re(Y e^{j w t})``), fitted with a drift."""
    w = 2.0 * math.pi * f
    m = t >= t_from
    tt = t[m]
    basis = np.column_stack(
        [np.cos(w * tt), -np.sin(w * tt), np.ones_like(tt), tt - tt[0], (tt - tt[0]) ** 2]
    )
    coef, *_ = np.linalg.lstsq(basis, y[m], rcond=None)
    return complex(coef[0], coef[1])


def _sine_response(rhs, y0, output, f: float, *, periods: int = 8, jac=None, rtol=1e-9):
    """Integrate ``rhs(t, y, i(t))`` with ``i = cos(w t)``; return ``Z = V_hat / I_hat``."""
    w = 2.0 * math.pi * f
    t_end = periods / f
    t_eval = np.linspace(0.0, t_end, periods * 200 + 1)
    sol = solve_ivp(
        lambda t, y: rhs(t, y, math.cos(w * t)),
        (0.0, t_end),
        y0,
        method="BDF",
        t_eval=t_eval,
        rtol=rtol,
        atol=1e-14,
        jac=jac,
        max_step=1.0 / (f * 40),
    )
    assert sol.success, sol.message
    v = np.array([output(sol.y[:, k], math.cos(w * t)) for k, t in enumerate(sol.t)])
    return _lock_in(sol.t, v, f, t_end / 2)


# ---- anode: SEI film + double layer + Butler-Volmer -------------------------------------------


def test_anode_dc_limit_equals_cycling_model_polarisation_slope(params):
    """Z_a(f -> 0) = d eta / d i of the cycling model (stripping side, Li-covered area only, with
    the dead-Li layer; no transient peak). The plating side also reacts on the bare substrate, a
    parallel path that a Li-covered electrode (theta ~ 1) barely uses."""
    anode, pa, sa = _anode_state(params)
    pa = pa.copy()
    pa[12] = 0.0  # P_OVERSHOOT: the start-of-half-cycle peak is not a small-signal element
    el = imp.anode_elements(anode, sa, pa)
    di = 1e-4  # mA/cm^2
    slope = anode_overpotential_V(sa, pa, di) / di * 1e3  # ohm cm^2 (stripping: with dead layer)
    z0 = el.impedance_ohm_cm2(np.array([1e-6]))[0]
    assert z0.real == pytest.approx(slope, rel=1e-6)
    assert abs(z0.imag) < 1e-3 * z0.real


def test_anode_time_domain_matches_analytic(params):
    """SEI film (R || C) and double layer + nonlinear Butler-Volmer integrated in time."""
    anode, pa, sa = _anode_state(params)
    el = imp.anode_elements(anode, sa, pa)
    i0_theta = pa[P_I0] * 1e-3 * coverage(sa, pa)  # A/cm^2
    f_rt = 2.0 / pa[P_THERMAL]  # F / RT
    amp = 5e-3 / abs(el.impedance_ohm_cm2(np.array([1.0]))[0])  # ~5 mV

    def rhs(t, y, c):
        i = amp * c
        v_f, eta = y
        i_far = 2.0 * i0_theta * math.sinh(0.5 * f_rt * eta)
        return [(i - v_f / el.R_SEI_ohm_cm2) / el.C_SEI_F_cm2, (i - i_far) / el.C_dl_F_cm2]

    def out(y, c):
        return el.R_dead_ohm_cm2 * amp * c + y[0] + y[1]

    for f in (3e3, 300.0, 10.0):
        z_td = _sine_response(rhs, [0.0, 0.0], out, f) / amp
        z_an = el.impedance_ohm_cm2(np.array([f]))[0]
        assert abs(z_td - z_an) / abs(z_an) < 0.002, (f, z_td, z_an)


def test_anode_elements_follow_state(params):
    """More SEI Li -> larger R_SEI and thicker film (smaller C_SEI); less Li -> larger R_ct."""
    anode, pa, sa = _anode_state(params)
    base = imp.anode_elements(anode, sa, pa)
    more_sei = sa.copy()
    more_sei[S_SEI] += 1.0
    el = imp.anode_elements(anode, more_sei, pa)
    rho = anode.sei_resistivity_ohm_cm2_per_mAh.value
    assert el.R_SEI_ohm_cm2 - base.R_SEI_ohm_cm2 == pytest.approx(rho)
    assert el.C_SEI_F_cm2 < base.C_SEI_F_cm2
    # C_SEI = eps0 eps_r A / d, d = d0 R / R0 (independent arithmetic)
    d_cm = 20e-7 * el.R_SEI_ohm_cm2 / anode.sei_resistance_ohm_cm2.value
    assert el.C_SEI_F_cm2 == pytest.approx(8.854e-14 * 7.0 * el.contact_area_factor / d_cm, 1e-3)
    less_li = sa.copy()
    less_li[S_ACT] = 0.05
    assert imp.anode_elements(anode, less_li, pa).R_ct_ohm_cm2 > 2 * base.R_ct_ohm_cm2
    # R_ct = RT / (F i0 theta) with theta = Q / (Q + q_cov)
    theta = 0.4 / (0.4 + anode.coverage_capacity_mAh_cm2.value)
    rt_f = R_GAS * 298.15 / F
    i0 = anode.exchange_current_density_mA_cm2.value * 1e-3
    assert base.R_ct_ohm_cm2 == pytest.approx(rt_f / (i0 * theta), rel=1e-9)


# ---- cathode: spherical diffusion and electrolyte ---------------------------------------------


def _sphere_grid(radius: float, n: int, stretch: float = 1.04):
    """Cell faces refined towards the surface (geometric spacing)."""
    widths = stretch ** np.arange(n)[::-1]
    widths *= radius / widths.sum()
    faces = np.concatenate([[0.0], np.cumsum(widths)])
    faces[-1] = radius
    return faces


def test_spherical_diffusion_time_domain():
    """Finite-volume sphere with a sinusoidal surface flux vs the finite-space impedance."""
    radius, d_s, du_dc = 1e-6, 1e-12, -1e-5  # R^2/D = 1 s
    faces = _sphere_grid(radius, 120)
    vol = (faces[1:] ** 3 - faces[:-1] ** 3) / 3.0
    centres = 0.5 * (faces[1:] + faces[:-1])
    n = vol.size
    g = d_s * faces[1:-1] ** 2 / np.diff(centres)  # face conductances
    main = np.zeros(n)
    main[:-1] -= g
    main[1:] -= g
    a = sparse.diags([g / vol[1:], main / vol, g / vol[:-1]], [-1, 0, 1], format="csc")
    h_last = faces[-1] - centres[-1]

    def rhs(t, c, jflux):
        dc = a @ c
        dc[-1] -= radius**2 * jflux / F / vol[-1]  # j > 0: Li leaves (delithiation)
        return dc

    def out(c, jflux):
        c_surf = c[-1] - h_last * jflux / (F * d_s)
        return du_dc * c_surf

    for f in (0.05, 0.5, 5.0):
        z_td = _sine_response(rhs, np.zeros(n), out, f, jac=a)
        z_an = imp.spherical_diffusion_impedance_ohm_m2(np.array([f]), radius, d_s, du_dc)[0]
        assert abs(z_td - z_an) / abs(z_an) < 0.002, (f, z_td, z_an)


def test_spherical_diffusion_limits():
    """Low f: 3/(F R jw) capacitance + R/(5 F D) resistance; high f: Warburg."""
    radius, d_s, du_dc = 5e-8, 1.5e-18, -1e-6
    f_lo = 1e-9
    z = imp.spherical_diffusion_impedance_ohm_m2(np.array([f_lo]), radius, d_s, du_dc)[0]
    assert z.real == pytest.approx(-du_dc * radius / (5 * F * d_s), rel=1e-4)
    w = 2 * math.pi * f_lo
    assert z.imag == pytest.approx(du_dc * 3.0 / (F * radius * w), rel=1e-4)
    f_hi = 1e3
    z = imp.spherical_diffusion_impedance_ohm_m2(np.array([f_hi]), radius, d_s, du_dc)[0]
    warburg = -du_dc / (F * np.sqrt(1j * 2 * math.pi * f_hi * d_s))
    assert abs(z - warburg) / abs(warburg) < 1e-3


def _electrolyte_fv(el: dict[str, float], n_sep: int = 60, n_cat: int = 60):
    ls, lp = el["separator_thickness_m"], el["cathode_thickness_m"]
    dx = np.concatenate([np.full(n_sep, ls / n_sep), np.full(n_cat, lp / n_cat)])
    eps = np.concatenate(
        [np.full(n_sep, el["separator_porosity"]), np.full(n_cat, el["cathode_porosity"])]
    )
    dd = np.concatenate(
        [
            np.full(n_sep, el["separator_diffusivity_m2_s"]),
            np.full(n_cat, el["cathode_diffusivity_m2_s"]),
        ]
    )
    g = 1.0 / (0.5 * dx[:-1] / dd[:-1] + 0.5 * dx[1:] / dd[1:])
    n = dx.size
    main = np.zeros(n)
    main[:-1] -= g
    main[1:] -= g
    cap = eps * dx
    a = sparse.diags([g / cap[1:], main / cap, g / cap[:-1]], [-1, 0, 1], format="csc")
    src = np.zeros(n)
    src[n_sep:] = dx[n_sep:] / lp
    src[0] -= 1.0
    src /= cap
    return a, src, dx, dd, n_sep


def test_electrolyte_time_domain(params):
    """Finite-volume salt balance (separator + cathode) vs the exact two-layer solution."""
    p = cat.cathode_parameter_vector(params)
    el = imp.cathode_elements(params, p, 0.5).electrolyte
    a, src, dx, dd, n_sep = _electrolyte_fv(el)
    t_plus = el["transference_number"]
    chi = 2.0 * (1.0 - t_plus) * el["thermodynamic_factor"]
    rt_f = R_GAS * el["temperature_K"] / F
    c0 = el["concentration_mol_m3"]

    def rhs(t, c, i):
        return a @ c + src * (1.0 - t_plus) * i / F

    def out(c, i):
        c_anode = c[0] - 0.5 * dx[0] * (1.0 - t_plus) * i / (F * dd[0])
        return chi * rt_f * (np.log(c0 + c[n_sep:]).mean() - np.log(c0 + c_anode))

    amp = 10.0  # A/m^2 (2.5 C): still linear, c varies by < 1 %
    for f in (0.003, 0.03, 0.3):
        z_td = _sine_response(
            lambda t, c, cc: rhs(t, c, amp * cc),
            np.zeros(src.size),
            lambda c, cc: out(c, amp * cc),
            f,
        )
        z_td /= amp
        z_an = imp.electrolyte_impedance_full_cell_ohm_m2(np.array([f]), **el)[0]
        assert abs(z_td - z_an) / abs(z_an) < 0.005, (f, z_td, z_an)
    # DC limit: the closed form and the low-frequency end of the exact solution agree
    r_dc = imp.electrolyte_resistance_full_cell_ohm_m2(**el)
    z_lo = imp.electrolyte_impedance_full_cell_ohm_m2(np.array([1e-7]), **el)[0]
    assert z_lo.real == pytest.approx(r_dc, rel=1e-4)


def test_symmetric_electrolyte_dc_limit_and_warburg(params):
    anode = params.substrate("cu").anode
    _, diffusion = imp.symmetric_separator_elements(params, anode)
    r_dc = imp.electrolyte_resistance_symmetric_ohm_m2(**diffusion)
    z = imp.electrolyte_impedance_symmetric_ohm_m2(np.array([1e-7, 1e4]), **diffusion)
    assert z[0].real == pytest.approx(r_dc, rel=1e-4)
    assert abs(np.angle(z[1], deg=True) + 45.0) < 0.5  # semi-infinite Warburg at high f


def test_cathode_kernel_small_signal_matches_analytic(params):
    """The cycling model's own cathode kernel (no double layer) under a small sine current, in its
    single-particle limit (the impedance model has no particle contact-resistance distribution)."""
    single = params.replace(
        {"cathode.particle_classes": 1, "cathode.particle_contact_resistance_ohm_m2": 0.0}
    )
    p = cat.cathode_parameter_vector(single, n_shells=100, n_separator=30, n_cathode=30)
    x0 = 0.5
    el = imp.cathode_elements(params, p, x0)
    amp = 0.05  # A/m^2 (1/80 C)
    for f in (0.1, 0.01):
        state = cat.initial_state(p, x0)
        n_per = 2000
        periods = 6
        dt = 1.0 / (f * n_per)
        t = np.arange(1, n_per * periods + 1) * dt
        v = np.empty(t.size)
        w = 2.0 * math.pi * f
        for k, tk in enumerate(t):
            i = amp * math.cos(w * (tk - 0.5 * dt))  # midpoint of the backward-Euler step
            cat.cathode_step(state, p, i, dt)
            v[k] = cat.cathode_potential_V(state, p, amp * math.cos(w * tk))
        z_td = _lock_in(t, v - v[0], f, t[-1] / 2) / amp * 1e4  # ohm cm^2
        ff = np.array([f])
        z_an = (
            el.R_ohmic_ohm_cm2
            + el.R_ct_ohm_cm2
            + el.solid_diffusion_ohm_cm2(ff)[0]
            + el.electrolyte_diffusion_ohm_cm2(ff)[0]
        )
        assert abs(z_td - z_an) / abs(z_an) < 0.005, (f, z_td, z_an)


def test_cathode_charge_transfer_resistance(params):
    """R_ct,c = RT/(F i0 a L) with i0 = k sqrt(c_e c_s (c_max - c_s)) (independent arithmetic)."""
    p = cat.cathode_parameter_vector(params)
    for x in (0.2, 0.5, 0.9):
        el = imp.cathode_elements(params, p, x)
        c_max = params.cathode.max_concentration_mol_m3.value
        k = params.cathode.reaction_rate_constant.value  # 25 C: no Arrhenius correction
        i0 = k * math.sqrt(1000.0 * x * c_max * (1 - x) * c_max)
        a_l = (
            3.0
            * p[cat.IDX_EPS_S]
            * p[cat.IDX_L_P]
            / (params.cathode.particle_radius_nm.value * 1e-9)
        )
        assert el.R_ct_ohm_cm2 == pytest.approx(R_GAS * 298.15 / (F * i0 * a_l) * 1e4, rel=1e-9)
    # symmetric in x(1 - x)
    assert imp.cathode_elements(params, p, 0.2).R_ct_ohm_cm2 == pytest.approx(
        imp.cathode_elements(params, p, 0.8).R_ct_ohm_cm2
    )


def test_ocv_slope_matches_numerical_derivative():
    for x in (0.01, 0.3, 0.5, 0.97):
        h = 1e-6
        num = (cat.lfp_ocv_V(x + h) - cat.lfp_ocv_V(x - h)) / (2 * h)
        assert imp.lfp_ocv_slope_V(x) == pytest.approx(num, rel=1e-5)


# ---- whole full cell: time domain of all processes together ------------------------------------


def test_full_cell_time_domain_matches_analytic(params):
    """Anode (film, double layer, BV) + LFP (double layer, BV at the surface concentration,
    refined particle FV, OCV) + electrolyte FV + ohmic, one ODE system, at 1 kHz, 10 Hz, 0.1 Hz."""
    anode, pa, sa = _anode_state(params, "ag-cu")
    an = imp.anode_elements(anode, sa, pa)
    p = cat.cathode_parameter_vector(params)
    x0 = 0.5
    ca = imp.cathode_elements(params, p, x0)
    # primitive inputs (SI, per m^2 geometric)
    rt_f = R_GAS * p[cat.IDX_T_K] / F
    c_max, radius, d_s = p[cat.IDX_C_MAX], p[cat.IDX_R_P], p[cat.IDX_D_S]
    a_l = 3 * p[cat.IDX_EPS_S] * p[cat.IDX_L_P] / radius
    k_r = p[cat.IDX_K_REACTION]
    c_dl_c = params.cathode.double_layer_capacitance_uF_cm2.value * 1e-2 * a_l  # F/m^2 geometric
    i0a = pa[P_I0] * 10.0 * coverage(sa, pa)  # A/m^2
    r_sei, c_sei = an.R_SEI_ohm_cm2 * 1e-4, an.C_SEI_F_cm2 * 1e4
    c_dla = an.C_dl_F_cm2 * 1e4
    r_series = (ca.R_ohmic_ohm_cm2 + an.R_dead_ohm_cm2) * 1e-4
    faces = _sphere_grid(radius, 50, 1.15)
    vol = (faces[1:] ** 3 - faces[:-1] ** 3) / 3.0
    centres = 0.5 * (faces[1:] + faces[:-1])
    g = d_s * faces[1:-1] ** 2 / np.diff(centres)
    n_r = vol.size
    main = np.zeros(n_r)
    main[:-1] -= g
    main[1:] -= g
    a_s = sparse.diags([g / vol[1:], main / vol, g / vol[:-1]], [-1, 0, 1], format="csr")
    h_last = faces[-1] - centres[-1]
    el = ca.electrolyte
    a_e, src, dx, _, n_sep = _electrolyte_fv(el, 20, 20)
    t_plus = el["transference_number"]
    chi = 2 * (1 - t_plus) * el["thermodynamic_factor"]
    c0 = el["concentration_mol_m3"]
    u0 = cat.lfp_ocv_V(x0)
    # states: [v_sei, eta_a, eta_c, c_s (n_r, relative to x0 c_max), c_e (n_e)]
    o_s, o_e = 3, 3 + n_r

    def rhs(t, y, i):
        dy = np.empty_like(y)
        v_sei, eta_a, eta_c = y[0], y[1], y[2]
        cs = y[o_s:o_e]
        ce = y[o_e:]
        # anode (plating for i > 0): film and double layer, oxidation overpotential -i
        i_fa = 2 * i0a * math.sinh(eta_a / (2 * rt_f))
        dy[0] = (-i - v_sei / r_sei) / c_sei
        dy[1] = (-i - i_fa) / c_dla
        # cathode: faradaic current from BV at the extrapolated surface concentration
        c_cat = c0 + ce[n_sep:].mean()
        c_s = cs[-1] + x0 * c_max  # outer cell (the grid is refined there)
        i0c = k_r * math.sqrt(c_cat * c_s * (c_max - c_s))
        i_fc = 2 * i0c * a_l * math.sinh(eta_c / (2 * rt_f))
        dy[2] = (i - i_fc) / c_dl_c
        j = i_fc / a_l
        dcs = a_s @ cs
        dcs[-1] -= radius**2 * j / F / vol[-1]
        dy[o_s:o_e] = dcs
        dy[o_e:] = a_e @ ce + src * (1 - t_plus) * i_fc / F
        return dy

    def out(y, i):
        ce = y[o_e:]
        c_last = y[o_s + n_r - 1] + x0 * c_max
        i0c = k_r * math.sqrt((c0 + ce[n_sep:].mean()) * c_last * (c_max - c_last))
        j = 2 * i0c * math.sinh(y[2] / (2 * rt_f))
        x_surf = (c_last - h_last * j / (F * d_s)) / c_max
        c_anode = c0 + ce[0]
        e_c = cat.lfp_ocv_V(x_surf) - u0 + y[2]
        e_conc = chi * rt_f * (np.log(c0 + ce[n_sep:]).mean() - math.log(c_anode))
        e_a = y[0] + y[1]  # anode oxidation overpotential (+ film)
        return e_c + e_conc + i * r_series - e_a

    n_y = 3 + n_r + dx.size
    amp = 0.5  # A/m^2 -> a few mV
    for f in (1e3, 10.0, 0.1):
        z_td = _sine_response(
            lambda t, y, c: rhs(t, y, amp * c),
            np.zeros(n_y),
            lambda y, c: out(y, amp * c),
            f,
            rtol=1e-8,
        )
        z_td = z_td / amp * 1e4
        z_an = imp.full_cell_impedance_ohm_cm2(np.array([f]), an, ca)[0]
        assert abs(z_td - z_an) / abs(z_an) < 0.01, (f, z_td, z_an)
