"""The scorecard that opens the report: predictions passed / tried per experiment.

Counted ("tried"): ``predicted`` entries with ``pass`` (they have a study value and a tolerance)
and ``qualitative`` relations. Never counted: ``input``, ``assumed`` and ``calibrated`` entries
(shown in their sections, marked); held-back predictions are listed with "held back for blind
validation" and not counted (the study value is not in the repository).
"""

from __future__ import annotations

from typing import Any

from lilean.report.engine import SCORED_KINDS
from lilean.report.html import Section


def scored(record: dict[str, Any]) -> bool:
    """Whether a record counts in the scorecard."""
    return record.get("kind") in SCORED_KINDS and "pass" in record


def scorecard(sections: list[Section]) -> list[dict[str, Any]]:
    """One entry per section with records: ``experiment`` (section title), ``key``, ``passed``,
    ``tried``, ``calibrated``, ``held_back``, ``unscored`` (predictions without a study value)
    and ``rows`` (the scored and held-back predictions, in order)."""
    card = []
    for s in sections:
        if not s.rows:
            continue
        tried = [r for r in s.rows if scored(r)]
        held = [r for r in s.rows if r.get("study_note") and r.get("kind") == "predicted"]
        card.append(
            {
                "experiment": s.title,
                "key": s.key,
                "passed": sum(bool(r["pass"]) for r in tried),
                "tried": len(tried),
                "calibrated": sum(r.get("kind") == "calibrated" for r in s.rows),
                "held_back": len(held),
                "unscored": sum(
                    r.get("kind") == "predicted" and not scored(r) and not r.get("study_note")
                    for r in s.rows
                ),
                "rows": [r for r in s.rows if scored(r) or r in held],
            }
        )
    return card


def totals(card: list[dict[str, Any]]) -> tuple[int, int]:
    """(passed, tried) over the whole scorecard."""
    return sum(e["passed"] for e in card), sum(e["tried"] for e in card)
