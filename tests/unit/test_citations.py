"""Citations by key: every key that parameter provenance and docstrings cite resolves against
lilean/CITATIONS.bib; the registry refuses unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

import lilean
from lilean import citations
from lilean.parameters import default_parameters

SRC = Path(lilean.__file__).parent
ROOT = SRC.parents[1]


def test_bibliography_parses_every_entry() -> None:
    bib = citations.bibliography()
    assert len(bib) >= 20
    for key in ("Zhang2023", "Boyle2021", "Fang2019", "Adams2018", "Xiao2020", "Chen2017",
                "Bai2016", "Prada2013", "Pei2017", "Yan2016", "Ely2013", "Severson2019",
                "Thorat2011", "Farkhondeh2011", "Safari2011"):  # fmt: skip
        e = bib[key]
        assert e.get("title") and e.get("year") and (e.get("doi") or e.get("howpublished")), key
    assert "doi:10.1038/s41586-019-1481-z" in citations.format_entry("Fang2019")


def test_every_key_in_parameter_provenance_resolves() -> None:
    bib = citations.bibliography()
    text = " ".join(p.source for p in default_parameters().flat().values())
    unresolved = [k for k in citations.keys_in(text) if k not in bib]
    assert not unresolved, f"parameter sources cite keys missing from CITATIONS.bib: {unresolved}"


def test_every_key_in_docstrings_and_toml_comments_resolves() -> None:
    bib = citations.bibliography()
    unresolved: dict[str, list[str]] = {}
    files = [*SRC.rglob("*.py"), *SRC.rglob("*.toml")]
    for path in files:
        if path.name == "citations.py":
            continue
        missing = [k for k in citations.keys_in(path.read_text()) if k not in bib]
        if missing:
            unresolved[str(path.relative_to(SRC))] = missing
    assert not unresolved, f"keys missing from CITATIONS.bib: {unresolved}"


def test_register_and_cited_by() -> None:
    citations.register("Boyle2021", "Fang2019", by="tests.toy_model")
    assert citations.registry()["tests.toy_model"] == ["Boyle2021", "Fang2019"]
    with pytest.raises(KeyError, match="NoSuch2099"):
        citations.register("NoSuch2099", by="tests.toy_model")
    # a model's docstring keys are found without registration
    assert "Prada2013" in citations.cited_by("lilean.models.cathode")


def test_keys_in_free_text() -> None:
    assert citations.keys_in("see Boyle2021; Farkhondeh2011 and (Ong2013a)") == [
        "Boyle2021", "Farkhondeh2011", "Ong2013a",
    ]  # fmt: skip
    assert citations.keys_in("Chen et al. 2017") == []  # free text is not a key


def test_works_cited_lists_the_parameter_set_and_models() -> None:
    from lilean.report.citations_section import works_cited

    cited = dict(works_cited(default_parameters(), ["full-cell-np25", "nucleation"]))
    assert "Zhang2023" in cited and "Prada2013" in cited
    assert all(text.strip() for text in cited.values())


def test_accents_become_letters() -> None:
    assert "Jäckle, Markus, Groß, Axel" in citations.format_entry("Jackle2014")
    assert "Schönleber" in citations.format_entry("Schoenleber2014")
    assert "Valérie" not in citations.format_entry("Prada2013")  # > 3 authors: et al.
    assert "{" not in citations.format_entry("Nyman2008")


# ---- parameter provenance cites by key (tools/cite_keys.py) ---------------------------------------


def _cite_keys():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cite_keys", ROOT / "tools" / "cite_keys.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_parameter_source_cites_a_resolving_key_or_states_its_reason() -> None:
    """literature / measured: at least one key that CITATIONS.bib resolves; calibrated: names
    what it was calibrated on (a targets.json entry or a calibration script); assumed: a reason
    (a sentence, not a word)."""
    bib = citations.bibliography()
    bad: list[str] = []
    for name, p in default_parameters().flat().items():
        keys = [k for k in citations.keys_in(p.source) if k in bib]
        if p.kind == "calibrated":
            ok = "targets.json" in p.source or "calibration/" in p.source
        elif p.kind == "assumed":
            ok = bool(keys) or len(p.source.split()) >= 5
        else:
            ok = bool(keys)
        if not ok:
            bad.append(f"{name} ({p.kind}): {p.source[:80]}")
    assert not bad, "sources without a key or a reason:\n" + "\n".join(bad)


def test_cite_keys_script_is_idempotent_on_the_shipped_set() -> None:
    """The shipped parameter files already cite by key: a second run would change nothing."""
    module = _cite_keys()
    files = sorted((SRC / "parameters" / "sets").glob("*/*.toml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert module.rewrite_file(text) == text, f"{path.name}: free text left; run the script"


def test_cite_keys_rewrites_only_sources_and_refuses_broken_files(tmp_path: Path) -> None:
    module = _cite_keys()
    original = (
        "# Fang et al., Nature 572, 511 (2019) in a comment stays\n"
        'x = { value = 1.0, unit = "1", kind = "literature", source = "dead Li (Fang et al., '
        'Nature 572, 511 (2019)); Chen et al. 2017; CRC Handbook of Chemistry and Physics", '
        'description = "Chen et al. 2017" }\n'
    )
    path = tmp_path / "p.toml"
    path.write_text(original)
    assert module.main([str(path)]) == 0
    once = path.read_text()
    assert 'source = "dead Li (Fang2019); Chen2017; Haynes2016"' in once
    assert (
        once.startswith("# Fang et al., Nature 572") and 'description = "Chen et al. 2017"' in once
    )
    assert module.main([str(path)]) == 0 and path.read_text() == once  # idempotent
    assert module.main(["--check", str(path)]) == 0
    path.write_text(original)
    assert module.main(["--check", str(path)]) == 1 and path.read_text() == original
    broken = tmp_path / "broken.toml"
    broken.write_text('x = { source = "Chen et al. 2017" \n')
    with pytest.raises(SystemExit, match="not valid TOML"):
        module.main([str(broken)])
    assert broken.read_text() == 'x = { source = "Chen et al. 2017" \n'


def test_cite_keys_rewrites_python_docstrings_and_comments_only(tmp_path: Path) -> None:
    module = _cite_keys()
    path = tmp_path / "m.py"
    path.write_text(
        '"""Dead Li (Fang et al., Nature 572, 511 (2019))."""\n'
        "# see Chen et al. 2017\n"
        "x = 1  # CRC Handbook of Chemistry and Physics\n"
    )
    assert module.main([str(path)]) == 0
    assert path.read_text() == '"""Dead Li (Fang2019)."""\n# see Chen2017\nx = 1  # Haynes2016\n'
    assert module.main(["--check", str(path)]) == 0
