"""Figures render, carry the expected axis labels, and save as valid PNG / SVG files."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lilean.analysis.cycling import analyze_cycling, cycle_summary
from lilean.analysis.deposition import analyze_deposition
from lilean.analysis.dqdv import dqdv
from lilean.analysis.rate import rate_table
from lilean.analysis.symmetric import analyze_symmetric
from lilean.errors import LileanError
from lilean.plotting.figures import (
    plot_cycle_summary,
    plot_deposition,
    plot_dqdv,
    plot_rate,
    plot_symmetric,
    plot_voltage,
    save_figure,
)
from lilean.plotting.style import DPI, SINGLE_COLUMN_IN
from lilean.schema import CyclingData, Metadata, build_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _data(table: pd.DataFrame, **meta) -> CyclingData:
    return CyclingData(table, Metadata(instrument="synthetic", file_format="test", **meta))


def _full_cell(n_cycles: int = 8, fade: float = 0.02, mass_mg: float | None = 2.0) -> CyclingData:
    """Charge/discharge through a sloped V(Q) so dQ/dV and capacity plots have shape."""
    t, v, i, c = [], [], [], []
    now = 0.0
    for n in range(1, n_cycles + 1):
        q = 0.34 * (1 - fade * (n - 1))
        dur = q * 3.6 / 0.34e-3
        x = np.linspace(0, 1, 40)
        for sign, volts in ((1, 3.3 + 0.2 * x + 0.3 * x**8), (-1, 3.5 - 0.2 * x - 0.5 * x**8)):
            t.append(now + dur * x)
            v.append(volts)
            i.append(np.full(40, sign * 0.34e-3))
            c.append(np.full(40, n))
            now += dur
    table = build_table(
        np.concatenate(t), np.concatenate(v), np.concatenate(i), cycle=np.concatenate(c)
    )
    return _data(table, active_mass_mg=mass_mg)


def _deposition(dip_mV: float) -> CyclingData:
    t = np.arange(0.0, 3601.0)
    v = np.where(
        t <= 30, 2800 + (dip_mV - 2800) * t / 30, -62 + (dip_mV + 62) * np.exp(-(t - 30) / 20)
    )
    return _data(build_table(t, v / 1e3, np.full(t.size, -1.131e-3)), area_cm2=1.131)


def _symmetric(n: int = 10, eta_mV: float = 20.0) -> CyclingData:
    t = np.arange(0, 2 * n * 60 + 1, 1.0) * 60.0  # 60 rows per 1 h half-cycle
    half = (t // 3600).astype(int)
    sign = np.where(half % 2 == 0, -1.0, 1.0)
    sign[-1] = sign[-2]
    return _data(
        build_table(t, sign * eta_mV * (1 + 0.05 * half) / 1e3, sign * 1e-3, cycle=half // 2)
    )


def _texts(fig) -> set[str]:
    return {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}


def _check_saved(fig, tmp_path, name: str, labels: list[str]) -> None:
    paths = save_figure(fig, tmp_path / name)
    assert [p.suffix for p in paths] == [".png", ".svg"]
    png, svg = paths
    assert png.stat().st_size > 1000 and png.read_bytes()[:8] == PNG_MAGIC
    with Image.open(png) as image:
        image.verify()
        assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.5)
    root = ET.parse(svg).getroot()  # well-formed XML
    assert root.tag.endswith("svg")
    text = svg.read_text()
    for label in labels:  # svg.fonttype = none keeps text as text
        assert label.split("[")[0].strip() in text
    assert not list(tmp_path.glob("*.part"))  # atomic: no temporary left behind


def test_plot_voltage_time_and_capacity(tmp_path):
    data = _full_cell()
    fig = plot_voltage(data, x="time")
    assert {"Time [h]", "Voltage [V]"} <= _texts(fig)
    assert fig.get_size_inches()[0] == pytest.approx(SINGLE_COLUMN_IN)
    _check_saved(fig, tmp_path, "voltage_time", ["Time", "Voltage"])
    fig2 = plot_voltage(
        [("Li-Cu", data), ("Li-Ag@Cu", _full_cell(fade=0.0))], x="capacity", cycles=[1, 2]
    )
    assert "Specific capacity [mAh g$^{-1}$]" in _texts(fig2)
    assert len(fig2.axes[0].get_lines()) == 4  # 2 datasets x 2 cycles
    legend = fig2.axes[0].get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == [
        "Li-Cu",
        "Li-Ag@Cu",
    ]
    fig3 = plot_voltage(_full_cell(n_cycles=12, mass_mg=None), x="capacity")
    assert "Capacity [mAh]" in _texts(fig3)
    with pytest.raises(LileanError, match="x must be"):
        plot_voltage(data, x="soc")  # type: ignore[arg-type]


def test_plot_deposition_compares_substrates(tmp_path):
    cu, ag = _deposition(-427.0), _deposition(-103.0)
    fig = plot_deposition([("Cu", cu, analyze_deposition(cu)), ("Ag@Cu", ag)])
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Potential vs Li/Li$^+$ [mV]"
    assert ax.get_xlabel().startswith("Time [")
    assert ax.get_ylim()[0] <= -427.0
    annotations = [t.get_text() for t in ax.texts]
    assert any("365" in a for a in annotations) and any("41" in a for a in annotations)
    _check_saved(fig, tmp_path, "deposition", ["Potential vs Li", "Time"])
    assert plot_deposition(cu).axes  # single dataset, result computed


def test_plot_symmetric(tmp_path):
    data = _symmetric()
    fig = plot_symmetric(data, analyze_symmetric(data))
    assert {"Voltage [mV]", "Polarization [mV]", "Time [h]"} <= _texts(fig)
    assert len(fig.axes) == 2
    _check_saved(fig, tmp_path, "symmetric", ["Voltage", "Polarization", "Time"])


def test_plot_cycle_summary_twin_axes(tmp_path):
    data = _full_cell()
    fig = plot_cycle_summary(cycle_summary(data))
    assert {
        "Cycle number",
        "Discharge capacity [mAh g$^{-1}$]",
        "Coulombic efficiency [%]",
    } <= _texts(fig)
    assert len(fig.axes) == 2
    # the CE axis holds CE in percent (independent: all cycles have CE 100 % here)
    ce_line = fig.axes[1].get_lines()[0]
    np.testing.assert_allclose(ce_line.get_ydata(), 100.0, rtol=1e-9)
    _check_saved(fig, tmp_path, "summary", ["Cycle number", "Coulombic efficiency"])
    fig2 = plot_cycle_summary(
        [("A", analyze_cycling(data)), ("B", cycle_summary(_full_cell(mass_mg=None)))]
    )
    assert "Discharge capacity [mAh]" in _texts(fig2)


def test_plot_dqdv_and_rate(tmp_path):
    data = _full_cell()
    curves = [(f"cycle {n}", dqdv(data, n, voltage_resolution_V=0.01)) for n in (1, 8)]
    fig = plot_dqdv(curves)
    assert {"Voltage [V]", "dQ/dV [mAh V$^{-1}$]"} <= _texts(fig)
    _check_saved(fig, tmp_path, "dqdv", ["Voltage", "dQ/dV"])
    table = rate_table(data)
    fig2 = plot_rate(table)
    assert "Cycle number" in _texts(fig2)
    assert any(t.get_text().endswith("C") for t in fig2.axes[0].texts)
    _check_saved(fig2, tmp_path, "rate", ["Cycle number", "Discharge capacity"])


def test_save_figure_formats_and_errors(tmp_path):
    fig = plot_voltage(_full_cell(n_cycles=2))
    (pdf,) = save_figure(fig, tmp_path / "sub" / "fig.v1", formats=("pdf",))
    assert pdf.name == "fig.v1.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    first = save_figure(fig, tmp_path / "again", formats=("svg",))[0].read_bytes()
    second = save_figure(fig, tmp_path / "again", formats=("svg",))[0].read_bytes()
    assert first == second  # reproducible output: no time stamp
    with pytest.raises(LileanError, match="unknown figure format"):
        save_figure(fig, tmp_path / "x", formats=("bmp",))
    assert DPI == 300


def test_flagged_cycle_does_not_set_the_ce_axis(data_dir):
    from lilean.api import load_table

    res = analyze_cycling(load_table(data_dir / "neware" / "nw4-120-6-1-36.ndax"))
    assert res.table["Coulombic efficiency"].max() > 8  # cycle 1: 818 %
    fig = plot_cycle_summary(res)
    ax_cap, ax_ce = fig.axes[0], fig.axes[1]
    low, high = ax_ce.get_ylim()
    assert high < 110  # not 800 %
    assert low >= 80
    cap_high = ax_cap.get_ylim()[1]
    assert cap_high < 1.2 * res.table["Discharge capacity [mAh]"].iloc[1:].max()


def test_rest_only_file_gives_a_figure_that_says_so():
    from lilean.schema import build_table

    t = np.linspace(0, 3600, 50)
    table = build_table(t, np.full(50, 3.0), np.zeros(50))
    fig = plot_cycle_summary(cycle_summary(table))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("rest only" in s for s in texts)
    fig_v = plot_voltage(table, x="capacity")
    assert any("rest only" in t.get_text() for ax in fig_v.axes for t in ax.texts)


def test_symmetric_voltage_axis_is_not_set_by_isolated_spikes():
    from lilean.analysis.symmetric import analyze_symmetric
    from lilean.schema import build_table

    n = 40
    t, v, i = [], [], []
    for k in range(20):  # 20 half-cycles of 1 h, +-20 mV
        sign = -1 if k % 2 == 0 else 1
        t.append(3600.0 * k + np.linspace(0, 3600, n))
        v.append(np.full(n, sign * 0.020))
        i.append(np.full(n, sign * 1e-3))
    v[5][10] = 1.47  # two isolated spikes
    v[12][20] = -1.47
    table = build_table(np.concatenate(t), np.concatenate(v), np.concatenate(i))
    fig = plot_symmetric(table, analyze_symmetric(table))
    low, high = fig.axes[0].get_ylim()
    assert -100 < low < -20 and 20 < high < 100  # mV, not +-1470
