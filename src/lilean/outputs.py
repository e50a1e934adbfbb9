"""One output policy for every lilean writer.

Every file lilean writes goes through :func:`check_output` (the atomic writer
:class:`lilean.schema.atomic_output` calls it; so do the CLI commands before they compute anything):

- only regular files are written: an existing directory, device node, FIFO or socket is refused,
  and so is anything under ``/proc``, ``/sys`` or ``/dev`` (``-o /dev/null`` never replaces the
  device node with a regular file);
- the suffix matches the format (``suffixes``): ``simulate -o x.txt`` is refused, not written as
  Parquet under a misleading name;
- a file the command reads is never written: inputs, their sidecars (``<stem>_Metadata.csv``,
  ``<name>.meta.json``, ``<stem>.fit.json``) and parameter files are registered with
  :func:`protect` and compared by resolved path *and* by inode (a hard link or a second name of
  the same file is caught too);
- the write itself is atomic (a temporary file in the same folder, renamed over the target only
  when complete), and only ever replaces a regular file; a symbolic link is followed, so the link
  stays a link and its target gets the new content.

The protected set lives in a context variable: the CLI opens one :func:`command_scope` per command,
so two commands in one process (tests, notebooks) never see each other's inputs.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from lilean.errors import OutputError

#: folders lilean never writes into (kernel and device file systems)
FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))

#: format -> the suffixes an output of that format may have
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "parquet": (".parquet",),
    "csv": (".csv",),
    "table": (".parquet", ".csv"),
    "params": (".toml", ".yaml", ".yml"),
    "json": (".json",),
}

#: sidecar names a reader may open next to an input ``stem.ext``
_SIDECAR_PATTERNS = (
    "{stem}_Metadata.csv",
    "{name}.meta.json",
    "{stem}.meta.json",
    "{stem}.fit.json",
)

_PROTECTED: ContextVar[tuple[tuple[Path, tuple[int, int] | None], ...]] = ContextVar(
    "lilean_protected_inputs", default=()
)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def sidecars(path: str | Path) -> list[Path]:
    """The sidecar files that exist beside the input ``path`` (readers may open them)."""
    p = Path(path)
    found = []
    for pattern in _SIDECAR_PATTERNS:
        cand = p.with_name(pattern.format(stem=p.stem, name=p.name))
        if cand != p and cand.is_file():
            found.append(cand)
    return found


def protect(*paths: str | Path | None, with_sidecars: bool = True) -> None:
    """Register files the current command reads, so that no output is ever written onto them."""
    entries = list(_PROTECTED.get())
    for raw in paths:
        if raw is None:
            continue
        p = Path(raw)
        group = [p, *(sidecars(p) if with_sidecars and p.is_file() else [])]
        for q in group:
            entries.append((q.resolve(), _identity(q)))
    _PROTECTED.set(tuple(entries))


def protected_paths() -> list[Path]:
    """The files registered with :func:`protect` in this scope (resolved)."""
    return [p for p, _ in _PROTECTED.get()]


@contextlib.contextmanager
def command_scope() -> Iterator[None]:
    """A fresh protected-input set for one command; restored afterwards."""
    token = _PROTECTED.set(())
    try:
        yield
    finally:
        _PROTECTED.reset(token)


def _forbidden_root(resolved: Path) -> Path | None:
    for root in FORBIDDEN_ROOTS:
        if resolved == root or root in resolved.parents:
            return root
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_output(
    path: str | Path,
    *,
    suffixes: Iterable[str] | str | None = None,
    what: str = "output",
) -> Path:
    """Check ``path`` against the output policy and return the path to write (symlinks resolved).

    ``suffixes``: the allowed suffixes (``(".parquet", ".csv")``) or a key of
    :data:`FORMAT_SUFFIXES`; None skips the suffix check. Raises :class:`OutputError` with one line
    naming the path and the problem.
    """
    p = Path(path)
    if str(p) == "" or p.name in ("", ".", ".."):
        raise OutputError(f"{path}: not a file name; expected a path like out.parquet")
    if isinstance(suffixes, str):
        suffixes = FORMAT_SUFFIXES[suffixes]
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if p.suffix.lower() not in allowed:
            raise OutputError(
                f"{p}: {what} must end in {' or '.join(allowed)} (got {p.suffix or 'no suffix'!r})"
            )
    resolved = p.resolve()
    root = _forbidden_root(resolved)
    if root is not None:
        raise OutputError(f"{p}: refusing to write under {root} (not a place for data files)")
    try:
        st = os.stat(resolved)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"{p}: cannot be written ({exc.strerror or exc})") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{p}: is {_kind(st.st_mode)}; lilean writes only regular files")
    parent = resolved.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{p}: its folder {parent} is not a directory")
    ident = (st.st_dev, st.st_ino) if st is not None else None
    for src, src_ident in _PROTECTED.get():
        if src == resolved or (ident is not None and src_ident == ident):
            raise OutputError(f"{p}: refusing to overwrite {src.name}, a file this command reads")
    return resolved


def check_output_dir(path: str | Path, *, what: str = "output folder") -> Path:
    """Check a folder lilean will create files in (figures, sweep parts, a report)."""
    p = Path(path)
    resolved = p.resolve()
    root = _forbidden_root(resolved)
    if root is not None:
        raise OutputError(f"{p}: refusing to write under {root} (not a place for data files)")
    if resolved.exists() and not resolved.is_dir():
        raise OutputError(f"{p}: {what} exists and is not a directory")
    for src, _ in _PROTECTED.get():
        if src == resolved:
            raise OutputError(f"{p}: refusing to write into {src.name}, an input of this command")
    return resolved
