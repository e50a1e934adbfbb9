"""Symmetric-cell model: schema output, relations between substrates, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from lilean.errors import ParameterError
from lilean.parameters import default_parameters
from lilean.schema import CURRENT, REQUIRED_COLUMNS, VOLTAGE
from lilean.simulate import SymmetricSimulation, simulate_symmetric

PARAMS = default_parameters()


@pytest.fixture(scope="module")
def sims() -> dict[str, SymmetricSimulation]:
    return {s: simulate_symmetric(PARAMS, s, 1.0, 1.0, 100.0, seed=0) for s in ("cu", "ag-cu")}


def test_table_schema_and_sign(sims: dict) -> None:
    data = sims["cu"].data
    assert all(c in data.data.columns for c in REQUIRED_COLUMNS)
    assert data.meta.instrument == "lilean" and data.meta.file_format == "simulation"
    assert data.meta.extra["parameter_set_hash"] == PARAMS.hash()
    frame = data.data
    # positive current = stripping the working electrode -> positive voltage (until a short)
    first = frame[frame["Cycle"] == 1]
    assert (np.sign(first[VOLTAGE]) == np.sign(first[CURRENT])).all()
    # a few points per half-cycle
    assert frame.groupby("Step").size().min() >= 5


def test_to_dict_contract(sims: dict) -> None:
    d = sims["ag-cu"].to_dict()
    assert set(d) == {"cycle", "polarization_mV", "short_circuit_h", "failure_h", "electrolyte"}
    assert len(d["cycle"]) == len(d["polarization_mV"]) == 50


def _unshorted(sim: SymmetricSimulation) -> np.ndarray:
    """Polarization per cycle up to the first short (a short collapses the voltage)."""
    return np.array(
        [
            c.polarization_mV
            for c in sim.result.cycles
            if c.polarization_mV is not None and not c.short
        ]
    )


def test_ag_cu_polarization_below_cu_at_all_times(sims: dict) -> None:
    cu = _unshorted(sims["cu"])
    ag = np.array(sims["ag-cu"].to_dict()["polarization_mV"])
    n = min(cu.size, ag.size)
    assert n > 20
    assert (ag[:n] < cu[:n]).all()


def test_cu_shorts_after_polarization_rise(sims: dict) -> None:
    """Li-Cu: 'polarization rises markedly after ~60 h, occasional short circuits later'."""
    d = sims["cu"].to_dict()
    assert d["short_circuit_h"] is not None and d["failure_h"] is not None
    assert d["short_circuit_h"] >= d["failure_h"]
    assert sims["ag-cu"].to_dict()["short_circuit_h"] is None


def test_cu_fails_before_ag_cu(sims: dict) -> None:
    cu = sims["cu"].to_dict()["failure_h"]
    ag = sims["ag-cu"].to_dict()["failure_h"]
    assert cu is not None
    assert ag is None or ag > cu


def test_cu_traces_more_asymmetric(sims: dict) -> None:
    def asym(sim: SymmetricSimulation) -> float:
        vals = [abs(c.asymmetry_mV) for c in sim.result.cycles if c.asymmetry_mV is not None]
        return float(np.mean(vals))

    assert asym(sims["cu"]) > 2 * asym(sims["ag-cu"])


def test_polarization_grows_with_lost_li(sims: dict) -> None:
    pol = _unshorted(sims["cu"])
    assert pol[-1] > 1.5 * pol[0]
    # the stripped/plated electrodes lost Li to SEI and dead Li
    we = sims["cu"].we_states[-1]
    assert we[1] > 0 and we[2] > 0


def test_short_collapses_voltage() -> None:
    p = PARAMS.replace(
        {
            "substrates.cu.anode.dendrite_growth_um_per_mAh": 40.0,
            "substrates.cu.anode.dendrite_retraction": 0.0,
        }
    )
    sim = simulate_symmetric(p, "cu", 1.0, 1.0, 40.0, seed=1)
    d = sim.to_dict()
    assert d["short_circuit_h"] is not None
    frame = sim.data.data
    after = frame[frame["Time [s]"] > (d["short_circuit_h"] + 2) * 3600]
    i_density = after[CURRENT].abs().max() / 1.131 * 1e3
    r_short = p.substrate("cu").anode.short_resistance_ohm_cm2.value
    assert after[VOLTAGE].abs().max() < 2.0 * i_density * r_short * 1e-3


def test_deterministic_for_seed() -> None:
    a = simulate_symmetric(PARAMS, "cu", 0.5, 0.5, 20.0, seed=7).data.data
    b = simulate_symmetric(PARAMS, "cu", 0.5, 0.5, 20.0, seed=7).data.data
    c = simulate_symmetric(PARAMS, "cu", 0.5, 0.5, 20.0, seed=8).data.data
    np.testing.assert_array_equal(a[VOLTAGE].to_numpy(), b[VOLTAGE].to_numpy())
    assert not np.array_equal(a[VOLTAGE].to_numpy(), c[VOLTAGE].to_numpy())


def test_bad_input_raises_parameter_error() -> None:
    with pytest.raises(ParameterError, match="must be > 0"):
        simulate_symmetric(PARAMS, "cu", -1.0, 1.0, 10.0)
    with pytest.raises(ParameterError, match="unknown substrate"):
        simulate_symmetric(PARAMS, "au", 1.0, 1.0, 10.0)
