"""Property: any protocol runs to finite voltages, never past a cut-off, holds taper monotonically,
time and capacity limits are honoured, and Li is conserved (Hypothesis over random protocols)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lilean.parameters import default_parameters
from lilean.protocols import Experiment
from lilean.simulate import run_experiment

PARAMS = default_parameters()
TOL_V = 5e-3

charge = st.builds(
    lambda c, v: (f"Charge at {c:.3g}C until {v:.3g} V", "charge", float(f"{v:.3g}")),
    st.floats(0.1, 5.0),
    st.floats(3.5, 4.3),
)
discharge = st.builds(
    lambda c, v: (f"Discharge at {c:.3g}C until {v:.3g} V", "discharge", float(f"{v:.3g}")),
    st.floats(0.1, 5.0),
    st.floats(2.0, 3.3),
)
timed = st.builds(
    lambda d, c, m: (
        f"{d.capitalize()} at {c:.3g}C for {m:.3g} minutes",
        "timed",
        float(f"{m:.3g}") * 60.0,
    ),
    st.sampled_from(["charge", "discharge"]),
    st.floats(0.1, 3.0),
    st.floats(1.0, 60.0),
)
hold = st.builds(
    lambda v, k: (f"Hold at {v:.3g} V until C/{k}", "hold", float(f"{v:.3g}")),
    st.floats(3.3, 4.2),
    st.sampled_from([10, 20, 50]),
)
rest = st.builds(
    lambda m: (f"Rest for {m:.3g} minutes", "rest", float(f"{m:.3g}") * 60.0), st.floats(0.5, 30.0)
)
step = st.one_of(charge, discharge, timed, hold, rest)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    substrate=st.sampled_from(["cu", "ag-cu"]),
    steps=st.lists(step, min_size=1, max_size=5),
    repeat=st.integers(1, 3),
    li=st.floats(0.2, 10.0),
)
def test_random_protocol_honoured(substrate: str, steps: list, repeat: int, li: float) -> None:
    texts = tuple(s[0] for s in steps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning
        run = run_experiment(
            PARAMS,
            substrate,
            Experiment([texts] * repeat),
            cathode_loading_mAh_cm2=0.4,
            li_inventory_mAh_cm2=li,
        )
    d = run.data.data
    v = d["Voltage [V]"].to_numpy()
    i = d["Current [A]"].to_numpy()
    assert np.isfinite(v).all() and np.isfinite(i).all()
    n_steps = len(texts)
    for step_no, g in d.groupby("Step"):
        _, kind, value = steps[(int(step_no) - 1) % n_steps]
        vg = g["Voltage [V]"].to_numpy()
        ig = g["Current [A]"].to_numpy()
        span = float(g["Time [s]"].iloc[-1] - g["Time [s]"].iloc[0])
        loaded = ig != 0.0  # a step that starts past its limit ends at once, at open circuit
        if kind == "charge" and loaded.any():
            assert vg[loaded].max() <= value + TOL_V
        elif kind == "discharge" and loaded.any():
            assert vg[loaded].min() >= value - TOL_V
        elif kind in ("timed", "rest"):
            assert span <= value * (1 + 1e-9) + 1e-6
        elif kind == "hold":
            mag = np.abs(ig[1:])
            assert np.all(np.diff(mag) <= 1e-12 + 1e-9 * mag[:-1])
            # never past the set voltage in the hold's direction
            if (ig[1:] > 0).any():
                assert vg[1:].max() <= value + TOL_V
            if (ig[1:] < 0).any():
                assert vg[1:].min() >= value - TOL_V
    pools = run.pools
    total = (
        pools["Active Li [mAh/cm2]"]
        + pools["Dead Li [mAh/cm2]"]
        + pools["SEI Li [mAh/cm2]"]
        + pools["Cathode Li [mAh/cm2]"]
        + pools["Li in lost LFP [mAh/cm2]"]
    ).to_numpy()
    np.testing.assert_allclose(total, run.initial_li_mAh_cm2, rtol=1e-9, atol=1e-12)
