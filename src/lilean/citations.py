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

_J = r"[^()]*?"  # a journal abbreviation, volume and page: anything up to the year

#: free-text references and their keys, ``(pattern, replacement)`` applied in order by
#: :func:`with_keys` (and by ``tools/cite_keys.py``, which rewrites the parameter files with them);
#: each pattern names one work of CITATIONS.bib
FREE_TEXT_REFERENCES: tuple[tuple[str, str], ...] = (
    (r"Zhang, Xia, Li et al\., ACS Appl\. Energy Mater\. 6 \(2023\) 6338", "Zhang2023"),
    (r"Zhang et al\., ACS Appl\. Energy Mater\. 6,\s+6338 \(2023\)", "Zhang2023"),
    (rf"Fang et al\.,{_J}\(2019\)", "Fang2019"),
    (rf"Boyle et al\.,{_J}\(2021\)", "Boyle2021"),
    (rf"Adams et al\.,{_J}\(2018\)", "Adams2018"),
    (rf"Xiao et al\.,{_J}\(2020\)", "Xiao2020"),
    (rf"Chen et al\., J\. Mater\. Chem\. A{_J}\(2017\)", "Chen2017"),
    (r"Chen et al\.,? 2017", "Chen2017"),
    (rf"Pei et al\.,{_J}\(2017\)", "Pei2017"),
    (rf"Yan et al\.,{_J}\(2016\)", "Yan2016"),
    (rf"Bai et al\.,{_J}\(2016\)", "Bai2016"),
    (rf"Logan et al\.,{_J}\(2018\)", "Logan2018"),
    (rf"Landesfeind et al\.,{_J}\(2016\)", "Landesfeind2016"),
    (r"Nyman et al\., Electrochim\. Acta 53 \(2008\) 6356", "Nyman2008"),
    (rf"Nyman et al\.,{_J}\(2008\)", "Nyman2008"),
    (rf"Steiger et al\.,{_J}\(2014\)", "Steiger2014"),
    (r"Richter et al\., J\. Electrochem\. Soc\. \(2017\)", "Richter2017"),
    (rf"Richter et al\.,{_J}\(2017\)", "Richter2017"),
    (r"Bard & Faulkner, Electrochemical Methods, 2nd ed\. \(2001\)", "Bard2001"),
    (rf"Peled & Menkin,{_J}\(2017\)", "Peled2017"),
    (r"Padhi et al\., J\. Electrochem\. Soc\. 144 \(1997\) 1188", "Padhi1997"),
    (r"Kashkooli et al\., J\. Appl\. Electrochem\. 47 \(2017\) 281", "Kashkooli2017"),
    (r"Amine et al\., Electrochem\. Commun\. 7 \(2005\) 669", "Amine2005"),
    (r"Doyle & Newman", "Doyle1993"),
    (r"Xu, Chem\. Rev\. 104, 4303 \(2004\)", "Xu2004"),
    (r"\bXu 2004\b", "Xu2004"),
    (rf"Aurbach et al\., J\. Electrochem\. Soc\. 134{_J}\(1987\)", "Aurbach1987"),
    (rf"Aurbach et al\., Electrochim\. Acta 45{_J}\(1999\)", "Aurbach1999"),
    (r"\bAurbach 1999\b", "Aurbach1999"),
    (rf"Tyson & Miller,{_J}\(1977\)", "Tyson1977"),
    (rf"Ely & Garcia,{_J}\(2013\)", "Ely2013"),
    (rf"Aryanfar et al\.,{_J}\(2014\)", "Aryanfar2014"),
    (rf"Jackle & Gross,{_J}\(2014\)", "Jackle2014"),
    (r"Witten & Sander,? 1981", "Witten1981"),
    (rf"Witten & Sander,{_J}\(1981\)", "Witten1981"),
    (rf"Severson et al\.,{_J}\(2019\)", "Severson2019"),
    (r"Severson et al\.,? 2019", "Severson2019"),
    (rf"Sulzer et al\.,{_J}\(2021\)", "Sulzer2021"),
    (rf"Murbach et al\.,{_J}\(2020\)", "Murbach2020"),
    (rf"Sch(?:ö|oe)nleber et al\.,{_J}\(2014\)", "Schoenleber2014"),
    (r"Sch(?:ö|oe)nleber et al\. \(2014\)", "Schoenleber2014"),
    (rf"Boukamp,{_J}\(1995\)", "Boukamp1995"),
    (r"Meakin, Phys\. Rev\. A 27, 1495 \(1983\)", "Meakin1983"),
    (r"Meakin, Fractals, Scaling and Growth Far from Equilibrium \(1998\)", "Meakin1998"),
    (r"Giesen, Prog\. Surf\. Sci\. 68, 1 \(2001\)", "Giesen2001"),
    (r"Voter, Radiation Effects in Solids \(2007\) 1-23", "Voter2007"),
    (r"CRC Handbook(?:\s+of\s+Chemistry(?:\s+and\s+Physics)?)?", "Haynes2016"),
    # the study itself: system.md sections 2-4 restate Zhang2023's own text and numbers
    (r"(?<!Zhang2023; )\(system\.md section ([234])\)", r"(Zhang2023; system.md section \1)"),
    (
        r"Celgard 2400 datasheet(?! \(the separator)",
        "Celgard 2400 datasheet (the separator of Zhang2023)",
    ),
)


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The rules with each space matching any whitespace (a docstring reference may break across
    lines), except in rules with a look-around (those match one exact text)."""
    out = []
    for pattern, replacement in FREE_TEXT_REFERENCES:
        if "(?<" not in pattern and "(?!" not in pattern:
            pattern = pattern.replace(" ", r"\s+")
        out.append((re.compile(pattern), replacement))
    return tuple(out)


def with_keys(text: str) -> str:
    """``text`` with every free-text reference of :data:`FREE_TEXT_REFERENCES` replaced by its
    key ("Fang et al., Nature 572, 511 (2019)" -> "Fang2019")."""
    for pattern, replacement in _compiled():
        text = pattern.sub(replacement, text)
    return text


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
    docstrings and comments, by key or by a free-text reference :func:`with_keys` knows) that
    CITATIONS.bib resolves; sorted."""
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
        keys |= {k for k in keys_in(with_keys(source)) if k in bibliography()}
    return sorted(keys)


def keys_in(text: str) -> list[str]:
    """The citation keys cited in ``text`` (things that look like ``AuthorYYYY``)."""
    return sorted(set(KEY_PATTERN.findall(text)))


def registry() -> dict[str, list[str]]:
    """``{module: [keys]}`` of everything registered so far."""
    return {m: sorted(k) for m, k in _registry.items()}
