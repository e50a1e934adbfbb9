"""The golden cases: every simulated experiment at a fixed seed, through the public API.

Each case returns ``(tables, scalars)``: ``tables`` maps a name to a DataFrame (written as
``goldens/<case>/<name>.parquet``), ``scalars`` is a JSON-ready dict (``goldens/<case>/scalars.json``)
holding the result's ``to_dict()`` and every sweep output defined for the experiment.

Regenerate after a change that legitimately moves numbers (and say so in the commit message)::

    PYTHONPATH=src python tests/regression/make_goldens.py --force            # all cases
    PYTHONPATH=src python tests/regression/make_goldens.py --force cycling_cu  # one case

Compared by ``test_goldens.py`` within :data:`RTOL` / :data:`ATOL`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GOLDENS = Path(__file__).parent / "goldens"
#: relative / absolute tolerance of every comparison: the simulations are deterministic for a
#: seed, so this only absorbs floating-point reassociation across CPUs / numba versions
RTOL = 1e-7
ATOL = 1e-10

Case = Callable[[], tuple[dict[str, pd.DataFrame], dict[str, Any]]]


def _params() -> Any:
    from lilean.parameters import default_parameters

    return default_parameters()


def _outputs(experiment: str, result: Any) -> dict[str, float | None]:
    """Every scalar sweep output defined for ``experiment`` (NaN -> None)."""
    try:
        from lilean.scenarios import get_scenario

        outputs = get_scenario(experiment).outputs
        items = [(o.name, o.func) for o in outputs]
    except ImportError:  # before the scenario registry existed
        from lilean.sweep import OUTPUTS

        items = [(o.name, o.func) for o in OUTPUTS.values() if experiment in o.experiments]
    out: dict[str, float | None] = {}
    for name, func in items:
        v = float(func(result))
        out[name] = v if math.isfinite(v) else None
    return out


def _nucleation(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.simulate import simulate_nucleation

        r = simulate_nucleation(_params(), substrate, 1.0)
        d = r.to_dict()
        scalars = {k: v for k, v in d.items() if not isinstance(v, list)}
        return {"table": r.data.data}, {
            "to_dict": scalars,
            "outputs": _outputs("nucleation", r),
        }

    return case


def _symmetric(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.simulate import simulate_symmetric

        r = simulate_symmetric(_params(), substrate, 1.0, 1.0, 40.0, seed=3)
        return {"table": r.data.data}, {
            "to_dict": r.to_dict(),
            "outputs": _outputs("symmetric", r),
        }

    return case


def _cycling(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.simulate import simulate_cycling

        # N/P 25: 10 mAh/cm^2 of Li against a 0.4 mAh/cm^2 LFP cathode, 40 cycles after formation
        r = simulate_cycling(
            _params(),
            substrate,
            cathode_loading_mAh_cm2=0.4,
            li_inventory_mAh_cm2=10.0,
            c_rate=1.0,
            cycles=40,
            seed=1,
        )
        summary = r.summary.drop(
            columns=[c for c in r.summary.columns if r.summary[c].dtype == object]
        )
        return {"table": r.data.data, "summary": summary, "pools": r.run.pools}, {
            "to_dict": r.to_dict(),
            "outputs": _outputs("cycling", r),
        }

    return case


def _rate(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.simulate import simulate_rate

        r = simulate_rate(
            _params(), substrate, cathode_loading_mAh_cm2=0.4, li_inventory_mAh_cm2=10.0, seed=2
        )
        blocks = r.table.drop(columns=["Cycles"])
        return {"table": r.data.data, "blocks": blocks}, {
            "to_dict": r.to_dict(),
            "outputs": _outputs("rate", r),
        }

    return case


def _eis(substrate: str, cell: str, cycles: int) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.simulate import simulate_eis

        r = simulate_eis(_params(), substrate, cycles=cycles, cell=cell, seed=0)
        return {"table": r.data.data}, {
            "to_dict": r.to_dict(),
            "outputs": _outputs("eis", r),
        }

    return case


def _protocol(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.protocols import Experiment
        from lilean.simulate import run_experiment

        steps = ("Charge at 1C until 4.2 V", "Rest for 10 minutes", "Discharge at 2C until 2.0 V")
        run = run_experiment(
            _params(),
            substrate,
            Experiment([steps] * 5),
            cathode_loading_mAh_cm2=0.4,
            li_inventory_mAh_cm2=10.0,
            seed=0,
        )
        return {"table": run.data.data, "cycles": run.cycles, "pools": run.pools}, {
            "initial_li_mAh_cm2": run.initial_li_mAh_cm2,
            "active_mass_mg": run.active_mass_mg,
        }

    return case


def _plumes() -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.models.plumes import grow_plumes

        r = grow_plumes(_params(), agf_wt_percent=1.0, minutes=2.0, size=(96,), dim=2, seed=0)
        d = r.to_dict()
        timing = {"elapsed_s", "site_updates_per_s"}
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and k not in timing}
        occupancy = np.asarray(r.occupancy)
        table = pd.DataFrame({"voxel": occupancy.ravel().astype(np.int64)})
        return {"occupancy": table}, {"to_dict": scalars}

    return case


def _morphology(substrate: str) -> Case:
    def case() -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
        from lilean.models.deposition_lattice import deposit_li

        r = deposit_li(
            _params(),
            substrate,
            capacity_mAh_cm2=2.0,
            current_density_mA_cm2=1.0,
            snapshots=(1.0, 2.0),
            size=(48,),
            seed=0,
        )
        final = pd.DataFrame({"voxel": np.asarray(r.occupancy[-1]).ravel().astype(np.int64)})
        return {"descriptors": r.descriptors, "occupancy": final}, {
            "shape": list(np.asarray(r.occupancy[-1]).shape),
            "voxel_size_um": r.voxel_size_um,
        }

    return case


CASES: dict[str, Case] = {
    "nucleation_cu": _nucleation("cu"),
    "nucleation_ag-cu": _nucleation("ag-cu"),
    "symmetric_cu": _symmetric("cu"),
    "symmetric_ag-cu": _symmetric("ag-cu"),
    "cycling_cu": _cycling("cu"),
    "cycling_ag-cu": _cycling("ag-cu"),
    "rate_cu": _rate("cu"),
    "rate_ag-cu": _rate("ag-cu"),
    "eis_full_cu": _eis("cu", "full", 5),
    "eis_symmetric_ag-cu": _eis("ag-cu", "symmetric", 2),
    "protocol_ag-cu": _protocol("ag-cu"),
    "plumes_1wt_2min": _plumes(),
    "morphology_ag-cu": _morphology("ag-cu"),
}
