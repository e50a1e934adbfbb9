"""Figure captions name the study's counterpart and say honestly that no figure number is known."""

from __future__ import annotations

from lilean.report.html import FIGURE_NUMBER_NOTE, counterpart_text


def test_a_study_figure_is_named_without_an_invented_number() -> None:
    text = counterpart_text("the study's symmetric-cell figure at 1 mA/cm2 / 1 mAh/cm2")
    assert text.startswith(" Study counterpart: the study's symmetric-cell figure")
    assert FIGURE_NUMBER_NOTE in text and "Fig." not in text


def test_no_counterpart_or_held_back_has_no_number_note() -> None:
    assert counterpart_text("") == ""
    for c in (
        "none (a measured file, not a study figure)",
        "held back by the study for blind validation",
    ):
        text = counterpart_text(c)
        assert c in text and FIGURE_NUMBER_NOTE not in text


def test_the_restatement_of_the_study_has_no_figure_numbers() -> None:
    """The note is true only while the spec gives no figure numbers; if one appears, use it."""
    import re
    from pathlib import Path

    spec = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "system.md"
    if not spec.exists():
        import pytest

        pytest.skip(f"{spec} not found")
    assert not re.search(r"\bFig(?:ure|\.)?\s*S?\d", spec.read_text()), (
        "system.md now gives figure numbers: put them in the report's counterparts"
    )
