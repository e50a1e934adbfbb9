"""Terminal rendering of data-command results: every user string shown literally.

Rich parses ``[...]`` as markup and ``:name:`` as emoji codes, so a column name such as ``Time [s]``
loses its unit and a binder ``LFP:AB:PVDF`` becomes an emoji. Every cell here is a
:class:`rich.text.Text` (never parsed), tables fold long text instead of cutting it, and when
stdout is not a terminal (a pipe, a file, a CI log) tables are laid out at their natural width
rather than rich's 80-column default.

Third-party chatter (``warnings`` and ``logging`` records of readers such as fastnda) is captured
by :func:`lilean.batch.capture.captured_notes` (re-exported here) and returned as strings for the
result's ``notes``, never printed raw.

Long steps show :func:`progress_bar` (work with a known total) or :func:`spinner` (an opaque
step): on **stderr** only, transient, and not at all with ``--json`` (``quiet``) or when stderr
is not a terminal, so stdout stays exactly the JSON document or the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from lilean.batch.capture import captured_notes

#: width of the layout when stdout is not a terminal
PIPE_WIDTH = 200
#: rows of a long per-cycle table shown at each end
HEAD_TAIL_ROWS = 15

__all__ = [
    "captured_notes",
    "escape",
    "literal",
    "output_console",
    "print_result_tables",
    "progress_bar",
    "spinner",
]


def _stderr() -> Console:
    from lilean.cli.common import err_console

    return err_console


@contextmanager
def progress_bar(
    description: str,
    total: float,
    *,
    quiet: bool = False,
    unit: str = "",
    console: Console | None = None,
) -> Iterator[Callable[[float], None]]:
    """A transient progress bar (description, bar, done/total [unit], elapsed time) on stderr.

    Yields ``update(completed)``; ``quiet`` (``--json``) shows nothing. The bar never writes to
    stdout: ``console`` defaults to the CLI's stderr console."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    done = "{task.completed:.3g}/{task.total:.3g}" if unit else "{task.completed}/{task.total}"
    with Progress(
        TextColumn(escape(description)),
        BarColumn(),
        TextColumn(done + (f" {unit}" if unit else "")),
        TimeElapsedColumn(),
        console=console or _stderr(),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda completed: bar.update(task, completed=completed)


@contextmanager
def spinner(message: str, *, quiet: bool = False, console: Console | None = None) -> Iterator[None]:
    """A transient spinner with ``message`` on stderr while an opaque step runs (none if
    ``quiet``)."""
    if quiet:
        yield
        return
    with (console or _stderr()).status(Text(message), spinner="dots"):
        yield


def literal(value: Any) -> Text:
    """``value`` as text that rich shows verbatim (no markup, no emoji codes)."""
    if isinstance(value, float):
        return Text(f"{value:.6g}")
    if value is None:
        return Text("None", style="dim")
    return Text(str(value))


def output_console(console: Console) -> Console:
    """``console`` itself on a terminal; else a console of the same stream at a wide layout."""
    if console.is_terminal:
        return console
    return Console(
        file=console.file, width=PIPE_WIDTH, emoji=False, highlight=False, soft_wrap=False
    )


def _number(value: Any) -> Text:
    if isinstance(value, bool) or value is None:
        return literal(value)
    if isinstance(value, float):
        return Text(f"{value:.5g}")
    return literal(value)


def columns_table(columns: Mapping[str, Sequence[Any]], *, title: str | None = None) -> Table:
    """A table of equal-length columns ``{name: values}``; long tables show head and tail."""
    names = list(columns)
    n = max((len(v) for v in columns.values()), default=0)
    table = Table(title=None if title is None else Text(title))
    for name in names:
        numeric = all(isinstance(v, (int, float)) or v is None for v in list(columns[name])[:50])
        longest_word = max((len(w) for w in str(name).split()), default=1)
        table.add_column(
            Text(name),
            overflow="fold",
            justify="right" if numeric else "left",
            min_width=longest_word,
        )
    rows: list[int | None] = list(range(n))
    if n > 2 * HEAD_TAIL_ROWS + 1:
        rows = [*range(HEAD_TAIL_ROWS), None, *range(n - HEAD_TAIL_ROWS, n)]
    for k in rows:
        if k is None:
            table.add_row(*[Text("...") for _ in names])
        else:
            table.add_row(*[_number(columns[name][k]) for name in names])
    return table


def records_table(records: Sequence[Mapping[str, Any]], *, title: str | None = None) -> Table:
    """A table of a list of flat dicts (one row each)."""
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    return columns_table({k: [r.get(k) for r in records] for k in names}, title=title)


def _is_columns(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(v, list) for v in value.values())
        and len({len(v) for v in value.values()}) == 1
    )


def _is_records(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(r, Mapping) and not any(isinstance(x, (dict, list)) for x in r.values())
            for r in value
        )
    )


def print_result_tables(result: Mapping[str, Any], console: Console) -> None:
    """A key-value table of the scalars of ``result``, then one table per tabular entry (a
    column dict such as the per-cycle summary, or a list of records such as the quality flags)."""
    out = output_console(console)
    scalars = Table(
        show_header=False,
        title=Text(f"{result.get('kind', '')}: {result.get('file', '')}"),
    )
    scalars.add_column(no_wrap=True)
    scalars.add_column(overflow="fold")
    tables: list[Table] = []
    for key, value in result.items():
        if _is_columns(value):
            tables.append(columns_table(value, title=key))
        elif _is_records(value):
            tables.append(records_table(value, title=key))
        elif isinstance(value, Mapping) and value and all(_is_columns(v) for v in value.values()):
            for sub, cols in value.items():
                tables.append(columns_table(cols, title=f"{key}: {sub}"))
        elif isinstance(value, list) and len(value) > 8:
            scalars.add_row(
                literal(key), literal(f"[{len(value)} values] {value[:3]} ... {value[-2:]}")
            )
        elif isinstance(value, Mapping):
            scalars.add_row(literal(key), literal(", ".join(f"{k}: {v}" for k, v in value.items())))
        else:
            scalars.add_row(literal(key), literal(value))
    out.print(scalars)
    for table in tables:
        out.print(table)
