"""Unit tests of the Li-lean anode kernels (lilean.models.anode) against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lilean.models import anode as an
from lilean.parameters import default_parameters

PARAMS = default_parameters()


def _state(substrate: str = "cu", li: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    a = PARAMS.substrate(substrate).anode
    p = an.anode_parameter_vector(a)
    s = an.initial_anode_state(a, li, np.random.default_rng(seed))
    return s, p


def test_plating_books_sei_and_conserves_li() -> None:
    s, p = _state()
    s[an.S_AREA] = 1.0
    p[an.P_KCORR] = 0.0
    passed = an.anode_step(s, p, -1.0, 3600.0)  # 1 mA/cm2 for 1 h = 1 mAh/cm2 plated
    eps = p[an.P_EPS]  # fresh electrode: a_fresh = 1
    assert passed == pytest.approx(-1.0)
    assert s[an.S_SEI] == pytest.approx(eps * (1 - p[an.P_FDEAD]))
    assert s[an.S_ACT] + s[an.S_SEI] + s[an.S_DEAD] == pytest.approx(11.0)


def test_stripping_books_dead_li_and_is_limited_by_reservoir() -> None:
    s, p = _state(li=0.5)
    s[an.S_AREA] = 1.0
    p[an.P_KCORR] = 0.0
    p[an.P_KREACT] = 0.0  # no reconnection of dead Li (tested below)
    passed = an.anode_step(s, p, 1.0, 3600.0)  # asks for 1 mAh/cm2, only 0.5 available
    eps, f = p[an.P_EPS], p[an.P_FDEAD]
    assert passed == pytest.approx(0.5 / (1 + eps * f))
    assert s[an.S_ACT] == pytest.approx(0.0, abs=1e-12)
    assert s[an.S_DEAD] == pytest.approx(0.5 - passed)


def test_dead_li_reconnects_on_the_bare_substrate_only_while_stripping() -> None:
    """Liu2021/Bassett2023 reconnection: ``dQ_dead = -k (1 - theta) Q_dead dq`` on stripping
    (exact exponential over the step), none on plating or at rest; Li is conserved."""
    for li in (0.05, 8.0):  # thin (mostly bare substrate) and thick reservoir
        s, p = _state(li=li)
        s[an.S_AREA] = 1.0
        s[an.S_DEAD] = 5.0
        p[an.P_KCORR] = 0.0
        p[an.P_EPS] = 0.0  # no new dead Li: the change is the reconnection alone
        p[an.P_KREACT] = 0.05
        total = an.total_li_mAh_cm2(s)
        passed = an.anode_step(s, p, 0.01, 36.0)  # strip 1e-4 mAh/cm2
        theta = li / (li + p[an.P_QCOV])  # at the start of the step (reconnection comes first)
        expected = 5.0 * (1.0 - math.exp(-0.05 * (1.0 - theta) * passed))
        assert 5.0 - s[an.S_DEAD] == pytest.approx(expected, rel=1e-9)
        assert an.total_li_mAh_cm2(s) == pytest.approx(total - passed, rel=1e-12)  # to the cathode
    # far more comes back from a thin reservoir (bare substrate) than from a thick one
    s_thin, p = _state(li=0.05)
    s_thick, _ = _state(li=8.0)
    p[an.P_KREACT], p[an.P_EPS], p[an.P_KCORR] = 0.05, 0.0, 0.0
    for s in (s_thin, s_thick):
        s[an.S_DEAD] = 5.0
        an.anode_step(s, p, 0.01, 36.0)
    assert 5.0 - s_thin[an.S_DEAD] > 10 * (5.0 - s_thick[an.S_DEAD])
    # plating and rest reconnect nothing
    for i in (-1.0, 0.0):
        s, p = _state(li=0.05)
        s[an.S_DEAD] = 5.0
        p[an.P_KREACT], p[an.P_EPS], p[an.P_KCORR] = 0.05, 0.0, 0.0
        an.anode_step(s, p, i, 36.0)
        assert s[an.S_DEAD] == 5.0


def test_cycling_loss_scales_with_current_density_exponent() -> None:
    """``eps(J) = eps (J / 1 mA/cm^2)^n``: at n = 0.5 plating at 4 mA/cm^2 loses twice the share
    of plating at 1 mA/cm^2 (same charge)."""
    sei = []
    for j in (1.0, 4.0):
        s, p = _state()
        s[an.S_AREA] = 1.0
        s[an.S_DEAD] = 0.0
        p[an.P_KCORR] = 0.0
        p[an.P_EPSEXP] = 0.5
        an.anode_step(s, p, -j, 360.0 / j)  # 0.1 mAh/cm2 plated
        sei.append(s[an.S_SEI])
    assert sei[1] == pytest.approx(2.0 * sei[0], rel=1e-9)


def test_corrosion_rate_matches_area_law() -> None:
    s, p = _state()
    s[an.S_AREA] = 1.0
    q0 = s[an.S_ACT]
    an.anode_step(s, p, 0.0, 36.0)  # 0.01 h at rest on a fresh surface (age 0 -> 0.01 h)
    theta = q0 / (q0 + p[an.P_QCOV])
    passivation = 1.0 / math.sqrt(1.0 + 0.005 / p[an.P_TAUPASS])  # midpoint age 0.005 h
    expected = p[an.P_KCORR] * theta * (1 + p[an.P_SAREA] * q0) * 0.01 * passivation
    assert q0 - s[an.S_ACT] == pytest.approx(expected, rel=1e-9)
    assert s[an.S_SEI] == pytest.approx(expected, rel=1e-9)
    assert s[an.S_TPASS] == pytest.approx(0.01)


def test_corrosion_passivates_as_sqrt_time_and_cycling_renews_the_surface() -> None:
    """Parabolic passivation (Boyle et al. 2021): at rest the loss grows ~ sqrt(t) for t >> tau;
    cycling re-exposes fresh Li (the passivation age falls), so corrosion speeds up again."""
    s, p = _state()
    p[an.P_SAREA] = 0.0  # keep the contact area ~constant: the rate law alone
    p[an.P_KCORR] = 1e-4
    losses = []
    for _ in range(2):  # two successive 100 h rests
        q = s[an.S_ACT]
        for _ in range(1000):
            an.anode_step(s, p, 0.0, 360.0)
        losses.append(q - s[an.S_ACT])
    # 1/sqrt(t) rate: the second 100 h lose (sqrt(201) - sqrt(101)) / (sqrt(101) - 1) of the first
    tau = p[an.P_TAUPASS]
    ratio = (math.sqrt(1 + 200 / tau) - math.sqrt(1 + 100 / tau)) / (math.sqrt(1 + 100 / tau) - 1)
    assert losses[1] / losses[0] == pytest.approx(ratio, rel=0.02)
    age = s[an.S_TPASS]
    an.anode_step(s, p, -1.0, 3600.0)  # plate 1 mAh/cm2: renews a share of the surface
    assert s[an.S_TPASS] < age


def test_sei_never_takes_more_electrolyte_than_the_cell_holds() -> None:
    """With an inventory, SEI (plating loss + corrosion) stops when the salt is used up: the
    electrolyte fractions stay in [0, 1] and Li is conserved."""
    a = PARAMS.substrate("cu").anode
    p = an.anode_parameter_vector(
        a, electrolyte={"sei_li_salt_mAh_cm2": 0.05, "sei_li_solvent_mAh_cm2": 0.5}
    )
    s = an.initial_anode_state(a, 10.0, np.random.default_rng(0))
    net_out = 0.0  # charge passed out of the electrode (a reservoir that runs out passes less)
    for k in range(400):
        net_out += an.anode_step(s, p, -1.0 if k % 2 else 1.0, 1800.0)
    assert s[an.S_SEI] == pytest.approx(0.05, rel=1e-9)  # exactly the salt's capacity
    assert s[an.S_SALT] == pytest.approx(0.0, abs=1e-12)
    assert s[an.S_SOLV] == pytest.approx(1.0 - 0.05 / 0.5)
    assert s[an.S_ACT] + s[an.S_DEAD] + s[an.S_SEI] == pytest.approx(10.0 - net_out)
    # the depleted electrolyte raises the separator's resistance without bound (dry-out)
    assert an.separator_resistance_increase_ohm_cm2(s, p) > 1e3 * p[an.P_RSEP]


def test_overpotential_butler_volmer_plus_ohmic() -> None:
    s, p = _state()
    s[an.S_AREA] = 1.0
    s[an.S_QHALF] = 1e3  # far from the start-of-step peak
    s[an.S_SIGN] = -1.0
    i = -1.0
    theta = s[an.S_ACT] / (s[an.S_ACT] + p[an.P_QCOV])
    r = p[an.P_RSEI0]
    kt = 2 * 8.314462618 * 298.15 / 96485.33212
    # plating runs on the Li-covered area and on the bare substrate
    i0_plating = p[an.P_I0] * theta + p[an.P_I0SUB] * (1 - theta)
    expected = kt * math.asinh(i / (2 * i0_plating)) + i * r * 1e-3
    assert an.anode_overpotential_V(s, p, i) == pytest.approx(expected, rel=1e-9)
    assert an.anode_overpotential_V(s, p, 0.0) == 0.0
    # stripping only on the Li-covered area (plus the dead-Li layer's resistance)
    s[an.S_SIGN] = 1.0
    r_strip = r + an.dead_layer_resistance_ohm_cm2(s, p)
    expected = kt * math.asinh(1.0 / (2 * p[an.P_I0] * theta)) + r_strip * 1e-3
    assert an.anode_overpotential_V(s, p, 1.0) == pytest.approx(expected, rel=1e-9)


def test_emptied_reservoir_strips_at_diverging_but_replates_at_finite_overpotential() -> None:
    """With the reservoir gone the stripping overpotential rises without bound (continuously as
    Q_act -> 0), while plating needs only the substrate's nucleation overpotential."""
    s, p = _state()
    s[an.S_QHALF] = 1e3
    etas = []
    for q in (1e-2, 1e-4, 1e-6):
        s[an.S_ACT] = q
        s[an.S_SIGN] = 1.0
        etas.append(an.anode_overpotential_V(s, p, 1.0))
    assert etas[0] < etas[1] < etas[2]
    s[an.S_ACT] = 0.0
    s[an.S_SIGN] = -1.0
    eta_plate = an.anode_overpotential_V(s, p, -1.0)
    assert math.isfinite(eta_plate)
    assert -1.0 < eta_plate < 0.0


def test_dead_layer_resistance_formula() -> None:
    s, p = _state()
    s[an.S_DEAD] = 2.0
    por, tau, kappa = p[an.P_POR], p[an.P_TAU], p[an.P_KAPPA]
    expected = 4.85e-4 * 2.0 / (1 - por) * tau / (kappa * por)
    assert an.dead_layer_resistance_ohm_cm2(s, p) == pytest.approx(expected)


def test_protrusions_grow_only_after_sand_time() -> None:
    s, p = _state()
    j = 1.0
    t_sand = p[an.P_TSAND] / (p[an.P_HOTSPOT] * j) ** 2
    an.anode_step(s, p, -j, 0.9 * t_sand)
    assert s[an.S_PROT] == 0.0
    an.anode_step(s, p, -j, 0.2 * t_sand)
    dq_after = j * 0.1 * t_sand / 3600.0
    assert s[an.S_PROT] == pytest.approx(p[an.P_GROWTH] * dq_after, rel=1e-6)


def test_initial_state_is_seeded() -> None:
    a, _ = _state(seed=3)
    b, _ = _state(seed=3)
    c, _ = _state(seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
