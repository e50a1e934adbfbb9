"""A new simulated experiment is one scenario module: registered here, in the test only, it runs
through the registry, the Python API, ``lilean simulate scenario`` and ``lilean sweep``, without any
other file knowing about it (the worked example of docs/design.md, "Adding a scenario")."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lilean.cli import app
from lilean.parameters import ParameterSet, default_parameters
from lilean.scenarios import (
    OUTPUTS,
    SWEEP_EXPERIMENTS,
    Result,
    ResultBase,
    Scenario,
    get_scenario,
    output,
    register,
    unregister,
)
from lilean.scenarios.base import sim_meta
from lilean.schema import CyclingData, build_table

# ---- the toy scenario: a constant-current discharge of an ideal capacitor ----------------------


@dataclass(frozen=True, repr=False)
class ToyResult(ResultBase):
    data: CyclingData
    capacitance_F: float
    scenario = "toy"

    def to_dict(self) -> dict[str, Any]:
        v = self.data.data["Voltage [V]"].to_numpy()
        return {"final_voltage_V": float(v[-1]), "capacitance_F": self.capacitance_F}


def simulate_toy(
    params: ParameterSet,
    substrate: str = "cu",
    *,
    current_mA: float = 1.0,
    capacitance_F: float = 10.0,
    hours: float = 1.0,
    seed: int = 0,
) -> ToyResult:
    """V(t) = 3 V - I t / C (plus seeded noise of 1 uV), 61 points."""
    t = np.linspace(0.0, hours * 3600.0, 61)
    rng = np.random.default_rng(seed)
    v = 3.0 - current_mA * 1e-3 * t / capacitance_F + rng.normal(0.0, 1e-6, t.size)
    table = build_table(t, v, np.full_like(t, -current_mA * 1e-3))
    meta = sim_meta(params, substrate, {"kind": "toy", "current_mA": current_mA, "seed": seed})
    return ToyResult(CyclingData(table, meta), capacitance_F)


TOY = Scenario(
    name="toy",
    simulate=simulate_toy,
    description="Ideal capacitor discharged at constant current.",
    outputs=(
        output(
            "toy_final_voltage_V",
            lambda r: r.to_dict()["final_voltage_V"],
            "voltage at the end of the discharge, V",
        ),
    ),
)


@pytest.fixture
def toy() -> Iterator[Scenario]:
    register(TOY)
    try:
        yield TOY
    finally:
        unregister("toy")


# ---- the tests ----------------------------------------------------------------------------------


def test_registry_knows_the_toy_only_while_registered(toy: Scenario) -> None:
    assert get_scenario("toy") is toy
    assert "toy" in SWEEP_EXPERIMENTS
    assert OUTPUTS["toy_final_voltage_V"].experiments == ("toy",)
    unregister("toy")
    assert "toy" not in SWEEP_EXPERIMENTS and "toy_final_voltage_V" not in OUTPUTS
    register(toy)


def test_toy_runs_through_the_api_with_validated_inputs(toy: Scenario) -> None:
    from lilean.api import simulate
    from lilean.errors import ParameterError

    r = simulate("toy", inputs={"current_mA": 2.0}, seed=1)
    assert isinstance(r, Result)
    assert r.to_dict()["final_voltage_V"] == pytest.approx(3.0 - 2e-3 * 3600 / 10.0, abs=1e-5)
    assert isinstance(r.summary, pd.DataFrame) and isinstance(r.to_frame(), pd.DataFrame)
    assert "toy" in repr(r) and "<table" in r._repr_html_()
    with pytest.raises(ParameterError, match="no_such_input"):
        simulate("toy", inputs={"no_such_input": 1})
    with pytest.raises(ParameterError, match="current_mA"):
        simulate("toy", inputs={"current_mA": "lots"})


def test_toy_runs_through_the_cli(toy: Scenario, tmp_path: Any) -> None:
    out = tmp_path / "toy.parquet"
    res = CliRunner().invoke(
        app,
        ["simulate", "scenario", "toy", "-i", "current_mA=0.5", "--seed", "2", "-o", str(out),
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["final_voltage_V"] == pytest.approx(3.0 - 0.5e-3 * 3600 / 10.0, abs=1e-5)
    assert len(pd.read_parquet(out)) == 61
    listing = CliRunner().invoke(app, ["simulate", "list", "--json"])
    assert "toy" in [s["name"] for s in json.loads(listing.stdout)["scenarios"]]


def test_toy_runs_through_lilean_sweep(toy: Scenario, tmp_path: Any) -> None:
    distributed = pytest.importorskip("distributed")
    spec = tmp_path / "toy.toml"
    spec.write_text(
        '[sweep]\nexperiment = "toy"\ndesign = "grid"\noutputs = ["toy_final_voltage_V"]\n'
        '[fixed]\nsubstrate = "cu"\nhours = 2.0\n'
        "[parameters]\ncurrent_mA = { values = [0.5, 1.0, 2.0] }\n"
    )
    out = tmp_path / "toy.parquet"
    # threads in this process: the workers see the scenario registered above
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        res = CliRunner().invoke(
            app,
            ["sweep", str(spec), "--out", str(out), "--scheduler", cluster.scheduler_address,
             "--json"],
        )  # fmt: skip
    assert res.exit_code == 0, res.output
    from lilean.sweep import load_results

    rows = load_results(out).sort_values("current_mA")
    assert rows["error"].isna().all()
    expected = 3.0 - rows["current_mA"].to_numpy() * 1e-3 * 7200 / 10.0
    np.testing.assert_allclose(rows["toy_final_voltage_V"], expected, atol=1e-5)
    assert not math.isnan(float(rows["toy_final_voltage_V"].iloc[0]))


def test_every_builtin_scenario_declares_what_consumers_need() -> None:
    from lilean.api import ANALYSIS_KINDS
    from lilean.fitting import DEFAULT_FREE, EXPERIMENTS

    names = [s.name for s in __import__("lilean.scenarios").scenarios.scenarios()]
    assert names[:6] == ["nucleation", "symmetric", "protocol", "cycling", "rate", "eis"]
    assert set(EXPERIMENTS) == {"deposition", "symmetric", "cycling", "eis"}
    assert DEFAULT_FREE["cycling"] == (
        "anode.cycling_loss_fraction",
        "anode.corrosion_rate_mAh_cm2_h",
        "anode.sei_resistivity_ohm_cm2_per_mAh",
        "cathode.loss_of_active_material_per_cycle",
    )
    assert set(ANALYSIS_KINDS) == {"deposition", "symmetric", "cycling", "rate"}
    for name in names:
        s = get_scenario(name)
        assert s.description
        assert "substrate" in s.arguments()
        assert "substrate" in s.inputs.model_fields  # the pydantic model of the inputs


def test_cli_defaults_are_the_functions_defaults() -> None:
    """issue 16: ``simulate_cycling(default_parameters(), "cu")`` runs the CLI's experiment."""
    import inspect

    from lilean.cli.simulate import simulate_cycling as cli_cycling
    from lilean.simulate import simulate_cycling

    cli = inspect.signature(cli_cycling).parameters
    fn = inspect.signature(simulate_cycling).parameters
    pairs = {
        "cathode_loading": "cathode_loading_mAh_cm2",
        "li_inventory": "li_inventory_mAh_cm2",
        "c_rate": "c_rate",
        "cycles": "cycles",
        "formation_cycles": "formation_cycles",
        "formation_c_rate": "formation_c_rate",
        "seed": "seed",
    }
    for c, f in pairs.items():
        assert cli[c].default == fn[f].default, (c, f)
    r = simulate_cycling(default_parameters(), "cu", cycles=3)
    assert len(r.summary) == 3


PLUGIN = """
from lilean.scenarios import Scenario, output, register
from lilean.scenarios.nucleation import simulate_nucleation


def simulate_plugin_nucleation(params, substrate="cu", *, current_density_mA_cm2=1.0):
    return simulate_nucleation(params, substrate, current_density_mA_cm2)


register(Scenario(
    name="plugin_nucleation",
    simulate=simulate_plugin_nucleation,
    description="nucleation, registered by a plugin module",
    outputs=(output("plugin_dip_mV", lambda r: float(r.result.dip_mV), "dip, mV"),),
))
"""


def test_plugin_scenario_runs_on_process_workers(tmp_path: Any, monkeypatch: Any) -> None:
    """LILEAN_SCENARIOS names a module; dask worker processes load it too (docs/design.md)."""
    import os
    import sys

    import lilean.scenarios as reg

    pytest.importorskip("distributed")
    (tmp_path / "lilean_plugin_toy.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    monkeypatch.setenv("LILEAN_SCENARIOS", "lilean_plugin_toy")
    monkeypatch.setattr(reg, "_PLUGINS_LOADED", False)
    try:
        assert "plugin_nucleation" in reg.SWEEP_EXPERIMENTS
        spec = tmp_path / "plugin.toml"
        spec.write_text(
            '[sweep]\nexperiment = "plugin_nucleation"\noutputs = ["plugin_dip_mV"]\n'
            "[parameters]\nsubstrate = { values = ['cu', 'ag-cu'] }\n"
        )
        out = tmp_path / "plugin.parquet"
        res = CliRunner().invoke(
            app, ["sweep", str(spec), "--out", str(out), "--workers", "1", "--json"]
        )
        assert res.exit_code == 0, res.output
        from lilean.simulate import simulate_nucleation
        from lilean.sweep import load_results

        rows = load_results(out).set_index("substrate")
        assert rows["error"].isna().all(), rows["error"].tolist()
        for substrate in ("cu", "ag-cu"):
            want = simulate_nucleation(default_parameters(), substrate, 1.0).result.dip_mV
            assert rows.loc[substrate, "plugin_dip_mV"] == pytest.approx(want, rel=1e-12)
    finally:
        unregister("plugin_nucleation")


@pytest.mark.parametrize(
    ("name", "inputs"),
    [
        ("nucleation", {"substrate": "cu"}),
        ("symmetric", {"substrate": "cu", "hours": 6.0}),
        ("protocol", {"substrate": "cu", "steps": ["Charge at 1C until 4.2 V",
                                                    "Discharge at 1C until 2.0 V"]}),
        ("cycling", {"substrate": "ag-cu", "cycles": 2}),
        ("rate", {"substrate": "cu"}),
        ("eis", {"substrate": "cu", "cycles": 0}),
    ],
)  # fmt: skip
def test_every_builtin_result_is_a_result(name: str, inputs: dict[str, Any]) -> None:
    r = get_scenario(name).run(default_parameters(), inputs, seed=0)
    assert isinstance(r, Result)
    assert isinstance(r.to_frame(), pd.DataFrame) and len(r.to_frame()) > 0
    assert isinstance(r.summary, pd.DataFrame) and len(r.summary) > 0
    assert r.meta.instrument == "lilean"
    json.dumps(r.to_dict())  # JSON-ready
    text = repr(r)
    assert name in text and len(text) < 200 and "\n" not in text
    assert "<table" in r._repr_html_()
