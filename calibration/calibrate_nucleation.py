"""Calibrate the free parameters of the Li nucleation model against the study's 1 mA/cm^2 numbers.

Targets (``tests/data/targets.json``, key ``nucleation_1mA_cm2``; Zhang et al., ACS Appl. Energy
Mater. 6, 6338 (2023)): growth plateau -62 mV on both substrates, nucleation overpotential (plateau -
dip) 365 mV on bare Cu and 41 mV on Ag@Cu.

The growth plateau has ONE split into kinetics and resistance, the cell model's
(``anode.toml``; ``calibrate_cell.exchange_current_from_plateau``: ``62 mV = 2 (2RT/F)
asinh(J / 2 i0) + J (2 R_SEI0 + R_sep)``). This script copies it (run ``calibrate_cell.py`` first):
``exchange_current_density_mA_cm2`` and ``counter_exchange_current_density_mA_cm2`` = the anode's
``i0`` (Li on both electrodes once covered), ``series_resistance_ohm_cm2`` = ``2 R_SEI0 + R_sep``
(``tests/unit/models/test_nucleation.py`` checks that they agree). Free parameters (everything else
is literature or assumed, see ``nucleation.toml``):

1. ``cu.contact_angle_deg`` (heterogeneous CNT factor on Cu) -> Cu nucleation overpotential;
2. ``ag-cu.alloying_exchange_current_density_mA_cm2`` (barrier-free Li-Ag alloying) -> Ag@Cu
   nucleation overpotential.

One-dimensional root finding (``scipy.optimize.brentq``) each. The trend with current density is
*not* fitted: it is a prediction checked by ``tests/regression/test_nucleation_targets.py``.

Usage::

    python calibration/calibrate_nucleation.py            # fit and write nucleation.toml
    python calibration/calibrate_nucleation.py --dry-run  # fit and print only
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from lilean.models.nucleation import recovery_time_sensitivity, simulate_nucleation
from lilean.parameters import ParameterSet, default_parameters
from lilean.schema import atomic_output

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "tests" / "data" / "targets.json"
TOML = ROOT / "src" / "lilean" / "parameters" / "sets" / "Zhang2023" / "nucleation.toml"
SOURCE = "calibration/calibrate_nucleation.py against nucleation_1mA_cm2 (targets.json)"
J_MA_CM2 = 1.0
SUBSTRATES = ("cu", "ag-cu")


def _with(params: ParameterSet, changes: dict[str, float]) -> ParameterSet:
    return params.replace({k: float(v) for k, v in changes.items()})


def _metrics(params: ParameterSet, substrate: str) -> tuple[float, float]:
    r = simulate_nucleation(params, substrate, J_MA_CM2)
    return r.plateau_mV, r.nucleation_overpotential_mV


def _root(f: Callable[[float], float], grid: np.ndarray, what: str) -> float:
    """Root of ``f`` in the last bracket of ``grid`` where ``f`` goes from < 0 to >= 0 (or the
    reverse); the last one is the physically meaningful branch for the contact angle (the
    barrier-controlled side, where the overpotential grows with the angle)."""
    values = np.array([f(x) for x in grid])
    sign_change = np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:]))
    if sign_change.size == 0:
        raise SystemExit(
            f"calibration of {what}: no root on [{grid[0]:g}, {grid[-1]:g}] "
            f"(residuals {values.min():.3g} .. {values.max():.3g})"
        )
    k = int(sign_change[-1])
    return float(brentq(f, grid[k], grid[k + 1], xtol=1e-6, rtol=1e-10))


#: the nucleation entries that copy the cell model's plateau split (anode.toml)
SPLIT_KEYS = (
    "exchange_current_density_mA_cm2",
    "counter_exchange_current_density_mA_cm2",
    "series_resistance_ohm_cm2",
)
SPLIT_SOURCE = (
    "the cell model's split of the -62 mV plateau (anode.toml exchange_current_density_mA_cm2 from "
    "the closed form of calibration/calibrate_cell.py; series resistance = 2 sei_resistance + "
    "separator L N_M / kappa), copied by calibration/calibrate_nucleation.py: one split for both "
    "models"
)


def plateau_split(params: ParameterSet) -> dict[str, float]:
    """The anode set's split of the -62 mV plateau, as nucleation entries for both substrates:
    ``i0`` (deposit and counter) and ``R_s = 2 R_SEI0 + R_sep`` [ohm cm^2]."""
    from lilean.models.anode import separator_resistance_ohm_cm2

    out: dict[str, float] = {}
    for s in SUBSTRATES:
        anode = params.substrate(s).anode
        i0 = anode.exchange_current_density_mA_cm2.value
        r_s = 2.0 * anode.sei_resistance_ohm_cm2.value + separator_resistance_ohm_cm2(
            anode, params.cell.separator_thickness_um.value
        )
        out[f"substrates.{s}.nucleation.exchange_current_density_mA_cm2"] = i0
        out[f"substrates.{s}.nucleation.counter_exchange_current_density_mA_cm2"] = i0
        out[f"substrates.{s}.nucleation.series_resistance_ohm_cm2"] = r_s
    return out


def calibrate(params: ParameterSet, targets: dict[str, Any]) -> dict[str, float]:
    nuc = targets["nucleation_1mA_cm2"]
    over_target = {s: float(nuc[s]["nucleation_overpotential_mV"]) for s in SUBSTRATES}
    fitted: dict[str, float] = {}
    key_cu = "substrates.cu.nucleation.contact_angle_deg"
    key_ag = "substrates.ag-cu.nucleation.alloying_exchange_current_density_mA_cm2"

    def apply(extra: dict[str, float]) -> ParameterSet:
        changes = {**fitted, **extra}
        out: dict[str, float] = {}
        for key, value in changes.items():
            out[key] = value
        return _with(params, out)

    fitted.update(plateau_split(params))

    def cu_residual(angle_deg: float) -> float:
        return _metrics(apply({key_cu: angle_deg}), "cu")[1] - over_target["cu"]

    fitted[key_cu] = _root(cu_residual, np.linspace(5.0, 120.0, 24), "Cu contact angle")

    def ag_residual(log10_i0: float) -> float:
        return _metrics(apply({key_ag: 10.0**log10_i0}), "ag-cu")[1] - over_target["ag-cu"]

    fitted[key_ag] = 10.0 ** _root(ag_residual, np.linspace(-3.0, 2.0, 11), "Ag alloying i0")
    return fitted


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} to TOML")
        return repr(value)
    return str(value)


def _key(name: str) -> str:
    return name if all(c.isalnum() or c == "_" for c in name) else json.dumps(name)


def write_toml(path: Path, fitted: dict[str, float]) -> None:
    """Rewrite ``nucleation.toml`` with the fitted values (kind = calibrated, source = this script),
    keeping every other entry, the key order and the leading comment lines."""
    text = path.read_text()
    tables = tomllib.loads(text)
    header = [line for line in text.splitlines() if line.startswith("#")][:2]
    for dotted, value in fitted.items():
        _, substrate, _, name = dotted.split(".")
        entry = tables[substrate][name]
        source = SPLIT_SOURCE if name in SPLIT_KEYS else SOURCE
        entry.update(value=float(f"{value:.6g}"), kind="calibrated", source=source)
    lines = [*header, ""]
    for substrate, entries in tables.items():
        lines.append(f"[{_key(substrate)}]")
        for name, entry in entries.items():
            inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in entry.items())
            lines.append(f"{name} = {{ {inner} }}")
        lines.append("")
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--targets", type=Path, default=TARGETS)
    parser.add_argument("--dry-run", action="store_true", help="do not write nucleation.toml")
    args = parser.parse_args(argv)
    targets = json.loads(args.targets.read_text())
    params = default_parameters()
    fitted = calibrate(params, targets)
    changes: dict[str, float] = {}
    for key, value in fitted.items():
        changes[key] = value
    final = _with(params, changes)
    for key, value in fitted.items():
        print(f"{key} = {value:.6g}")
    for s in SUBSTRATES:
        r = simulate_nucleation(final, s, J_MA_CM2)
        t = targets["nucleation_1mA_cm2"][s]
        print(
            f"{s}: dip {r.dip_mV:.1f} mV (target {t['dip_mV']}), plateau {r.plateau_mV:.1f} mV "
            f"(target {t['plateau_mV']}), nucleation overpotential "
            f"{r.nucleation_overpotential_mV:.1f} mV (target {t['nucleation_overpotential_mV']})"
        )
        sens = recovery_time_sensitivity(final, s, J_MA_CM2)
        rows = ", ".join(
            f"{v:g} -> {t:.2f} s"
            for v, t in zip(sens["values"], sens["recovery_time_s"], strict=True)
        )
        print(
            f"{s}: recovery {r.recovery_time_s:.2f} s (nuclei {r.nuclei_density_cm2:.3g} cm^-2); "
            f"with the dip held, {sens['parameter']} {rows} (not a target: no measured value)"
        )
    if not args.dry_run:
        write_toml(TOML, fitted)
        print(f"wrote {TOML.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
