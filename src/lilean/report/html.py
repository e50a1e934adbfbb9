"""A self-contained HTML report (figures embedded as data URIs: it opens offline, no CDN).

Fast to open: every experiment is a collapsible ``<details>`` section; figures are embedded as
PNGs downscaled to the page width (the 300 dpi PNG and the SVG stay in ``figures/``); plotly.js
is embedded once, gzip-compressed, and is decompressed (``DecompressionStream``) and run only when a
section with an interactive figure is first opened; interactive figures are drawn then.
"""

from __future__ import annotations

import base64
import gzip
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lilean.schema import atomic_output

#: embedded PNGs are downscaled to at most this width [px] (the page is 1000 px wide)
EMBED_WIDTH_PX = 1000

CSS = """
body{font-family:Georgia,serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.8em}h2{display:inline;font-size:1.35em}
details.experiment{border-top:1px solid #ccc;margin-top:1.2em;padding-top:.4em}
summary{cursor:pointer}
table{border-collapse:collapse;margin:1em 0;font-size:.85em}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
table.predictions td:nth-child(2),table.predictions th:nth-child(2){text-align:left}
.ok{background:#d9f2d9}.warn{background:#fff3cd}.bad{background:#f8d7da}
tr.calibrated td,tr.input td,tr.assumed td{color:#666;background:#f7f7f7}
.kind{font-variant:small-caps}.missing{color:#a00;font-style:italic}
figure{margin:1em 0}figure img{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#333}
.setup{color:#444}.params{font-size:.8em;color:#555}.failed{color:#fff;background:#a00}
.mode{background:#eef;padding:.5em;border-left:4px solid #88a}.interactive{margin:1em 0}
.plotly-lazy{min-height:420px}.cite{font-size:.85em}
"""

LOADER_JS = """
(function(){
  var ready=null;
  function plotly(){
    if(ready) return ready;
    var el=document.getElementById('plotly-gz');
    var bin=Uint8Array.from(atob(el.textContent.trim()),function(c){return c.charCodeAt(0);});
    var ds=new Blob([bin]).stream().pipeThrough(new DecompressionStream('gzip'));
    ready=new Response(ds).text().then(function(src){
      var s=document.createElement('script');s.text=src;document.head.appendChild(s);
    });
    return ready;
  }
  function draw(section){
    var divs=section.querySelectorAll('div.plotly-lazy:not([data-drawn])');
    if(!divs.length) return;
    plotly().then(function(){
      divs.forEach(function(div){
        var spec=JSON.parse(document.getElementById(div.id+'-spec').textContent);
        div.setAttribute('data-drawn','1');
        Plotly.newPlot(div,spec.data,spec.layout,{responsive:true});
      });
    });
  }
  document.querySelectorAll('details.experiment').forEach(function(d){
    d.addEventListener('toggle',function(){if(d.open) draw(d);});
    if(d.open) draw(d);
  });
})();
"""


#: said under every figure whose counterpart is a figure of the study: the restatement of the study
#: that lilean works from (shared/spec/system.md) gives no figure numbers, and none is invented
FIGURE_NUMBER_NOTE = "figure number not given: our restatement of the study has none"


def counterpart_text(counterpart: str) -> str:
    """The caption's ``Study counterpart: ...`` sentence ('' when there is none); a study figure
    is named by what it shows, with :data:`FIGURE_NUMBER_NOTE` (no number is invented)."""
    if not counterpart:
        return ""
    if counterpart.startswith(("none", "held back")):
        return f" Study counterpart: {counterpart}."
    return f" Study counterpart: {counterpart} ({FIGURE_NUMBER_NOTE})."


@dataclass
class Figure:
    """A figure of the report: ``path`` of its PNG relative to the report folder (an SVG with
    the same stem sits beside it), a caption saying what it shows, and the study's counterpart."""

    path: str
    caption: str
    counterpart: str = ""

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "caption": self.caption, "counterpart": self.counterpart}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Figure:
        path, caption = obj["path"], obj["caption"]
        if not isinstance(path, str) or not isinstance(caption, str):
            raise TypeError("figure path and caption must be strings")
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise ValueError(f"figure path {path!r} is not inside the report folder")
        return cls(path, caption, str(obj.get("counterpart", "")))


@dataclass
class Section:
    """One experiment of the report."""

    key: str
    title: str
    setup: str = ""
    figures: list[Figure] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # study vs lilean records
    parameters: list[tuple[str, str, str, str]] = field(default_factory=list)
    missing: str | None = None  # why this experiment is not in the report
    notes: list[str] = field(default_factory=list)
    interactive: list[str] = field(default_factory=list)  # plotly fragments (lazy)
    failed: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (for the result cache); inverse of :meth:`from_json`."""
        return {
            "key": self.key,
            "title": self.title,
            "setup": self.setup,
            "figures": [f.to_json() for f in self.figures],
            "rows": self.rows,
            "parameters": [list(p) for p in self.parameters],
            "missing": self.missing,
            "notes": self.notes,
            "interactive": self.interactive,
            "failed": self.failed,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Section:
        rows = list(obj["rows"])
        if not all(isinstance(r, dict) and "kind" in r and "quantity" in r for r in rows):
            raise ValueError("a cached row has no kind or quantity")
        return cls(
            key=str(obj["key"]),
            title=str(obj["title"]),
            setup=str(obj["setup"]),
            figures=[Figure.from_json(f) for f in obj["figures"]],
            rows=rows,
            parameters=[(a, b, c, d) for a, b, c, d in obj["parameters"]],
            missing=obj["missing"],
            notes=[str(n) for n in obj["notes"]],
            interactive=[str(i) for i in obj["interactive"]],
            failed=bool(obj["failed"]),
        )


def _cell_class(record: dict[str, Any]) -> str:
    """``ok``/``bad`` from ``pass`` for scored rows; ``ok`` (|deviation| <= tolerance), ``warn``
    (<= 2x) or ``bad`` for the others with a tolerance; the kind otherwise."""
    kind = record.get("kind", "")
    if "pass" in record and kind in ("predicted", "qualitative"):
        return "ok" if record["pass"] else "bad"
    dev, tol = record.get("deviation_percent"), record.get("tolerance_percent")
    if dev is None or tol is None or kind != "predicted":
        return str(kind)
    return "ok" if abs(dev) <= tol else ("warn" if abs(dev) <= 2 * tol else "bad")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and len(value) == 2:
        return f"{_fmt(value[0])} – {_fmt(value[1])}"
    return html.escape(str(value))


def _study_cell(r: dict[str, Any]) -> str:
    if r.get("study_note"):
        return f"<i>{html.escape(r['study_note'])}</i>"
    return _fmt(r.get("study"))


def embedded_png(path: Path) -> bytes:
    """The PNG at ``path`` downscaled to :data:`EMBED_WIDTH_PX` (unchanged when narrower)."""
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.width <= EMBED_WIDTH_PX:
            return path.read_bytes()
        height = round(img.height * EMBED_WIDTH_PX / img.width)
        small = img.convert("RGB").resize((EMBED_WIDTH_PX, height), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
        return buf.getvalue()


def _figure(fig: Figure, base_dir: Path) -> str:
    data = base64.b64encode(embedded_png(base_dir / fig.path)).decode()
    counterpart = counterpart_text(fig.counterpart)
    svg = Path(fig.path).with_suffix(".svg").as_posix()
    return (
        f"<figure data-file='{html.escape(fig.path)}'><img loading='lazy' decoding='async' "
        f"alt='{html.escape(Path(fig.path).stem)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(fig.caption)}{html.escape(counterpart)} "
        f"<span class='params'>(files: {html.escape(fig.path)}, {html.escape(svg)})</span>"
        "</figcaption></figure>"
    )


def _plotly_bundle() -> str:
    from lilean.report.interactive import plotly_js

    raw = plotly_js().encode()
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    return base64.b64encode(packed).decode()


def _scorecard_html(card: list[dict[str, Any]]) -> str:
    parts = [
        "<details class='experiment' id='scorecard' open><summary><h2>Scorecard: "
        "predictions against the study</h2></summary>",
        "<p>Counted: <b>predicted</b> numbers with a study value and <b>qualitative</b> "
        "relations; calibration targets and inputs are never counted. Band: 5-95 % of the seed "
        "ensemble where one exists, otherwise 'single seed'.</p>",
        "<table class='scorecard'><tr><th>experiment</th><th>passed / tried</th>"
        "<th>calibrated (shown, not counted)</th><th>predictions held back</th>"
        "<th>predictions without a study value</th></tr>",
    ]
    for e in card:
        cls = "ok" if e["tried"] and e["passed"] == e["tried"] else ("bad" if e["tried"] else "")
        parts.append(
            f"<tr class='{cls}'><td>{html.escape(e['experiment'])}</td>"
            f"<td>{e['passed']} / {e['tried']}</td><td>{e['calibrated']}</td>"
            f"<td>{e['held_back']}</td><td>{e['unscored']}</td></tr>"
        )
    parts.append("</table>")
    parts.append(
        "<table class='predictions'><tr><th>experiment</th><th>prediction</th><th>unit</th>"
        "<th>study</th><th>lilean</th><th>band (5-95 %)</th><th>tolerance %</th>"
        "<th>pass</th></tr>"
    )
    for e in card:
        for r in e["rows"]:
            parts.append(
                f"<tr class='{_cell_class(r)}'><td>{html.escape(e['experiment'])}</td>"
                f"<td>{_fmt(r['quantity'])}</td><td>{_fmt(r['unit'])}</td>"
                f"<td>{_study_cell(r)}</td><td>{_fmt(r['lilean'])}</td>"
                f"<td>{_fmt(r.get('band'))}</td><td>{_fmt(r.get('tolerance_percent'))}</td>"
                f"<td>{_fmt(r.get('pass'))}</td></tr>"
            )
    parts.append("</table></details>")
    return "\n".join(parts)


def _works_cited_html(entries: list[tuple[str, str]]) -> str:
    parts = [
        "<details class='experiment' id='works-cited' open><summary><h2>Works cited</h2>"
        "</summary><p>Works cited by the parameter set and the models this report ran "
        "(lilean/CITATIONS.bib).</p><ol class='cite'>"
    ]
    parts += [
        f"<li id='cite-{html.escape(k)}'>[{html.escape(k)}] {html.escape(text)}</li>"
        for k, text in entries
    ]
    parts.append("</ol></details>")
    return "\n".join(parts)


def render(
    title: str,
    intro: str,
    sections: list[Section],
    header: str = "",
    *,
    base_dir: Path = Path("."),
    scorecard: list[dict[str, Any]] | None = None,
    works_cited: list[tuple[str, str]] | None = None,
) -> str:
    """The whole page. ``intro`` and ``header`` are trusted HTML written by lilean; everything
    else is escaped. Figure paths are relative to ``base_dir`` (the report folder)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>{header}<p>{intro}</p>",
    ]
    if scorecard is not None:
        parts.append(_scorecard_html(scorecard))
    parts.append("<h2>Contents</h2><ul>")
    for s in sections:
        flag = (
            " <span class='failed'>(FAILED)</span>"
            if s.failed
            else (" <span class='missing'>(missing)</span>" if s.missing else "")
        )
        parts.append(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a>{flag}</li>")
    parts.append("</ul>")
    for s in sections:
        parts.append(
            f"<details id='{html.escape(s.key)}' class='experiment'>"
            f"<summary><h2>{html.escape(s.title)}</h2></summary>"
        )
        if s.setup:
            parts.append(f"<p class='setup'>{html.escape(s.setup)}</p>")
        if s.failed:
            parts.append(f"<p class='failed'>{html.escape(s.missing or 'FAILED')}</p>")
        elif s.missing:
            parts.append(f"<p class='missing'>Not reproduced: {html.escape(s.missing)}</p>")
        parts.extend(_figure(f, base_dir) for f in s.figures)
        parts.extend(f"<div class='interactive'>{div}</div>" for div in s.interactive)
        if s.rows:
            parts.append(
                "<table class='study-vs-lilean'><tr><th>quantity</th><th>kind</th><th>unit</th>"
                "<th>study</th><th>lilean</th><th>deviation %</th><th>tolerance %</th>"
                "<th>pass</th></tr>"
            )
            for r in s.rows:
                kind = r.get("kind", "")
                note = f" title='{html.escape(r['basis'])}'" if r.get("basis") else ""
                parts.append(
                    f"<tr class='{_cell_class(r)} {html.escape(kind)}'{note}>"
                    f"<td>{_fmt(r['quantity'])}</td><td class='kind'>{html.escape(kind)}</td>"
                    f"<td>{_fmt(r['unit'])}</td><td>{_study_cell(r)}</td>"
                    f"<td>{_fmt(r['lilean'])}</td><td>{_fmt(r.get('deviation_percent'))}</td>"
                    f"<td>{_fmt(r.get('tolerance_percent'))}</td><td>{_fmt(r.get('pass'))}</td>"
                    "</tr>"
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
        parts.append("</details>")
    if works_cited:
        parts.append(_works_cited_html(works_cited))
    if any(s.interactive for s in sections):
        parts.append(
            f"<script id='plotly-gz' type='application/octet-stream'>{_plotly_bundle()}</script>"
        )
        parts.append(f"<script>{LOADER_JS}</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    path: Path,
    title: str,
    intro: str,
    sections: list[Section],
    header: str = "",
    *,
    scorecard: list[dict[str, Any]] | None = None,
    works_cited: list[tuple[str, str]] | None = None,
) -> Path:
    """Write :func:`render`'s page atomically to ``path`` (figures relative to its folder)."""
    page = render(
        title,
        intro,
        sections,
        header,
        base_dir=path.parent,
        scorecard=scorecard,
        works_cited=works_cited,
    )
    with atomic_output(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
