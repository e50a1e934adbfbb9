"""Unit tests of lilean.sweep: spec parsing, designs, case ids, outputs, Sobol indices (no Dask)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lilean.errors import LileanError
from lilean.parameters import default_parameters
from lilean.sweep import (
    OUTPUTS,
    SweepError,
    case_id,
    load_spec,
    run_case,
    sobol_indices,
    spec_from_mapping,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"


def _spec(**over: object) -> dict[str, object]:
    mapping: dict[str, object] = {
        "sweep": {"experiment": "symmetric", "outputs": ["mean_polarization_mV"]},
        "fixed": {"substrate": "cu", "hours": 2.0},
        "parameters": {
            "current_density_mA_cm2": {"values": [0.5, 1.0, 2.0]},
            "areal_capacity_mAh_cm2": {"range": [0.5, 1.0], "num": 4},
        },
    }
    for key, value in over.items():
        table, _, name = key.partition("__")
        assert isinstance(mapping[table], dict)
        mapping[table][name] = value  # type: ignore[index]
    return mapping


def test_grid_is_the_full_factorial_in_order() -> None:
    spec = spec_from_mapping(_spec())
    cases = list(spec.cases())
    assert spec.n_cases() == len(cases) == 12
    expected = [
        (j, float(q)) for j in (0.5, 1.0, 2.0) for q in np.linspace(0.5, 1.0, 4)
    ]  # independent: numpy's linspace, row-major product
    got = [(c["current_density_mA_cm2"], c["areal_capacity_mAh_cm2"]) for c in cases]
    np.testing.assert_allclose(np.array(got), np.array(expected), rtol=1e-12)


def test_log_grid_is_geometric() -> None:
    spec = spec_from_mapping(
        _spec(parameters__areal_capacity_mAh_cm2={"range": [0.1, 10.0], "num": 3, "log": True})
    )
    qs = sorted({c["areal_capacity_mAh_cm2"] for c in spec.cases()})
    assert qs == pytest.approx([0.1, 1.0, 10.0])


@pytest.mark.parametrize("design", ["lhs", "sobol", "saltelli"])
def test_sampled_designs_are_seeded_and_in_range(design: str) -> None:
    def make(seed: int) -> list[dict[str, object]]:
        m = _spec(sweep__design=design, sweep__samples=16, sweep__seed=seed)
        m["parameters"] = {
            "current_density_mA_cm2": {"range": [0.2, 5.0], "log": True},
            "areal_capacity_mAh_cm2": {"range": [0.5, 1.0]},
        }
        spec = spec_from_mapping(m)
        cases = list(spec.cases())
        assert len(cases) == spec.n_cases()
        return cases

    a, b, c = make(3), make(3), make(4)
    assert a == b  # same spec + seed -> same cases
    assert a != c
    j = np.array([x["current_density_mA_cm2"] for x in a], dtype=float)
    q = np.array([x["areal_capacity_mAh_cm2"] for x in a], dtype=float)
    assert np.all((j >= 0.2) & (j <= 5.0)) and np.all((q >= 0.5) & (q <= 1.0))
    if design == "saltelli":
        assert len(a) == 16 * (2 + 2)
    if design == "lhs":
        # Latin hypercube: exactly one sample in each of the 16 equal-probability strata
        u = (np.log(j) - np.log(0.2)) / (np.log(5.0) - np.log(0.2))
        assert sorted(np.floor(u * 16).astype(int)) == list(range(16))


def test_categorical_values_are_crossed_with_samples() -> None:
    m = _spec(sweep__design="lhs", sweep__samples=5)
    m["parameters"] = {
        "substrate": {"values": ["cu", "ag-cu"]},
        "current_density_mA_cm2": {"range": [0.5, 2.0]},
    }
    m["fixed"] = {"hours": 2.0, "areal_capacity_mAh_cm2": 1.0}
    spec = spec_from_mapping(m)
    cases = list(spec.cases())
    assert len(cases) == 10
    cu = [c["current_density_mA_cm2"] for c in cases if c["substrate"] == "cu"]
    ag = [c["current_density_mA_cm2"] for c in cases if c["substrate"] == "ag-cu"]
    assert cu == ag  # the same samples for each category


def test_case_id_is_stable_and_input_sensitive() -> None:
    h = default_parameters().hash()
    a = case_id("cycling", {"cycles": 3}, {"c_rate": 1.0, "substrate": "cu"}, h)
    assert a == case_id("cycling", {"cycles": 3}, {"substrate": "cu", "c_rate": 1.0}, h)
    assert a != case_id("cycling", {"cycles": 3}, {"c_rate": 1.0000001, "substrate": "cu"}, h)
    assert a != case_id("cycling", {"cycles": 4}, {"c_rate": 1.0, "substrate": "cu"}, h)
    assert a != case_id("cycling", {"cycles": 3}, {"c_rate": 1.0, "substrate": "cu"}, "0" * 16)
    assert len(a) == 16 and int(a, 16) >= 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sweep__experiment": "nope"}, "unknown experiment"),
        ({"sweep__design": "random"}, "design"),
        ({"sweep__outputs": ["no_such_output"]}, "unknown output"),
        ({"sweep__outputs": ["cycles_to_80_percent"]}, "not for experiment"),
        ({"parameters__not_an_argument": {"values": [1]}}, "not an argument"),
        ({"parameters__cell.no_such_parameter": {"values": [1]}}, "unknown parameter-set name"),
        ({"parameters__hours": {"values": [1]}}, "appears twice"),
        ({"parameters__areal_capacity_mAh_cm2": {"range": [1.0, 0.5]}}, "low < high"),
        ({"parameters__areal_capacity_mAh_cm2": {"range": [0.5, 1.0]}}, "grid needs"),
        ({"sweep__design": "lhs"}, "samples"),
    ],
)
def test_bad_specs_name_the_problem(change: dict[str, object], message: str) -> None:
    with pytest.raises(SweepError, match=message):
        spec_from_mapping(_spec(**change))


def test_missing_required_argument_is_reported() -> None:
    m = _spec()
    m["fixed"] = {"hours": 4.0}  # substrate missing (the other inputs have the CLI's defaults)
    with pytest.raises(SweepError, match="substrate"):
        spec_from_mapping(m)


def test_saltelli_refuses_categorical_values() -> None:
    m = _spec(sweep__design="saltelli", sweep__samples=8)
    with pytest.raises(SweepError, match="saltelli"):
        spec_from_mapping(m)


def test_every_example_spec_loads() -> None:
    specs = sorted(EXAMPLES.glob("*.toml"))
    assert {"smoke.toml", "life_map.toml"} <= {p.name for p in specs}
    for path in specs:
        spec = load_spec(path)
        assert spec.n_cases() == sum(1 for _ in spec.cases()) > 0
    assert 40 <= load_spec(EXAMPLES / "smoke.toml").n_cases() <= 60


def test_bad_toml_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\nexperiment = 1")
    with pytest.raises(LileanError, match=r"bad\.toml"):
        load_spec(bad)


def test_run_case_records_errors_instead_of_raising() -> None:
    row = run_case(
        "symmetric",
        default_parameters(),
        {"hours": 1.0, "areal_capacity_mAh_cm2": 0.5},
        {"substrate": "no-such-substrate", "current_density_mA_cm2": 1.0},
        ("mean_polarization_mV",),
    )
    assert "no-such-substrate" in row["error"]
    assert math.isnan(row["mean_polarization_mV"])


def test_cycling_outputs_match_the_summary_table() -> None:
    """The outputs agree with a direct simulate_cycling call analysed here independently."""
    from lilean.simulate import simulate_cycling

    params = default_parameters()
    kwargs: dict[str, Any] = {
        "cathode_loading_mAh_cm2": 1.0,
        "li_inventory_mAh_cm2": 2.0,
        "c_rate": 1.0,
    }
    names = (
        "cycles_to_80_percent",
        "cycles_to_80_percent_per_li_mAh_cm2",
        "final_retention_percent",
        "final_discharge_capacity_mAh_g",
        "li_remaining_mAh_cm2",
    )
    row = run_case("cycling", params, {"cycles": 60}, {"substrate": "cu", **kwargs}, names)
    assert row["error"] is None
    sim = simulate_cycling(params, "cu", cycles=60, **kwargs)
    q = sim.summary["Discharge capacity [mAh/g]"].to_numpy()
    below = [i + 1 for i, x in enumerate(q) if x < 0.8 * q[0]]  # cycles numbered from 1
    assert below, "N/P = 2 should lose 20 % within 60 cycles"
    assert row["cycles_to_80_percent"] == below[0]
    assert row["cycles_to_80_percent_per_li_mAh_cm2"] == pytest.approx(below[0] / 2.0)
    assert row["final_retention_percent"] == pytest.approx(100 * q[-1] / q[0])
    assert row["final_discharge_capacity_mAh_g"] == pytest.approx(q[-1])
    assert 0 <= row["li_remaining_mAh_cm2"] <= 2.0 + 1e-9


def test_dotted_parameters_reach_the_model() -> None:
    params = default_parameters()
    base = {"substrate": "cu", "current_density_mA_cm2": 1.0}
    fixed = {"hours": 2.0, "areal_capacity_mAh_cm2": 0.5}
    name = "substrates.cu.anode.electrolyte_conductivity_mS_cm"
    a = run_case("symmetric", params, fixed, base, ("mean_polarization_mV",))
    b = run_case(
        "symmetric", params, fixed, {**base, name: params.get(name) / 4}, ("mean_polarization_mV",)
    )
    assert a["error"] is None and b["error"] is None
    assert b["mean_polarization_mV"] > a["mean_polarization_mV"]  # less conductive -> larger


def test_every_output_is_documented() -> None:
    for name, out in OUTPUTS.items():
        assert out.name == name and out.description and out.experiments


def test_sobol_indices_of_an_additive_function() -> None:
    """Y = a x1 + b x2 (x uniform on [0, 1]): S1 = ST = a^2 / (a^2 + b^2) for x1, 0 for x3."""
    m = _spec(sweep__design="saltelli", sweep__samples=1024, sweep__seed=2)
    m["parameters"] = {
        "current_density_mA_cm2": {"range": [0.0, 1.0]},
        "areal_capacity_mAh_cm2": {"range": [0.0, 1.0]},
        "substrates.cu.anode.dead_li_fraction": {"range": [0.0, 1.0]},
    }
    m["sweep"]["outputs"] = ["mean_polarization_mV"]  # type: ignore[index]
    spec = spec_from_mapping(m)
    cases = pd.DataFrame(list(spec.cases()))
    a, b = 3.0, 1.0
    y = a * cases["current_density_mA_cm2"] + b * cases["areal_capacity_mAh_cm2"]
    results = cases.assign(case_index=np.arange(len(cases)), mean_polarization_mV=y)
    shuffled = results.sample(frac=1.0, random_state=0)  # parts arrive in any order
    idx = sobol_indices(spec, shuffled, "mean_polarization_mV").set_index("parameter")
    share = a**2 / (a**2 + b**2)
    assert idx.loc["current_density_mA_cm2", "S1"] == pytest.approx(share, abs=0.05)
    assert idx.loc["current_density_mA_cm2", "ST"] == pytest.approx(share, abs=0.05)
    assert idx.loc["areal_capacity_mAh_cm2", "ST"] == pytest.approx(1 - share, abs=0.05)
    assert abs(idx.loc["substrates.cu.anode.dead_li_fraction", "ST"]) < 0.02
    with pytest.raises(SweepError, match="all"):
        sobol_indices(spec, results.iloc[:-1], "mean_polarization_mV")


@pytest.mark.parametrize(
    ("experiment", "inputs"),
    [
        ("nucleation", {"substrate": "ag-cu", "current_density_mA_cm2": 1.0}),
        ("symmetric", {"substrate": "cu", "current_density_mA_cm2": 1.0, "hours": 4.0,
                       "areal_capacity_mAh_cm2": 0.5}),
        ("rate", {"substrate": "ag-cu", "cathode_loading_mAh_cm2": 0.4,
                  "li_inventory_mAh_cm2": 10.0}),
        ("eis", {"substrate": "cu", "cycles": 0}),
        ("cycling", {"substrate": "ag-cu", "cathode_loading_mAh_cm2": 0.4,
                     "li_inventory_mAh_cm2": 10.0, "c_rate": 1.0, "cycles": 5}),
    ],
)  # fmt: skip
def test_every_output_of_every_experiment_runs(experiment: str, inputs: dict[str, object]) -> None:
    names = tuple(n for n, o in OUTPUTS.items() if experiment in o.experiments)
    row = run_case(experiment, default_parameters(), {}, inputs, names)
    assert row["error"] is None, row["error"]
    censored = {"cycles_to_80_percent", "cycles_to_50_percent", "failure_h", "short_circuit_h"}
    censored |= {"cycles_to_80_percent_per_li_mAh_cm2"}
    for name in names:
        assert isinstance(row[name], float)
        if name not in censored:
            assert math.isfinite(row[name]), name
    if experiment == "rate":
        # 5 C keeps less capacity than the first 0.5 C block, recovers at 1 C (study: 106 vs 156 mAh/g)
        assert row["capacity_at_max_rate_mAh_g"] < row["first_discharge_capacity_mAh_g"]
        assert 0.5 < row["rate_recovery_ratio"] <= 1.05
    if experiment == "nucleation":  # overpotential = |dip - plateau| (study: 103 - 62 = 41 mV)
        expected = abs(row["dip_mV"] - row["plateau_mV"])
        assert row["nucleation_overpotential_mV"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("n_cases", [0, 1, 7, 40, 333, 5000])
@pytest.mark.parametrize("n_workers", [1, 2, 16])
def test_automatic_batches_cover_every_case_once_in_order_and_shrink(
    n_cases: int, n_workers: int
) -> None:
    from lilean.sweep.run import MAX_AUTO_BATCH, auto_batch_size, batch_cases

    items = list(range(n_cases))
    got = list(batch_cases(items, n_workers))
    assert [x for b in got for x in b] == items
    sizes = [len(b) for b in got]
    assert all(1 <= s <= min(MAX_AUTO_BATCH, auto_batch_size(n_cases, n_workers)) for s in sizes)
    assert sizes == sorted(sizes, reverse=True)  # never grows: the small ones come last
    # no batch holds more than half a worker's share of what is left: the workers finish
    # within about one case of each other (the last batch is one case)
    remaining = n_cases
    for s in sizes:
        assert s <= max(1, math.ceil(remaining / (2 * n_workers)))
        remaining -= s
    if n_cases:
        assert sizes[-1] == 1
        # and the tail costs few tasks: at most ~3x the tasks of equal batches of the largest size
        assert len(got) <= 3 * math.ceil(n_cases / sizes[0]) + 2 * n_workers


def test_fixed_batch_size_keeps_equal_batches() -> None:
    from lilean.sweep.run import batch_cases

    assert [len(b) for b in batch_cases(list(range(11)), 2, 4)] == [4, 4, 3]


@pytest.mark.parametrize("case_s", [1e-4, 3e-3, 0.13, 2.0])
@pytest.mark.parametrize("n_workers", [1, 2])
def test_adaptive_batches_grow_for_cheap_cases_and_still_shrink_at_the_end(
    case_s: float, n_workers: int
) -> None:
    from lilean.sweep.run import (
        MAX_ADAPTIVE_BATCH,
        TARGET_TASK_S,
        auto_batch_size,
        batch_cases,
    )

    n_cases = 5000
    items = list(range(n_cases))
    known: list[float | None] = [None]  # no case finished for the first batch
    got = []
    for b in batch_cases(items, n_workers, case_s=lambda: known[0]):
        got.append(b)
        known[0] = case_s
    assert [x for b in got for x in b] == items
    sizes = [len(b) for b in got]
    first = auto_batch_size(n_cases, n_workers)
    assert sizes[0] == first  # nothing measured yet
    cap = max(first, min(MAX_ADAPTIVE_BATCH, math.ceil(TARGET_TASK_S / case_s)))
    assert max(sizes) == cap  # 5000 cases: the guided bound is far above the cap at first
    expected = {1e-4: MAX_ADAPTIVE_BATCH, 3e-3: 167, 0.13: first, 2.0: first}[case_s]
    assert cap == expected  # independent: 0.5 s / 3 ms = 166.7 -> 167; 0.5 s / 0.1 ms > 256
    if case_s <= 3e-3:
        assert cap > first  # cheap cases: fewer, larger tasks
        assert len(got) < math.ceil(n_cases / first)
    else:
        assert cap == first  # expensive cases: the same batches as before
    remaining = n_cases
    for s in sizes:
        assert s <= max(1, math.ceil(remaining / (2 * n_workers)))
        remaining -= s
    assert sizes[-1] == 1


def test_an_interrupt_mutes_dask_logs_before_it_raises_and_teardown_restores_them() -> None:
    """The signal handler mutes distributed's, tornado's and asyncio's loggers before the
    interrupt propagates (distributed's ``sync`` schedules a cancel callback on its event loop
    then, which can log a traceback before the driver's teardown begins); restore puts the
    levels back as they were."""
    import logging
    import signal

    from lilean.sweep.run import SweepInterrupted, _DaskLogMute, _signals_interrupt

    tornado_app = logging.getLogger("tornado.application")
    distributed = logging.getLogger("distributed")
    before = distributed.level, tornado_app.level
    distributed.setLevel(logging.WARNING)
    # a child with a level of its own, as distributed's logging config sets it
    tornado_app.setLevel(logging.ERROR)
    try:
        assert tornado_app.isEnabledFor(logging.ERROR)
        mute = _DaskLogMute()
        seen: list[bool] = []
        with pytest.raises(SweepInterrupted):
            with _signals_interrupt(mute):
                try:
                    signal.raise_signal(signal.SIGINT)  # the handler runs before the next line
                    pytest.fail("SIGINT raised nothing")
                except SweepInterrupted:
                    seen.append(tornado_app.isEnabledFor(logging.ERROR))
                    seen.append(distributed.isEnabledFor(logging.CRITICAL))
                    raise
        assert seen == [False, True]
        mute.mute()  # idempotent: the levels saved are the ones before the first call
        mute.restore()
        assert tornado_app.level == logging.ERROR
        assert distributed.level == logging.WARNING
    finally:
        distributed.setLevel(before[0])
        tornado_app.setLevel(before[1])
