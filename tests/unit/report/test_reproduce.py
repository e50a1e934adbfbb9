"""Unit tests of the reproduce report: records, HTML, cache, the study-number bookkeeping."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lilean.parameters import default_parameters
from lilean.report import reproduce as rp
from lilean.report.html import Section, render
from lilean.testing.data import require

DATA = Path(__file__).resolve().parents[2] / "data"


def test_published_numbers_are_the_shipped_targets() -> None:
    targets = json.loads((DATA / "targets.json").read_text())
    assert rp.published() == targets


def test_record_deviation_is_relative_to_the_study() -> None:
    r = rp.record("x", "q", "mV", 110.0, -100.0, 5.0)
    assert r["deviation_percent"] == pytest.approx(100 * (110 - -100) / 100)
    assert r["tolerance_percent"] == 5.0
    # relations: booleans, no deviation; missing values stay null, NaN becomes null
    rel = rp.record("x", "a < b", "", True, True)
    assert rel["lilean"] is True and "deviation_percent" not in rel
    assert rp.record("x", "q", "", None, 3.0)["lilean"] is None
    assert rp.record("x", "q", "", math.nan, 3.0)["lilean"] is None
    assert "deviation_percent" not in rp.record("x", "q", "", 1.0, None)


def test_cell_section_matches_parameter_set_and_derived_numbers() -> None:
    params = default_parameters()
    section = rp.cell(rp.Context(out_dir=Path("unused"), params=params))
    rows = {r["quantity"]: r for r in section.rows}
    d_cm = 0.1 * params.cell.electrode_diameter_mm.value
    area = rows["electrode area from the diameter (pi d^2 / 4)"]
    assert area["lilean"] == pytest.approx(math.pi * d_cm**2 / 4)
    assert abs(area["deviation_percent"]) < 0.1  # 12 mm disk = 1.131 cm2
    np25 = rows["N/P ratio = Li / LFP at 0.4 mAh/cm2"]
    assert np25["lilean"] == pytest.approx(params.cell.li_inventory_mAh_cm2.value / 0.4)
    assert np25["study"] == 25.0


def test_hkl_digits_normalises_pymatgen_style_labels() -> None:
    assert rp._hkl_digits("(1, 1, 1)") == "111"
    assert rp._hkl_digits((2, 0, 0)) == "200"
    assert rp._hkl_digits([(2, 2, 0)]) == "220"


def test_xrd_rows_without_module_list_every_study_number_as_missing() -> None:
    rows = rp._xrd_rows(None)
    assert all(r["lilean"] is None for r in rows)
    studied = {r["study"] for r in rows}
    assert {43.3, 50.4, 74.1, 4.0, 0.242, 0.227} <= studied


def test_html_colours_by_tolerance_and_escapes() -> None:
    s = Section("k", "T <b>", rows=[rp.record("e", "ok<", "", 101.0, 100.0, 5.0)])
    s.rows.append(rp.record("e", "bad", "", 120.0, 100.0, 5.0))
    s.rows.append(rp.record("e", "relation fails", "", False, True))
    page = render("title", "intro", [s])
    assert "T &lt;b&gt;" in page and "ok&lt;" in page
    assert page.count("class='ok'") == 1 and page.count("class='bad'") == 2
    assert "<script" not in page  # no interactive figure: no plotly.js


def test_plotly_is_inlined_once_and_never_from_a_cdn() -> None:
    a = Section("a", "A", interactive=["<div id='x'></div>"])
    b = Section("b", "B", interactive=["<div id='y'></div>"])
    page = render("t", "i", [a, b])
    assert page.count("<script type='text/javascript'>") == 1
    assert "<script src" not in page and "<link" not in page  # nothing fetched


def test_section_json_round_trip() -> None:
    s = Section(
        "k",
        "T",
        "setup",
        [Path("f.png")],
        [rp.record("e", "q", "u", 1.0, 2.0)],
        [("p", "1 V", "measured", "src")],
        None,
        ["n"],
        ["<div></div>"],
        False,
    )
    assert Section.from_json(json.loads(json.dumps(s.to_json()))) == s


def test_second_run_is_served_from_the_cache(tmp_path: Path) -> None:
    params = default_parameters()
    first = rp.reproduce(tmp_path, params, only=["cell"])
    assert first["cached"] == [] and not first["failed"]
    second = rp.reproduce(tmp_path, params, only=["cell"])
    assert second["cached"] == ["cell"]
    assert second["summary"] == first["summary"]
    # another parameter value -> another key -> recomputed
    changed = params.replace({"cell.electrolyte_volume_uL": 60.0})
    third = rp.reproduce(tmp_path, changed, only=["cell"])
    assert third["cached"] == []
    row = next(r for r in third["summary"] if r["quantity"] == "electrolyte volume")
    assert row["lilean"] == 60.0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == third["summary"]


def test_failure_is_reported_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: rp.Context) -> Section:
        raise RuntimeError("kaput")

    monkeypatch.setattr(rp, "EXPERIMENTS", [("cell", "Cells", boom)])
    out = rp.reproduce(tmp_path, default_parameters(), use_cache=False)
    assert out["failed"] == ["cell"]
    assert "FAILED: RuntimeError: kaput" in (tmp_path / "report.html").read_text()


def test_missing_module_gives_missing_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rp, "PLUME_MODULE", "lilean.models.no_such_module")
    ctx = rp.Context(out_dir=tmp_path, params=default_parameters())
    section = rp.plumes(ctx)
    assert section.missing and "not built" in section.missing
    assert {r["study"] for r in section.rows} == {1.0, 2.0}
    assert all(r["lilean"] is None for r in section.rows)


def test_measured_deposition_is_overlaid_on_the_simulated_transients(tmp_path: Path) -> None:
    from lilean.simulate import simulate_nucleation

    params = default_parameters()
    # a "measured" transient: the Cu simulation at 0.5 mA/cm2 stands in for a lab file
    fake = simulate_nucleation(params, "cu", 0.5).data
    ctx = rp.Context(out_dir=tmp_path, params=params, fast=True, data_dir=tmp_path)
    ctx._measured = [rp.Measured(tmp_path / "lab_LiCu.csv", "csv", "deposition", fake)]
    ctx.figures.mkdir(parents=True)
    ctx.results.mkdir(parents=True)
    section = rp.nucleation(ctx)
    names = [f.stem for f in section.figures]
    assert "nucleation_transients_vs_measured" in names
    assert any("lab_LiCu.csv" in n for n in section.notes)
    rows = {r["quantity"]: r for r in section.rows}
    # the trend records compare the simulated values independently of the record code
    cu = [rows[f"cu at {j:g} mA/cm2"]["lilean"] for j in (0.2, 1.0, 5.0)]
    assert rows["cu: nucleation overpotential increases with current density"]["lilean"] == (
        cu[0] < cu[1] < cu[2]
    )


def test_measured_cycling_summary_is_retention_of_complete_cycles(tmp_path: Path) -> None:
    from lilean.analysis.cycling import cycle_summary
    from lilean.io import detect, read

    path = require("neware/nw_regular_export_ife_example.csv")
    data = read(path, detect(path).name, strict=False)
    ctx = rp.Context(out_dir=tmp_path, params=default_parameters(), data_dir=path.parents[1])
    ctx._measured = [rp.Measured(path, "neware-csv", "cycling", data)]
    [(label, frame)] = rp._measured_summaries(ctx)
    assert label == path.name
    s = cycle_summary(data)
    s = s[s["Complete"].astype(bool)]
    q = s["Discharge capacity [mAh]"].to_numpy(float)
    assert frame["Retention [%]"].to_numpy() == pytest.approx(100 * q / q[0])
    assert frame["Retention [%]"].iloc[0] == pytest.approx(100.0)
