#!/usr/bin/env python3
"""Rewrite free-text literature references in parameter provenance to citation keys.

Every ``source = "..."`` string of a parameter file (``src/lilean/parameters/sets/*/*.toml``)
that names a work in free text ("Fang et al., Nature 572, 511 (2019)", "Chen et al. 2017",
"CRC Handbook of Chemistry and Physics") gets the work's key instead (``Fang2019``,
``Chen2017``, ``Haynes2016``), as in :file:`src/lilean/CITATIONS.bib`; everything else in the
file (values, kinds, comments, layout) is left byte for byte as it was.

* **Idempotent**: a rewritten text contains no pattern any more, so a second run changes nothing
  (``--check`` exits 1 when a run *would* change a file: use it in CI or after a merge).
* **Safe**: only the text inside ``source = "..."`` strings is touched; a file is written only
  when it changed, atomically (temp file + rename), and re-parsed with ``tomllib`` first: a
  rewrite that would change any value other than a source is refused. Every key a rule writes
  must be in CITATIONS.bib (checked before anything is written).
* **Docstrings**: a ``.py`` file named on the command line is rewritten in its docstrings and
  comments only (all string and comment tokens; the code's token stream must stay identical, or
  nothing is written), e.g. ``python3 tools/cite_keys.py src/lilean/models/*.py``; review the
  diff (a user-facing message string would be rewritten too).

Usage (from the repository root; no lilean import needed)::

    python3 tools/cite_keys.py                      # every parameter file of every set
    python3 tools/cite_keys.py path/to/anode.toml   # some files
    python3 tools/cite_keys.py --check              # exit 1 if anything is still free text

The rules are ``FREE_TEXT_REFERENCES`` in ``src/lilean/citations.py`` (one list: the package
uses them too, so a model docstring's free-text reference counts in the works cited even before
it is rewritten). Add a rule there (a regular expression and its replacement) when a new
free-text reference appears, and the entry to CITATIONS.bib.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "src" / "lilean" / "parameters" / "sets"
BIB = ROOT / "src" / "lilean" / "CITATIONS.bib"
CITATIONS = ROOT / "src" / "lilean" / "citations.py"


def _load_citations() -> Any:
    """``src/lilean/citations.py`` loaded from its file (no lilean import: the script runs
    without the package's dependencies)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_lilean_citations", CITATIONS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CITATIONS = _load_citations()
#: the rules (``lilean.citations.FREE_TEXT_REFERENCES``): one list for the script and the package
RULES: tuple[tuple[str, str], ...] = _CITATIONS.FREE_TEXT_REFERENCES

_SOURCE = re.compile(r'(\bsource\s*=\s*")((?:[^"\\]|\\.)*)(")')
_KEY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.M)


def rewrite_text(text: str) -> str:
    """One source text with every free-text reference of :data:`RULES` replaced by its key
    (``lilean.citations.with_keys``)."""
    result: str = _CITATIONS.with_keys(text)
    return result


def rewrite_file(content: str) -> str:
    """The file's content with :func:`rewrite_text` applied inside every ``source = "..."``."""
    return _SOURCE.sub(lambda m: m.group(1) + rewrite_text(m.group(2)) + m.group(3), content)


def rewrite_python(content: str) -> str:
    """A Python file with :func:`rewrite_text` applied to its string and comment tokens only."""
    import io
    import tokenize

    tokens = list(tokenize.generate_tokens(io.StringIO(content).readline))
    lines = content.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out, pos = [], 0
    for tok in tokens:
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        start = offsets[tok.start[0] - 1] + tok.start[1]
        end = offsets[tok.end[0] - 1] + tok.end[1]
        out += [content[pos:start], rewrite_text(content[start:end])]
        pos = end
    out.append(content[pos:])
    return "".join(out)


def _code_tokens(content: str) -> list[tuple[int, str]]:
    import io
    import tokenize

    skip = (tokenize.STRING, tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
    return [
        (t.type, t.string)
        for t in tokenize.generate_tokens(io.StringIO(content).readline)
        if t.type not in skip
    ]


def _values_except_sources(data: object) -> object:
    if isinstance(data, dict):
        return {k: _values_except_sources(v) for k, v in data.items() if k != "source"}
    if isinstance(data, list):
        return [_values_except_sources(v) for v in data]
    return data


def _check_keys() -> None:
    known = set(_KEY.findall(BIB.read_text(encoding="utf-8")))
    written = {k for _, r in RULES for k in re.findall(r"[A-Z][a-z]+(?:19|20)\d{2}", r)}
    missing = sorted(written - known)
    if missing:
        raise SystemExit(f"cite_keys: rules write keys missing from {BIB}: {missing}")


def _write_atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def process(path: Path, *, check: bool) -> bool:
    """Rewrite ``path`` (or only report in ``check`` mode); True when it changes."""
    if not path.is_file():
        raise SystemExit(f"cite_keys: {path}: not a regular file")
    old = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        new = rewrite_python(old)
        if new == old:
            return False
        if _code_tokens(new) != _code_tokens(old):
            raise SystemExit(f"cite_keys: {path}: a rewrite would change code; refused")
        compile(new, str(path), "exec")
        if not check:
            _write_atomic(path, new)
        return True
    new = rewrite_file(old)
    if new == old:
        return False
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"cite_keys: {path}: not valid TOML ({exc}); nothing written") from None
    if _values_except_sources(before) != _values_except_sources(after):
        raise SystemExit(f"cite_keys: {path}: a rewrite would change more than sources; refused")
    if not check:
        _write_atomic(path, new)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="parameter files (default: all sets)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on changes")
    args = parser.parse_args(argv)
    _check_keys()
    files = args.files or sorted(SETS.glob("*/*.toml"))
    changed = [p for p in files if process(p, check=args.check)]
    verb = "would rewrite" if args.check else "rewrote"
    for p in changed:
        print(f"cite_keys: {verb} {p}")
    if not changed:
        print(f"cite_keys: {len(files)} file(s) already cite by key")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
