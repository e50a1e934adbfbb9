"""Interactive (zoomable) plotly figures for the HTML report.

Each function returns an HTML fragment: an empty ``<div>`` and the figure's JSON spec
(:func:`json_script`), drawn when its section is opened;
:func:`lilean.report.html.render` embeds the plotly.js bundle shipped with the ``plotly`` package
once per page (inline, gzip-compressed, no CDN), so the report opens offline and fast. Traces are
decimated to at most :data:`MAX_POINTS` points (every k-th point, the last kept).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lilean.schema import CURRENT, CYCLE, TIME, VOLTAGE

_LAYOUT: dict[str, Any] = {
    "template": "simple_white",
    "height": 420,
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
    "legend": {"orientation": "h", "y": -0.2},
}


#: points per trace at most (decimated by a constant stride, the last point kept)
MAX_POINTS = 1500


def decimate(x: Any, *more: Any, max_points: int = MAX_POINTS) -> list[np.ndarray]:
    """Every k-th element of ``x`` (and of the arrays in ``more``) so that at most
    ``max_points`` remain; the last element is always kept."""
    arrays = [np.asarray(a) for a in (x, *more)]
    n = len(arrays[0])
    if n <= max_points:
        return arrays
    step = int(np.ceil(n / (max_points - 1)))
    index = np.unique(np.append(np.arange(0, n, step), n - 1))
    return [a[index] for a in arrays]


def _div(fig: Any, div_id: str) -> str:
    import json

    import plotly.io as pio

    fig.update_layout(**_LAYOUT)
    return json_script(div_id, json.loads(pio.to_json(fig, validate=False)))


def cycling_div(
    runs: Sequence[tuple[str, pd.DataFrame]],
    measured: Sequence[tuple[str, pd.DataFrame]] = (),
    *,
    div_id: str,
    title: str,
) -> str:
    """Retention [%] vs cycle for the simulated summaries (``Cycle``, ``Retention [%]``) and, as
    markers, measured summaries with the same columns."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, s in runs:
        x, y = decimate(s["Cycle"], s["Retention [%]"])
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{label} (lilean)"))
    for label, s in measured:
        x, y = decimate(s["Cycle"], s["Retention [%]"])
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name=f"{label} (measured)"))
    fig.update_layout(title=title, xaxis_title="Cycle", yaxis_title="Retention [%]")
    return _div(fig, div_id)


def profiles_div(
    data: pd.DataFrame, cycles: Sequence[int], *, active_mass_mg: float, div_id: str, title: str
) -> str:
    """Voltage [V] vs specific capacity [mAh/g] of the charge and discharge branches of ``cycles``.

    The capacity of each branch is ``Q(t) = integral |I| dt / m_active`` (trapezoid rule), in mAh/g
    with ``I`` in A, ``t`` in s and ``m_active`` in mg: ``Q = 1e3 * integral |I| dt / 3.6 / m``.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for cycle in cycles:
        part = data[data[CYCLE] == cycle]
        for sign, branch in ((1.0, "charge"), (-1.0, "discharge")):
            seg = part[sign * part[CURRENT] > 0]
            if len(seg) < 2:
                continue
            t = seg[TIME].to_numpy(float)
            i = np.abs(seg[CURRENT].to_numpy(float))
            q_As = np.concatenate([[0.0], np.cumsum(0.5 * (i[1:] + i[:-1]) * np.diff(t))])
            q_mAh_g = q_As / 3.6 / (active_mass_mg * 1e-3)
            x, y = decimate(q_mAh_g, seg[VOLTAGE])
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    name=f"cycle {cycle} {branch}",
                    legendgroup=str(cycle),
                )
            )
    fig.update_layout(title=title, xaxis_title="Capacity [mAh/g]", yaxis_title="Voltage [V]")
    return _div(fig, div_id)


def nyquist_div(spectra: Sequence[tuple[str, Any]], *, div_id: str, title: str) -> str:
    """Nyquist plot ``-Z_im`` vs ``Z_re`` [Ohm] of ``(label, ImpedanceData)`` spectra, equal axes."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, spectrum in spectra:
        f, z = decimate(*spectrum.to_impedance_arrays())
        fig.add_trace(
            go.Scatter(
                x=z.real,
                y=-z.imag,
                mode="lines+markers",
                name=label,
                text=[f"{x:.3g} Hz" for x in f],
                marker={"size": 4},
            )
        )
    fig.update_layout(title=title, xaxis_title="Z_re [Ohm]", yaxis_title="-Z_im [Ohm]")
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return _div(fig, div_id)


def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed ``plotly`` package (for inline embedding)."""
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()
    return js


def json_script(div_id: str, spec: dict[str, Any]) -> str:
    """A lazy plotly figure: an empty ``div`` and its spec as inert JSON (``</`` escaped)."""
    text = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (
        f"<div id='{html.escape(div_id)}' class='plotly-lazy'></div>"
        f"<script type='application/json' id='{html.escape(div_id)}-spec'>{text}</script>"
    )
