"""Li deposition morphology on Cu and Ag@Cu (issue 6)."""

from __future__ import annotations
