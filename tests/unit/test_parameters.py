"""Parameters: every value has a unit and provenance; files round-trip; bad input fails loudly."""

from __future__ import annotations

import re

import pytest

from lilean.errors import ParameterError
from lilean.parameters import SUBSTRATES, ParameterSet, default_parameters


def test_default_set_is_complete_and_provenanced():
    p = default_parameters()
    flat = p.flat()
    assert flat, "default set is empty"
    for name, param in flat.items():
        assert param.unit, name
        assert param.kind in {"measured", "literature", "calibrated", "assumed"}, name
        assert len(param.source) > 5, name
        if param.kind == "calibrated":
            assert "calibration/" in param.source, f"{name}: calibrated without its script"
    assert set(p.substrates) == set(SUBSTRATES)


def test_study_cell_numbers():
    cell = default_parameters().cell
    assert cell.np_ratio == pytest.approx(25.0)
    # 0.4 mAh/cm2 * 1.131 cm2 / 170 mAh/g = 2.661 mg LFP
    assert cell.active_mass_mg == pytest.approx(2.661, rel=1e-3)


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_save_load_round_trip(tmp_path, suffix):
    p = default_parameters()
    path = p.save(tmp_path / f"set{suffix}")
    assert ParameterSet.load(path) == p


def test_user_override_records_provenance(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("[cell]\nli_inventory_mAh_cm2 = 5.0\ncathode_loading_mAh_cm2 = {value = 1.0}\n")
    p = ParameterSet.load(f)
    assert p.cell.li_inventory_mAh_cm2.value == 5.0
    assert p.cell.li_inventory_mAh_cm2.kind == "user"
    assert p.cell.np_ratio == pytest.approx(5.0)
    assert p.hash() != default_parameters().hash()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[cell]\nli_inventry_mAh_cm2 = 5.0\n", "did you mean 'li_inventory_mAh_cm2'"),
        ("[cel]\nx = 1\n", "unknown parameter 'cel'"),
        ("[cell]\nli_inventory_mAh_cm2 = -1.0\n", "out of range"),
        ("[cell]\nli_inventory_mAh_cm2 = 'ten'\n", "expected a number"),
        (
            '[cell]\nelectrode_area_cm2 = {value = 1.0, unit = "m^2"}\n',
            re.escape("expected 'cm^2'"),
        ),
        ("[cell\n", "not valid TOML"),
    ],
)
def test_bad_parameter_files(tmp_path, text, message):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ParameterError, match=message):
        ParameterSet.load(f)


def test_replace_and_get():
    p = default_parameters().replace({"cell.cathode_loading_mAh_cm2": 1.0})
    assert p.get("cell.cathode_loading_mAh_cm2") == 1.0
    with pytest.raises(ParameterError):
        p.get("cell.nope")
    with pytest.raises(ParameterError, match="unknown substrate"):
        p.substrate("gold")
