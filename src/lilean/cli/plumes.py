"""Ag plume growth on Cu: simulate plumes (issue 6)."""

from __future__ import annotations
