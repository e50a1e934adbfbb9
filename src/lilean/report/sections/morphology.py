"""Li deposition morphology: Ag@Cu at 2/4/6/8 mAh/cm2, bare Cu at 0.2/1 mAh/cm2."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lilean.report.engine import Context, is_number, param_rows, published, record
from lilean.report.html import Section


def descriptor_table(result: Any) -> pd.DataFrame | None:
    for name in ("descriptors", "table", "snapshots_table"):
        table = getattr(result, name, None)
        if isinstance(table, pd.DataFrame):
            return table
    d = result.to_dict() if hasattr(result, "to_dict") else {}
    for name in ("descriptors", "table"):
        if name in d:
            return pd.DataFrame(d[name])
    return None


def run(ctx: Context) -> Section:
    from lilean.models.deposition_lattice import deposit_li
    from lilean.plotting.morphology import plot_deposition_sequence

    pub = published()
    section = Section(
        "morphology",
        "Li deposition morphology",
        setup="Li electrodeposited at 1 mA/cm2 on Ag@Cu (snapshots at 2, 4, 6, 8 mAh/cm2) and on "
        "bare Cu (0.2, 1 mAh/cm2). Study (SEM): on Ag@Cu Li coats the plumes (2), fills the gaps "
        "(4), buries them (6), smooth and dendrite-free (8); on Cu uneven deposits (0.2), mossy "
        "Li and dendrites at tips (1). The descriptors are predictions (the study gives images, "
        "no numbers).",
        parameters=param_rows(ctx.params, ("deposition.",)),
    )
    for substrate, key in (
        ("ag-cu", "deposition_morphology_ag-cu_mAh_cm2"),
        ("cu", "deposition_morphology_cu_mAh_cm2"),
    ):
        stages = pub[key]
        snapshots = tuple(float(q) for q in stages)
        kwargs: dict[str, Any] = {"size": (64,)} if ctx.fast else {}
        result = deposit_li(
            ctx.params,
            substrate,
            capacity_mAh_cm2=max(snapshots),
            snapshots=snapshots,
            seed=0,
            **kwargs,
        )
        table = descriptor_table(result)
        if table is not None:
            ctx.save_table(table, f"morphology_{substrate}")
            for q, text in stages.items():
                if "capacity_mAh_cm2" in table:
                    match = table[(table["capacity_mAh_cm2"] - float(q)).abs() < 1e-9]
                else:
                    match = table.iloc[list(stages).index(q) :][:1]
                if match.empty:
                    continue
                for name, value in match.iloc[0].items():
                    if is_number(value) and "capacity" not in str(name):
                        section.rows.append(
                            record(
                                key,
                                f"{substrate} at {q} mAh/cm2 ({text}): {name}",
                                "",
                                float(value),
                                None,
                                kind="predicted",
                            )
                        )
        label = "Ag@Cu" if substrate == "ag-cu" else "bare Cu"
        section.figures.append(
            ctx.save(
                plot_deposition_sequence(result),
                f"morphology_{substrate}",
                f"Simulated cross-sections of Li deposited at 1 mA/cm2 on {label} at "
                f"{', '.join(stages)} mAh/cm2 (lattice model, seed 0).",
                f"the study's SEM images of Li on {label}",
            )
        )
    return section
