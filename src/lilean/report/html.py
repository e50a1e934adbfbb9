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
.setup{color:#444}.params{font-size:.8em;color:#555}
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


def _cell_class(record: dict[str, Any]) -> str:
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


def render(title: str, intro: str, sections: list[Section]) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{intro}</p><h2>Contents</h2><ul>",
    ]
    for s in sections:
        flag = " <span class='missing'>(missing)</span>" if s.missing else ""
        parts.append(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a>{flag}</li>")
    parts.append("</ul>")
    for s in sections:
        parts.append(f"<section id='{s.key}' class='experiment'><h2>{html.escape(s.title)}</h2>")
        if s.setup:
            parts.append(f"<p class='setup'>{html.escape(s.setup)}</p>")
        if s.missing:
            parts.append(f"<p class='missing'>Not reproduced yet: {html.escape(s.missing)}</p>")
        parts.extend(_img(f) for f in s.figures if f.suffix == ".png")
        if s.rows:
            parts.append(
                "<table class='study-vs-lilean'><tr><th>quantity</th><th>unit</th>"
                "<th>study</th><th>lilean</th><th>deviation %</th></tr>"
            )
            for r in s.rows:
                parts.append(
                    f"<tr class='{_cell_class(r)}'><td>{_fmt(r['quantity'])}</td>"
                    f"<td>{_fmt(r['unit'])}</td><td>{_fmt(r['study'])}</td>"
                    f"<td>{_fmt(r['lilean'])}</td><td>{_fmt(r.get('deviation_percent'))}</td></tr>"
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


def write_report(path: Path, title: str, intro: str, sections: list[Section]) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(render(title, intro, sections), encoding="utf-8")
    return path
