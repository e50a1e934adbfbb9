"""The real cycler files shipped in tests/data (see PROVENANCE.md), grouped for parametrisation."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parents[1] / "data"

#: every time-domain cycler file (EIS spectra, reader configs and licences excluded)
CYCLER_FILES: list[Path] = sorted(
    p
    for sub in ("arbin", "biologic", "land", "maccor", "neware", "other")
    for p in (DATA / sub).iterdir()
    if p.is_file()
    and p.suffix.lower() not in {".yml", ".md", ".tsv", ".json"}
    and not p.name.endswith("_Metadata.csv")
)


def file_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
