"""XRD: simulated Cu K-alpha patterns of Cu, Ag and AgCuF3; identification of measured patterns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lilean.report.engine import Context, published, record
from lilean.report.html import Section

EXPERIMENT = "xrd_two_theta_deg"
MEASURED_XRD_SUFFIXES = (".xy", ".csv", ".txt", ".dat")
#: tolerance of a simulated peak position [deg 2-theta] (diffractometer step ~0.02 deg, peak
#: positions read from the study's figure to about 0.1 deg)
TWO_THETA_TOLERANCE_DEG = 0.1
#: tolerance of an HRTEM lattice-fringe spacing [nm] (fringes read to about +-0.005 nm)
D_SPACING_TOLERANCE_NM = 0.005
BASIS = "from literature lattice parameters (lilean.xrd); no XRD number was used in calibration"


def hkl_digits(hkl: Any) -> str:
    """``(1, 1, 1)``, ``"(1 1 1)"``, ``"111"`` or ``[(1, 1, 1)]`` -> ``"111"`` (first family)."""
    if isinstance(hkl, list | tuple) and hkl and isinstance(hkl[0], list | tuple | dict):
        hkl = hkl[0]
    if isinstance(hkl, dict):
        hkl = hkl.get("hkl", "")
    return "".join(ch for ch in str(hkl) if ch.isdigit())


def xrd_rows(cu: pd.DataFrame, ag: pd.DataFrame, agcuf3: pd.DataFrame) -> list[dict[str, Any]]:
    """Study vs simulated XRD numbers from the three peak tables (all predicted)."""
    study = published()["xrd_two_theta_deg"]
    rows = []
    for hkl, ref in study["Cu"].items():
        match = cu[cu["hkl"].map(hkl_digits) == hkl]
        value = float(match["two_theta_deg"].iloc[0]) if len(match) else None
        rows.append(
            record(
                EXPERIMENT,
                f"Cu ({hkl}) 2-theta",
                "deg",
                value,
                ref,
                TWO_THETA_TOLERANCE_DEG / ref * 100,
                kind="predicted",
                basis=BASIS,
            )
        )
    tt = ag["two_theta_deg"].to_numpy(float)
    n_ag = float(len({round(float(x), 1) for x in tt if 30.0 <= x <= 80.0}))
    rows.append(
        record(
            EXPERIMENT,
            "Ag reflections between 30 and 80 deg",
            "1",
            n_ag,
            study["Ag_reflections_between_30_and_80"],
            0.0,
            kind="predicted",
            basis=BASIS,
        )
    )
    d_ref = study["d_spacing_nm"]
    d_ag = float(ag.loc[(ag["d_nm"] - d_ref["Ag_plume_surface"]).abs().idxmin(), "d_nm"])
    match = agcuf3[agcuf3["hkl"].map(hkl_digits) == "111"]
    d_f = float(match["d_nm"].iloc[0]) if len(match) else None
    for quantity, value, ref in (
        ("Ag d-spacing nearest the HRTEM plume-surface value", d_ag, d_ref["Ag_plume_surface"]),
        ("AgCuF3 (111) d-spacing", d_f, d_ref["AgCuF3_111"]),
    ):
        rows.append(
            record(
                EXPERIMENT,
                quantity,
                "nm",
                value,
                ref,
                D_SPACING_TOLERANCE_NM / ref * 100,
                kind="predicted",
                basis=BASIS,
            )
        )
    return rows


def run(ctx: Context) -> Section:
    import matplotlib.pyplot as plt

    from lilean import xrd
    from lilean.errors import LileanError
    from lilean.plotting.style import paper_style

    section = Section(
        "xrd",
        "XRD of Cu and Ag@Cu",
        setup="Cu K-alpha powder patterns 30-80 deg 2-theta. Study: Cu (111), (200), (220) at "
        "43.3, 50.4, 74.1 deg (PDF 04-0836), four Ag reflections (PDF 04-0783); HRTEM lattice "
        "spacings 0.242 nm on the plume surface (Ag) and 0.227 nm (AgCuF3 (111)). Sticks: "
        "lilean's simulated reflections (pymatgen, lattice parameters in lilean.xrd); curves: "
        "patterns found in the data folder's xrd/ with the phases identified by peak matching.",
    )
    peaks = {
        "Cu": xrd.simulate_pattern("Cu").peaks,
        "Ag": xrd.simulate_pattern("Ag").peaks,
        "AgCuF3": xrd.simulate_pattern("AgCuF3", two_theta_range=(10.0, 80.0)).peaks,
    }
    section.rows = xrd_rows(peaks["Cu"], peaks["Ag"], peaks["AgCuF3"])
    measured = []
    with paper_style():
        fig, ax = plt.subplots(figsize=(7, 3.5))
        for k, phase in enumerate(("Cu", "Ag", "AgCuF3")):
            table = xrd.simulate_pattern(phase).peaks
            ctx.save_table(table, f"xrd_{phase}_peaks")
            i = table["intensity"].to_numpy(float)
            ax.vlines(
                table["two_theta_deg"],
                k * 1.1,
                k * 1.1 + i / max(i.max(), 1e-12),
                label=f"{phase} (lilean)",
                color=f"C{k}",
            )
        folder = ctx.data_dir / "xrd" if ctx.data_dir is not None else None
        for path in sorted(folder.glob("*")) if folder is not None and folder.is_dir() else []:
            if path.suffix.lower() not in MEASURED_XRD_SUFFIXES:
                continue
            try:
                tt, inten = xrd.read_pattern(path)
            except LileanError as exc:  # not a pattern: say so, keep the section
                section.notes.append(f"{path.name}: {exc}")
                continue
            measured.append(path.name)
            y = (inten - min(inten)) / max(max(inten) - min(inten), 1e-12)
            ax.plot(
                tt,
                3.4 + y + 1.1 * (len(measured) - 1),
                lw=0.8,
                color=f"C{2 + len(measured)}",
                label=f"measured {path.name}",
            )
            ident = xrd.identify_phases(tt, inten)
            d: dict[str, Any] = ident.to_dict()
            present = d.get("present", d.get("phases_present", d))
            section.notes.append(f"{path.name}: phases identified: {present}")
        ax.set_xlabel("2-theta [deg] (Cu K-alpha)")
        ax.set_ylabel("normalised intensity (offset)")
        ax.set_xlim(30, 80)
        ax.legend()
    caption = (
        "Simulated Cu K-alpha reflections of Cu, Ag and AgCuF3 (sticks, normalised, offset)"
        + (f" and the measured patterns {', '.join(measured)}" if measured else "")
        + "."
    )
    section.figures.append(
        ctx.save(fig, "xrd_patterns", caption, "the study's XRD patterns of Cu and Ag@Cu")
    )
    return section
