"""Citations by key, resolved against :file:`lilean/CITATIONS.bib` (as PyBaMM does).

Models register the works they use when imported (and the keys their docstrings cite are
found by :func:`cited_by` without registration)::

    from lilean.citations import register
    register("Boyle2021", "Fang2019", by="lilean.models.anode")

:func:`cited_by` lists the keys a module registered, :func:`keys_in` the keys cited in a text
(parameter provenance, docstrings), :func:`entry`/:func:`format_entry` the bibliographic data.
Keys are ``AuthorYYYY`` (optionally a lower-case suffix), e.g. ``Prada2013``, ``Zhang2023``.
A key that is not in CITATIONS.bib raises :class:`KeyError` on :func:`register`.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

#: what a citation key looks like in free text: ``Boyle2021``, ``Farkhondeh2011``, ``Ong2013a``
KEY_PATTERN = re.compile(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)?(?:19|20)\d{2}[a-z]?)\b")
_ENTRY = re.compile(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", re.S)
_FIELD = re.compile(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", re.S)

_registry: dict[str, set[str]] = {}


@cache
def bibliography() -> dict[str, dict[str, str]]:
    """Every entry of CITATIONS.bib: ``{key: {"type": ..., field: value}}``."""
    text = (resources.files("lilean") / "CITATIONS.bib").read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    for kind, key, body in _ENTRY.findall(text):
        fields = {k.lower(): " ".join(v.split()) for k, v in _FIELD.findall(body)}
        out[key] = {"type": kind.lower(), **fields}
    return out


def entry(key: str) -> dict[str, str]:
    """The fields of ``key`` (KeyError naming the key when CITATIONS.bib lacks it)."""
    bib = bibliography()
    if key not in bib:
        raise KeyError(f"citation key {key!r} is not in lilean/CITATIONS.bib")
    return bib[key]


#: BibTeX accent commands -> combining characters; letter commands -> letters
_ACCENTS = {"'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "c": "\u0327"}
_LETTERS = {"aa": "å", "ss": "ß", "o": "ø", "ae": "æ"}
_ACCENT = re.compile(r"\{?\\(['\"`^c])\{?(\w)\}?\}?")
_LETTER = re.compile(r"\{\\(aa|ss|o|ae)\}")


def _plain(text: str) -> str:
    """BibTeX accents (``{\\"a}``, ``{\\'e}``, ``{\\c{c}}``, ``{\\ss}``) and braces to plain text."""
    import unicodedata

    text = _LETTER.sub(lambda m: _LETTERS[m.group(1)], text)
    text = _ACCENT.sub(
        lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]), text
    )
    return text.replace("\\&", "&").replace("--", "–").replace("{", "").replace("}", "")


def format_entry(key: str) -> str:
    """One line: authors, title, journal volume (year) pages, doi."""
    e = entry(key)
    names = e.get("author") or e.get("editor", "")
    authors = [a.strip() for a in names.split(" and ")]
    if len(authors) > 3 or "others" in authors:
        author = f"{authors[0]} et al."
    else:
        author = ", ".join(authors)
    if not e.get("author") and e.get("editor"):
        author += " (ed.)"
    venue = (
        e.get("journal")
        or (f"In: {e['booktitle']}" if e.get("booktitle") else "")
        or e.get("howpublished")
        or e.get("publisher", "")
    )
    parts = [
        f"{author}, {e.get('title', '')}.",
        f"{venue} {e.get('volume', '')} ({e.get('year', '')}) {e.get('pages', '')}".strip().replace(
            "  ", " "
        )
        + ".",
    ]
    if e.get("doi"):
        parts.append(f"doi:{e['doi']}")
    return _plain(" ".join(parts))


def register(*keys: str, by: str) -> None:
    """Record that module ``by`` uses the works ``keys`` (each must be in CITATIONS.bib)."""
    for key in keys:
        entry(key)
        _registry.setdefault(by, set()).add(key)


def cited_by(*modules: str) -> list[str]:
    """The keys used by ``modules``: those they registered plus the keys their source cites (in
    docstrings and comments) that CITATIONS.bib resolves; sorted."""
    import importlib
    import inspect

    keys: set[str] = set()
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        keys |= _registry.get(name, set())
        try:
            source = inspect.getsource(module)
        except (OSError, TypeError):
            continue
        keys |= {k for k in keys_in(source) if k in bibliography()}
    return sorted(keys)


def keys_in(text: str) -> list[str]:
    """The citation keys cited in ``text`` (things that look like ``AuthorYYYY``)."""
    return sorted(set(KEY_PATTERN.findall(text)))


def registry() -> dict[str, list[str]]:
    """``{module: [keys]}`` of everything registered so far."""
    return {m: sorted(k) for m, k in _registry.items()}
