"""dQ/dV and dV/dQ of both branches as data: exact integrals, no ringing on sparse logs, peaks."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.analysis.dqdv import differential_analysis, dqdv, dqdv_peaks, dvdq
from lilean.schema import build_table


def _two_plateau_cell(n: int, *, v1=3.40, v2=3.60, w=0.01, q1=0.6, q2=0.4, cycles=2):
    """Charge/discharge through Q(V) = q1 L((V-v1)/w) + q2 L((V-v2)/w) (L logistic): dQ/dV peaks
    at v1 (height q1/(4w)) and v2 (q2/(4w)); ``n`` rows per branch, uniform in V."""
    v = np.linspace(3.2, 3.8, n)
    q = q1 / (1 + np.exp(-(v - v1) / w)) + q2 / (1 + np.exp(-(v - v2) / w))
    q = q - q[0]
    current = 1e-3
    t_ch = q * 3.6 / current
    t, vv, ii, cc = [], [], [], []
    now = 0.0
    for c in range(1, cycles + 1):
        t += [now + t_ch, now + t_ch[-1] + (t_ch[-1] - t_ch[::-1])]
        vv += [v, v[::-1]]
        ii += [np.full(n, current), np.full(n, -current)]
        cc += [np.full(2 * n, c)]
        now += 2 * t_ch[-1] + 1.0
    return build_table(
        np.concatenate(t), np.concatenate(vv), np.concatenate(ii), cycle=np.concatenate(cc)
    ), q[-1]


@pytest.mark.parametrize("rows", [60, 2000])
def test_sparse_and_dense_logs_give_the_same_peaks_without_ringing(rows):
    # 60 rows over 0.6 V: one row every 10 mV, two 5 mV bins per row interval
    table, q_total = _two_plateau_cell(rows)
    for branch, sign in (("charge", 1), ("discharge", -1)):
        raw = dqdv(table, 1, step_type=branch, smoothing_window=0)
        y_raw = raw["dQ/dV [mAh/V]"].to_numpy()
        assert abs(y_raw.sum()) * 0.005 == pytest.approx(q_total, rel=1e-9)
        inside = (raw["Voltage [V]"] > 3.21) & (raw["Voltage [V]"] < 3.79)
        assert (np.abs(y_raw[inside.to_numpy()]) > 0).all()  # no empty bins
        curve = dqdv(table, 1, step_type=branch)
        y = sign * curve["dQ/dV [mAh/V]"].to_numpy()
        assert y.min() > -0.03 * y.max()  # no negative lobes (ringing)
        peaks = dqdv_peaks(curve)
        assert len(peaks) == 2
        found = sorted(peaks["Peak voltage [V]"])
        assert found == pytest.approx([3.40, 3.60], abs=0.006)
        heights = peaks.set_index("Peak voltage [V]").sort_index()["Peak dQ/dV [mAh/V]"]
        tol = 0.1 if rows == 60 else 0.05
        assert sign * heights.iloc[0] == pytest.approx(0.6 / 0.04, rel=tol)
        assert sign * heights.iloc[1] == pytest.approx(0.4 / 0.04, rel=tol)


def test_dvdq_of_a_linear_branch_is_its_slope():
    n = 200
    q_mAh = np.linspace(0, 2.0, n)
    v = 3.0 + 0.25 * q_mAh
    current = 1e-3
    t = q_mAh * 3.6 / current
    table = build_table(
        np.concatenate([t, t[-1] + t]),
        np.concatenate([v, v[::-1]]),
        np.concatenate([np.full(n, current), np.full(n, -current)]),
    )
    ch = dvdq(table, 1, step_type="charge")
    dis = dvdq(table, 1, step_type="discharge")
    np.testing.assert_allclose(ch["dV/dQ [V/mAh]"], 0.25, rtol=1e-6)
    np.testing.assert_allclose(dis["dV/dQ [V/mAh]"], -0.25, rtol=1e-6)
    assert ch["Capacity [mAh]"].iloc[-1] == pytest.approx(2.0, rel=1e-6)


def test_differential_analysis_has_both_branches_of_every_cycle():
    table, _ = _two_plateau_cell(400, cycles=3)
    out = differential_analysis(table)
    for key in ("dqdv", "dvdq", "peaks"):
        pairs = set(zip(out[key]["Cycle"], out[key]["Branch"], strict=True))
        assert pairs == {(c, b) for c in (1, 2, 3) for b in ("charge", "discharge")}
    assert (out["peaks"].groupby(["Cycle", "Branch"]).size() == 2).all()


def test_constant_voltage_hold_is_left_out():
    table, _ = _two_plateau_cell(400, cycles=1)
    ch = table[table["Step type"] == "charge"]
    t_end = float(ch["Time [s]"].iloc[-1])
    # add a 1 h CV hold at the top voltage with the current decaying from 1 mA to 0.05 mA
    tau = np.linspace(0, 3600, 200)[1:]
    i_hold = 1e-3 * np.exp(-tau / 1200) + 5e-5
    t = np.concatenate([ch["Time [s]"], t_end + tau])
    v = np.concatenate([ch["Voltage [V]"], np.full(tau.size, float(ch["Voltage [V]"].iloc[-1]))])
    i = np.concatenate([ch["Current [A]"], i_hold])
    cccv = build_table(t, v, i)
    curve = dqdv(cccv, 1, step_type="charge")
    top = curve["dQ/dV [mAh/V]"].max()
    assert top == pytest.approx(0.6 / 0.04, rel=0.05)  # the 3.40 V peak, not a spike at 3.8 V
    assert curve["dQ/dV [mAh/V]"].iloc[-3:].max() < 0.1 * top


def test_differential_figure_is_drawn_from_the_data(tmp_path):
    from lilean.plotting.figures import plot_differential, save_figure

    table, _ = _two_plateau_cell(400, cycles=2)
    result = differential_analysis(table)
    fig = plot_differential(result)
    ax_q, ax_v = fig.axes[:2]
    ys = np.concatenate([line.get_ydata() for line in ax_q.lines[:1]])
    np.testing.assert_allclose(ys, result["dqdv"]["dQ/dV [mAh/V]"].iloc[: ys.size])
    assert {len(line.get_xdata()) for line in ax_v.lines} >= {256}
    assert all(p.exists() for p in save_figure(fig, tmp_path / "d"))
    empty = differential_analysis(build_table(np.arange(5.0), np.full(5, 3.0), np.zeros(5)))
    fig = plot_differential(empty)
    assert any("No charge" in t.get_text() for ax in fig.axes for t in ax.texts)
