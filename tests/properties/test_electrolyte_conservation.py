"""Property: no scenario consumes more electrolyte than the cell holds (Hypothesis over random
protocols, currents, durations, loss rates and electrolyte volumes).

The check is exact bookkeeping, not only a bound: the SEI Li formed in the assembled cell equals the
salt (and solvent) fraction consumed times what that species can take
(:func:`lilean.models.electrolyte.electrolyte_capacity`), and both fractions stay in [0, 100] %.
Small volumes and large loss rates drive many examples into dry-out.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lilean.models.anode import S_SEI
from lilean.models.electrolyte import electrolyte_capacity
from lilean.parameters import default_parameters
from lilean.simulate import simulate_protocol, simulate_symmetric

PARAMS = default_parameters()

losses = st.fixed_dictionaries(
    {
        "eps": st.floats(0.0, 0.2),
        "k_corr": st.floats(0.0, 0.2),
        "volume_uL": st.floats(2.0, 60.0),
        "x_salt": st.one_of(st.just(0.0), st.floats(0.05, 0.9)),
    }
)


def _params(substrate: str, loss: dict[str, float]):  # type: ignore[no-untyped-def]
    return PARAMS.replace(
        {
            f"substrates.{substrate}.anode.cycling_loss_fraction": loss["eps"],
            f"substrates.{substrate}.anode.corrosion_rate_mAh_cm2_h": loss["k_corr"],
            "cell.electrolyte_volume_uL": loss["volume_uL"],
            "cell.sei_salt_electron_fraction": loss["x_salt"],
        }
    )


def _check(state: dict, sei_formed: float, cap: dict[str, float]) -> None:
    salt = state["salt_consumed_percent"]
    solvent = state["solvent_consumed_percent"]
    assert 0.0 <= salt <= 100.0 and 0.0 <= solvent <= 100.0
    assert sei_formed >= -1e-12
    # consumed <= present, and exactly what the SEI took
    assert sei_formed <= min(cap["sei_li_salt_mAh_cm2"], cap["sei_li_solvent_mAh_cm2"]) * (1 + 1e-9)
    for pct, key in ((salt, "sei_li_salt_mAh_cm2"), (solvent, "sei_li_solvent_mAh_cm2")):
        if math.isfinite(cap[key]):
            assert abs(pct / 100.0 * cap[key] - sei_formed) <= 1e-9 * cap[key] + 1e-9
    assert state["electrolyte_left_uL"] >= 0.0
    if salt >= 99.9 or solvent >= 99.9:
        assert state["dry_out"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    substrate=st.sampled_from(["cu", "ag-cu"]),
    j=st.floats(0.1, 3.0),
    q=st.floats(0.1, 3.0),
    hours=st.floats(5.0, 120.0),
    loss=losses,
    seed=st.integers(0, 2**16),
)
def test_symmetric_cell_never_consumes_more_than_it_holds(
    substrate: str, j: float, q: float, hours: float, loss: dict[str, float], seed: int
) -> None:
    p = _params(substrate, loss)
    hours = max(hours, 2.5 * q / j)
    sim = simulate_symmetric(p, substrate, j, q, hours, seed=seed)
    # SEI formed in the cell: both electrodes, minus what their pre-deposition booked elsewhere
    from lilean.models.anode import initial_anode_state

    rng = np.random.default_rng(seed)
    anode = p.substrate(substrate).anode
    kw = {
        "separator_thickness_um": p.cell.separator_thickness_um.value,
        "deposition_current_density_mA_cm2": p.cell.li_deposition_current_density_mA_cm2.value,
        "temperature_C": p.cell.temperature_C.value,
    }
    li = p.cell.li_inventory_mAh_cm2.value
    sei0 = sum(float(initial_anode_state(anode, li, rng, **kw)[S_SEI]) for _ in range(2))
    sei_end = float(sim.we_states[-1][S_SEI] + sim.ce_states[-1][S_SEI])
    _check(sim.electrolyte, sei_end - sei0, electrolyte_capacity(p))


step = st.one_of(
    st.builds(lambda c: f"Charge at {c:.3g}C until 4.2 V", st.floats(0.2, 3.0)),
    st.builds(lambda c: f"Discharge at {c:.3g}C until 2.0 V", st.floats(0.2, 3.0)),
    st.builds(lambda m: f"Rest for {m:.3g} hours", st.floats(0.5, 48.0)),
    st.just("Hold at 4.2 V until C/20"),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    substrate=st.sampled_from(["cu", "ag-cu"]),
    steps=st.lists(step, min_size=1, max_size=4),
    repeat=st.integers(1, 8),
    loading=st.floats(0.2, 2.0),
    li=st.floats(0.5, 12.0),
    loss=losses,
    seed=st.integers(0, 2**16),
)
def test_full_cell_never_consumes_more_than_it_holds(
    substrate: str,
    steps: list[str],
    repeat: int,
    loading: float,
    li: float,
    loss: dict[str, float],
    seed: int,
) -> None:
    p = _params(substrate, loss)
    run = simulate_protocol(
        p,
        substrate,
        tuple(steps),
        repeat=repeat,
        cathode_loading_mAh_cm2=loading,
        li_inventory_mAh_cm2=li,
        seed=seed,
    )
    sei = run.pools["SEI Li [mAh/cm2]"].to_numpy()
    from lilean.models import cathode as cat

    pc = cat.cathode_parameter_vector(p, cathode_loading_mAh_cm2=loading)
    cap = electrolyte_capacity(
        p,
        cathode_thickness_um=float(pc[cat.IDX_L_P]) * 1e6,
        cathode_porosity=p.cathode.porosity.value,
    )
    _check(run.electrolyte, float(sei[-1] - sei[0]), cap)
    assert np.isfinite(run.data.data["Voltage [V]"].to_numpy()).all()
