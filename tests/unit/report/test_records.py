"""Records and kinds: every number has a kind; predictions carry tolerance and pass."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lilean.parameters import default_parameters
from lilean.report import engine
from lilean.report.html import Section, render
from lilean.report.scorecard import scorecard, scored
from lilean.report.sections import SECTIONS, cell, rate

SPEC = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "targets.json"


def test_published_numbers_are_the_spec_targets() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} absent")
    assert engine.published() == json.loads(SPEC.read_text())


def test_record_deviation_tolerance_and_pass() -> None:
    r = engine.record("x", "q", "mV", 110.0, -100.0, 5.0, kind="predicted")
    assert r["deviation_percent"] == pytest.approx(100 * (110 - -100) / 100)
    assert r["tolerance_percent"] == 5.0 and r["pass"] is False
    ok = engine.record("x", "q", "mV", 102.0, 100.0, 5.0, kind="predicted")
    assert ok["pass"] is True and ok["band"] == engine.SINGLE_SEED
    rel = engine.record("x", "a < b", "", False, True, kind="qualitative")
    assert rel["pass"] is False and "deviation_percent" not in rel
    assert engine.record("x", "q", "", math.nan, 3.0, 1.0, kind="predicted")["lilean"] is None
    # a prediction that produced no value fails; an input never gets a verdict
    assert engine.record("x", "q", "", None, 3.0, 1.0, kind="predicted")["pass"] is False
    assert "pass" not in engine.record("x", "q", "", 3.0, 3.0, kind="input")


def test_record_refuses_unknown_kind_and_prediction_without_tolerance() -> None:
    with pytest.raises(ValueError, match="kind"):
        engine.record("x", "q", "", 1.0, 1.0, kind="measured")
    with pytest.raises(ValueError, match="tolerance"):
        engine.record("x", "q", "", 1.0, 2.0, kind="predicted")


def test_band_from_ensemble_fields() -> None:
    d = {"retention_percent": 80.0, "retention_percent_low": 75.0, "retention_percent_high": 84.0}
    band = engine.band_of(d, "retention_percent")
    assert band == (75.0, 84.0)
    r = engine.record("x", "q", "%", 80.0, None, kind="predicted", band=band)
    assert r["band"] == [75.0, 84.0]
    assert engine.band_of({"retention_percent": 1.0}, "retention_percent") is None


def test_cell_section_is_inputs_and_the_illegible_cutoff_is_assumed() -> None:
    params = default_parameters()
    section = cell.run(engine.Context(out_dir=Path("unused"), params=params))
    rows = {r["quantity"]: r for r in section.rows}
    assert rows["upper cut-off"]["kind"] == "assumed"
    assert "illegible" in rows["upper cut-off"]["basis"]
    assert {r["kind"] for q, r in rows.items() if q != "upper cut-off"} == {"input"}
    d_cm = 0.1 * params.cell.electrode_diameter_mm.value
    area = rows["electrode area from the diameter (pi d^2 / 4)"]
    assert area["lilean"] == pytest.approx(math.pi * d_cm**2 / 4)
    # nothing of the cell build counts as agreement
    assert scorecard([section])[0]["tried"] == 0


def test_rate_section_calibrated_ag_cu_and_held_back_cu(tmp_path: Path) -> None:
    ctx = engine.Context(out_dir=tmp_path, params=default_parameters())
    ctx.figures.mkdir(parents=True)
    ctx.results.mkdir(parents=True)
    section = rate.run(ctx)
    study = engine.published()["rate_np25"]["ag-cu_discharge_mAh_g"]
    calibrated = [r for r in section.rows if r["kind"] == "calibrated"]
    assert sorted(r["study"] for r in calibrated) == sorted(float(v) for v in study)
    held = [r for r in section.rows if r.get("study_note") == engine.HELD_BACK]
    assert held and all(r["quantity"].startswith("cu ") and r["study"] is None for r in held)
    card = scorecard([section])[0]
    assert card["tried"] == 0 and card["calibrated"] == len(study)
    assert card["held_back"] == len(held) and len(card["rows"]) == len(held)
    # the figure has a caption and names the study's counterpart
    [fig] = section.figures
    assert fig.caption and fig.counterpart and (tmp_path / fig.path).is_file()


def check_summary_kinds(summary: list[dict]) -> None:
    """The issue's rule, applied to any summary: every entry has a kind; every predicted entry
    with a study value has tolerance and pass; no calibrated/input/assumed entry is scored."""
    for r in summary:
        assert r.get("kind") in engine.KINDS, r
        if r["kind"] == "predicted" and engine.is_number(r.get("study")):
            assert "tolerance_percent" in r and isinstance(r["pass"], bool), r
        if r["kind"] in ("calibrated", "input", "assumed"):
            assert not scored(r), r


def test_scorecard_counts_only_predictions() -> None:
    rows = [
        engine.record("e", "target", "%", 81.0, 81.0, 6.0, kind="calibrated"),
        engine.record("e", "build", "mm", 12.0, 12.0, kind="input"),
        engine.record("e", "peak", "deg", 43.3, 43.3, 0.2, kind="predicted"),
        engine.record("e", "peak off", "deg", 45.0, 43.3, 0.2, kind="predicted"),
        engine.record("e", "a < b", "", True, True, kind="qualitative"),
        engine.record("e", "held", "%", 70.0, None, kind="predicted", held_back=True),
        engine.record("e", "no study", "h", 70.0, None, kind="predicted"),
    ]
    check_summary_kinds(rows)
    [card] = scorecard([Section("s", "S", rows=rows)])
    assert (card["passed"], card["tried"]) == (2, 3)
    assert (card["calibrated"], card["held_back"], card["unscored"]) == (1, 1, 1)
    page = render("t", "i", [Section("s", "S", rows=rows)], scorecard=[card])
    assert page.index("id='scorecard'") < page.index("id='s'")  # the report opens with it
    assert engine.HELD_BACK in page and "single seed" in page


def test_every_section_is_registered_once() -> None:
    keys = [s.key for s in SECTIONS]
    assert len(keys) == len(set(keys)) and "cell" in keys and "lab-data" in keys
