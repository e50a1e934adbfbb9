"""lilean.api has one function per CLI command, and api.simulate runs every scenario exactly as
the lilean.simulate facade does."""

from __future__ import annotations

import pytest

from lilean import api
from lilean.parameters import default_parameters
from lilean.testing.data import data_dir

DATA = data_dir()  # the real files, through the registry (../shared/data or LILEAN_DATA_DIR)


def test_one_function_per_command() -> None:
    for name in ("simulate", "fit", "predict", "sweep", "reproduce", "eis_fit", "xrd_simulate",
                 "xrd_identify", "load_table", "analyze_data"):  # fmt: skip
        assert callable(getattr(api, name)), name


def test_api_simulate_equals_the_facade() -> None:
    from lilean.simulate import simulate_nucleation, simulate_rate

    p = default_parameters()
    a = api.simulate("nucleation", p, substrate="ag-cu", current_density_mA_cm2=0.5)
    b = simulate_nucleation(p, "ag-cu", 0.5)
    assert a.to_dict() == b.to_dict()
    r1 = api.simulate("rate", p, substrate="cu", seed=4)
    r2 = simulate_rate(p, "cu", seed=4)
    assert r1.to_dict() == r2.to_dict()
    assert list(r1.table["C-rate"]) == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 1.0]


def test_api_simulate_refuses_unknown_scenarios_and_inputs() -> None:
    from lilean.errors import ParameterError

    with pytest.raises(ParameterError, match="unknown scenario"):
        api.simulate("no-such-experiment", substrate="cu")
    with pytest.raises(ParameterError, match="cycles"):
        api.simulate("cycling", substrate="cu", cycles="many")


def test_api_eis_fit_and_xrd() -> None:
    gamry = DATA / "eis" / "exampleDataGamry.DTA"
    if not gamry.is_file():
        pytest.skip("tests/data/eis/exampleDataGamry.DTA missing")
    out = api.eis_fit(gamry)
    assert out["parameters"] and out["interfacial_resistance_ohm"] > 0
    pytest.importorskip("pymatgen")
    pattern = api.xrd_simulate("Cu")
    assert len(pattern.peaks) >= 3
