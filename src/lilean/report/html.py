"""A self-contained HTML report (figures embedded as data URIs: it opens offline, no CDN)."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lilean.schema import atomic_output

CSS = """
body{font-family:Georgia,serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.8em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.ok{background:#d9f2d9}.warn{background:#fff3cd}.bad{background:#f8d7da}
.missing{color:#a00;font-style:italic}figure{margin:1em 0}figure img{max-width:100%}
.setup{color:#444}.params{font-size:.8em;color:#555}.failed{color:#fff;background:#a00}
.mode{background:#eef;padding:.5em;border-left:4px solid #88a}.interactive{margin:1em 0}
"""


@dataclass
class Section:
    """One experiment of the report."""

    key: str
    title: str
    setup: str = ""
    figures: list[Path] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # study vs lilean records
    parameters: list[tuple[str, str, str, str]] = field(default_factory=list)
    missing: str | None = None  # why this experiment is not in the report
    notes: list[str] = field(default_factory=list)
    interactive: list[str] = field(default_factory=list)  # plotly <div> fragments
    failed: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (for the result cache); inverse of :meth:`from_json`."""
        return {
            "key": self.key,
            "title": self.title,
            "setup": self.setup,
            "figures": [str(f) for f in self.figures],
            "rows": self.rows,
            "parameters": [list(p) for p in self.parameters],
            "missing": self.missing,
            "notes": self.notes,
            "interactive": self.interactive,
            "failed": self.failed,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Section:
        return cls(
            key=obj["key"],
            title=obj["title"],
            setup=obj["setup"],
            figures=[Path(f) for f in obj["figures"]],
            rows=list(obj["rows"]),
            parameters=[(a, b, c, d) for a, b, c, d in obj["parameters"]],
            missing=obj["missing"],
            notes=list(obj["notes"]),
            interactive=list(obj["interactive"]),
            failed=bool(obj["failed"]),
        )


def _cell_class(record: dict[str, Any]) -> str:
    """``ok`` (|deviation| <= tolerance), ``warn`` (<= 2x) or ``bad``; relations (boolean lilean
    value, study True) are ``ok`` when they hold and ``bad`` when not."""
    if isinstance(record.get("lilean"), bool) and isinstance(record.get("study"), bool):
        return "ok" if record["lilean"] == record["study"] else "bad"
    dev, tol = record.get("deviation_percent"), record.get("tolerance_percent")
    if dev is None or tol is None:
        return ""
    return "ok" if abs(dev) <= tol else ("warn" if abs(dev) <= 2 * tol else "bad")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    return f'<figure><img alt="{html.escape(path.stem)}" src="data:{mime};base64,{data}"></figure>'


def render(title: str, intro: str, sections: list[Section], header: str = "") -> str:
    """The whole page. ``intro`` and ``header`` are trusted HTML written by lilean; everything
    else is escaped. plotly.js is inlined once when any section has interactive figures."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style>",
    ]
    if any(s.interactive for s in sections):
        from lilean.report.interactive import plotly_js

        parts.append(f"<script type='text/javascript'>{plotly_js()}</script>")
    parts += [
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>{header}<p>{intro}</p><h2>Contents</h2><ul>",
    ]
    for s in sections:
        flag = (
            " <span class='failed'>(FAILED)</span>"
            if s.failed
            else (" <span class='missing'>(missing)</span>" if s.missing else "")
        )
        parts.append(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a>{flag}</li>")
    parts.append("</ul>")
    for s in sections:
        parts.append(f"<section id='{s.key}' class='experiment'><h2>{html.escape(s.title)}</h2>")
        if s.setup:
            parts.append(f"<p class='setup'>{html.escape(s.setup)}</p>")
        if s.failed:
            parts.append(f"<p class='failed'>{html.escape(s.missing or 'FAILED')}</p>")
        elif s.missing:
            parts.append(f"<p class='missing'>Not reproduced yet: {html.escape(s.missing)}</p>")
        parts.extend(_img(f) for f in s.figures if f.suffix == ".png")
        parts.extend(f"<div class='interactive'>{div}</div>" for div in s.interactive)
        if s.rows:
            parts.append(
                "<table class='study-vs-lilean'><tr><th>quantity</th><th>unit</th>"
                "<th>study</th><th>lilean</th><th>deviation %</th><th>tolerance %</th></tr>"
            )
            for r in s.rows:
                parts.append(
                    f"<tr class='{_cell_class(r)}'><td>{_fmt(r['quantity'])}</td>"
                    f"<td>{_fmt(r['unit'])}</td><td>{_fmt(r['study'])}</td>"
                    f"<td>{_fmt(r['lilean'])}</td><td>{_fmt(r.get('deviation_percent'))}</td>"
                    f"<td>{_fmt(r.get('tolerance_percent'))}</td></tr>"
                )
            parts.append("</table>")
        for note in s.notes:
            parts.append(f"<p>{html.escape(note)}</p>")
        if s.parameters:
            parts.append(
                "<details class='params'><summary>parameters used</summary><table>"
                "<tr><th>parameter</th><th>value</th><th>kind</th><th>source</th></tr>"
            )
            for name, value, kind, source in s.parameters:
                parts.append(
                    f"<tr><td>{html.escape(name)}</td><td>{html.escape(value)}</td>"
                    f"<td>{html.escape(kind)}</td><td>{html.escape(source)}</td></tr>"
                )
            parts.append("</table></details>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    path: Path, title: str, intro: str, sections: list[Section], header: str = ""
) -> Path:
    """Write :func:`render`'s page atomically to ``path``."""
    with atomic_output(path) as tmp:
        tmp.write_text(render(title, intro, sections, header), encoding="utf-8")
    return path
