"""Sections on real files: overlays only of the same cell type, unique figure names, layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lilean.parameters import default_parameters
from lilean.report import engine
from lilean.report.layout import journal_layout, robust_ylim
from lilean.report.sections import full_cell, lab_data, nucleation
from lilean.testing.data import data_dir

REPO = Path(__file__).resolve().parents[3]
#: the real data files live next to the repository (found through the data registry)
DATA = data_dir()


def _ctx(tmp_path: Path, **kw: object) -> engine.Context:
    ctx = engine.Context(out_dir=tmp_path, params=default_parameters(), **kw)  # type: ignore[arg-type]
    ctx.figures.mkdir(parents=True)
    ctx.results.mkdir(parents=True)
    return ctx


def _read(rel: str) -> object:
    from lilean.io import detect, read

    path = DATA / rel
    if not path.is_file():
        pytest.skip(f"{path} absent (the shared data folder holds it)")
    return read(path, detect(path).name, strict=False)


def test_measured_deposition_is_overlaid_on_the_simulated_transients(tmp_path: Path) -> None:
    from lilean.simulate import simulate_nucleation

    params = default_parameters()
    # a "measured" transient: the Cu simulation at 0.5 mA/cm2 stands in for a lab file
    fake = simulate_nucleation(params, "cu", 0.5).data
    assert engine.cell_type(fake) == "Li||Cu"
    ctx = _ctx(tmp_path, fast=True, data_dir=tmp_path)
    ctx._measured = [
        engine.Measured(tmp_path / "lab_LiCu.csv", "csv", "deposition", fake, "Li||Cu")
    ]
    section = nucleation.run(ctx)
    names = [Path(f.path).stem for f in section.figures]
    assert "nucleation_transients_vs_measured" in names
    assert all(f.caption and f.counterpart for f in section.figures)
    rows = {r["quantity"]: r for r in section.rows}
    cu = [rows[f"cu at {j:g} mA/cm2"]["lilean"] for j in (0.2, 1.0, 5.0)]
    assert rows["cu: nucleation overpotential increases with current density"]["lilean"] == (
        cu[0] < cu[1] < cu[2]
    )
    # one value for one condition: the 1 mA/cm2 point of the sweep is the transient's value
    assert rows["cu at 1 mA/cm2"]["lilean"] == rows["cu nucleation_overpotential"]["lilean"]
    assert rows["cu nucleation_overpotential"]["kind"] == "calibrated"


def test_measured_cycling_summary_only_of_the_cell_type(tmp_path: Path) -> None:
    from lilean.analysis.cycling import cycle_summary

    data = _read("neware/nw_regular_export_ife_example.csv")
    ctx = _ctx(tmp_path, data_dir=DATA)
    path = DATA / "neware" / "nw_regular_export_ife_example.csv"
    kind = engine.cell_type(data)
    ctx._measured = [engine.Measured(path, "neware-csv", "cycling", data, kind)]
    [(label, frame)] = full_cell.measured_summaries(ctx, kind)
    assert label == "neware/nw_regular_export_ife_example.csv"
    s = cycle_summary(data)  # type: ignore[arg-type]
    s = s[s["Complete"].astype(bool)]
    q = s["Discharge capacity [mAh]"].to_numpy(float)
    assert frame["Retention [%]"].to_numpy() == pytest.approx(100 * q / q[0])
    other = "other" if kind != "other" else "Li||LFP"
    assert full_cell.measured_summaries(ctx, other) == []


def test_si_half_cell_is_not_an_lfp_cell() -> None:
    data = _read("arbin/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx")
    assert engine.cell_type(data) == "other"  # graphite || Li, 0.05-1 V


def test_lab_figure_names_are_unique_per_file() -> None:
    assert lab_data.slug("arbin/arbin_example.csv") != lab_data.slug("arbin/arbin_example.res")
    assert lab_data.slug("a b/c.d") == "a_b_c_d"


def test_spikes_do_not_set_the_axis_and_the_legend_goes_outside() -> None:
    import matplotlib.pyplot as plt

    t = np.linspace(0, 100, 2000)
    v = 0.05 * np.sign(np.sin(t))
    v[[100, 900]] = [1.47, -1.47]  # two short spikes
    fig, ax = plt.subplots()
    ax.plot(t, v, label="Li-Ag@Cu")
    ax.legend()
    assert ax.get_ylim()[1] > 1.4
    low, high = robust_ylim(ax)  # type: ignore[misc]
    assert -0.1 < low < -0.05 and 0.05 < high < 0.1
    journal_layout(fig)
    assert ax.get_ylim()[1] < 0.1 and ax.get_legend() is None
    [legend] = fig.legends
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.x0 >= ax.get_window_extent().x1  # right of the axes: off the data
    plt.close(fig)


def test_a_real_collapse_is_never_clipped() -> None:
    import matplotlib.pyplot as plt

    cycles = np.arange(300)
    retention = np.where(cycles < 150, 100 - 0.02 * cycles, 97 - 0.6 * (cycles - 150))
    fig, ax = plt.subplots()
    ax.plot(cycles, retention)
    assert robust_ylim(ax) is None
    plt.close(fig)


def test_overlapping_series_get_distinct_styles() -> None:
    import matplotlib.pyplot as plt

    from lilean.report.layout import separate_overlaps

    fig, ax = plt.subplots()
    x = np.arange(10)
    a, b = ax.plot(x, x + 100.0, x, x + 100.2)
    assert separate_overlaps(ax)
    assert a.get_linestyle() != b.get_linestyle() and a.get_marker() != b.get_marker()
    fig2, ax2 = plt.subplots()
    ax2.plot(x, x, x, 3 * x + 50)
    assert not separate_overlaps(ax2)
    plt.close(fig)
    plt.close(fig2)
