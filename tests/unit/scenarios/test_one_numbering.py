"""One retention and one cycle numbering for a simulation, whatever path reads it.

``analyze_data(sim.data)`` (what a user runs on any table, and what ``lilean analyze`` runs on the
Parquet file that ``lilean simulate ... -o`` writes) and the result's own ``summary`` / ``to_dict()``
(what ``lilean simulate --json``, sweeps and the report use) must give the same cycle numbers
(1 = first cycle after formation) and the same retention (against the first cycle after
formation, as the study reports it), for cycling, rate and protocol results.
"""

from __future__ import annotations

import numpy as np
import pytest

from lilean.api import analyze_data
from lilean.parameters import default_parameters
from lilean.schema import CYCLE_LABEL, CyclingData
from lilean.simulate import simulate_cycling, simulate_protocol, simulate_rate


@pytest.fixture(scope="module")
def params():
    return default_parameters()


def _agree(sim, analysed: dict) -> None:
    s = sim.summary
    table = analysed["table"]
    assert table["Cycle"] == [int(c) for c in s["Cycle"]]
    assert table["Protocol cycle"] == [int(c) for c in s["Protocol cycle"]]
    np.testing.assert_allclose(table["Retention [%]"], s["Retention [%]"], rtol=1e-12)
    assert analysed["reference_cycle"] == 1


def test_cycling_with_the_cli_defaults_agrees(params, tmp_path):
    sim = simulate_cycling(params, "cu")  # keyword defaults = the CLI's: 3 formation + 300 cycles
    analysed = analyze_data(sim.data, kind="cycling")
    _agree(sim, analysed)
    assert analysed["formation_cycles"] == [1, 2, 3]
    assert sim.summary["Cycle"].tolist() == list(range(1, 301))
    assert sim.summary["Protocol cycle"].tolist() == list(range(4, 304))
    assert int(sim.data.data["Cycle"].max()) == 303
    assert set(sim.data.data.loc[sim.data.data["Cycle"] <= 3, CYCLE_LABEL]) == {"formation"}
    d = sim.to_dict()
    assert d["cycle"] == analysed["table"]["Cycle"]
    assert d["retention_percent"] == pytest.approx(analysed["final_retention_percent"], rel=1e-12)
    # the reference is the first cycle after formation, not a formation cycle
    q = sim.summary["Discharge capacity [mAh]"].to_numpy()
    assert d["retention_percent"] == pytest.approx(100 * q[-1] / q[0], rel=1e-12)
    # the same through a Parquet round trip (lilean simulate -o run.parquet; lilean analyze)
    again = CyclingData.from_parquet(sim.data.to_parquet(tmp_path / "run.parquet"))
    assert analyze_data(again, kind="cycling")["table"] == analysed["table"]
    # and through lilean's own CSV (to_csv; the csv reader keeps the Cycle label column)
    from lilean.io import read

    sim.data.to_csv(tmp_path / "run.csv")
    from_csv = analyze_data(read(tmp_path / "run.csv"), kind="cycling")
    assert from_csv["formation_cycles"] == [1, 2, 3]
    assert from_csv["table"]["Cycle"] == analysed["table"]["Cycle"]
    np.testing.assert_allclose(
        from_csv["final_retention_percent"], analysed["final_retention_percent"], rtol=1e-9
    )


def test_rate_and_protocol_results_agree(params):
    rate = simulate_rate(params, "ag-cu")
    _agree(rate, analyze_data(rate.data, kind="cycling"))
    blocks = analyze_data(rate.data, kind="rate")["rate_table"]
    np.testing.assert_allclose(
        blocks["Discharge capacity [mAh/g]"], rate.table["Discharge capacity [mAh/g]"], rtol=1e-12
    )
    assert blocks["Cycles"] == [list(c) for c in rate.table["Cycles"]]
    run = simulate_protocol(
        params, "cu", ("Charge at 1C until 4.2 V", "Discharge at 2C until 2.0 V"), repeat=6
    )
    _agree(run, analyze_data(run.data, kind="cycling"))
    assert run.summary["Cycle"].tolist() == list(range(1, 7))
