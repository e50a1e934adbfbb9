"""The works cited at the end of the report: keys in the parameter set's provenance, the keys cited
by the modules the report's sections ran (their registered keys and the references in their
docstrings, :func:`lilean.citations.cited_by`) and every key registered while the report ran
(:func:`lilean.citations.registry`: a model that registers on use, as PyBaMM's do), that
CITATIONS.bib resolves."""

from __future__ import annotations

from lilean.citations import bibliography, cited_by, format_entry, keys_in, registry
from lilean.parameters import ParameterSet

#: works the report itself relies on (the study; plotting palette and tools are not cited)
REPORT_KEYS = ("Zhang2023",)


def parameter_keys(params: ParameterSet) -> list[str]:
    """Citation keys in the sources of the parameter set (only those CITATIONS.bib holds)."""
    text = " ".join(p.source for p in params.flat().values())
    return [k for k in keys_in(text) if k in bibliography()]


def works_cited(params: ParameterSet, section_keys: list[str]) -> list[tuple[str, str]]:
    """``[(key, formatted entry)]`` for the parameter set and the models of ``section_keys``."""
    from lilean.report.sections import SECTIONS

    modules = [m for s in SECTIONS if s.key in section_keys for m in s.models]
    registered = {k for m, ks in registry().items() if m.startswith("lilean.") for k in ks}
    keys = sorted({*REPORT_KEYS, *parameter_keys(params), *cited_by(*modules), *registered})
    return [(k, format_entry(k)) for k in keys]
