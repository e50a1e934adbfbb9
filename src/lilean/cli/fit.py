"""Fit the twin to measured cells and predict their life (issue 9)."""

from __future__ import annotations
