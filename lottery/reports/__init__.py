"""Prediction reports: each family builds its own (`Game.report_builder()`), the worker stores it.

A report builder has:

    window                      recent outcomes the report scans
    result_of(game, outcome)    the settled result attached to a stored prediction
    on_resolved(r, game, prediction, outcome)
                                count a resolved report prediction into its counters
    build(r, game, *, next_issue, now, prediction, outcomes, ai_enabled, commitment) -> dict

The report is stored and served as compact JSON bytes (`encode`).
"""
from __future__ import annotations

import json


def encode(report: dict) -> bytes:
    """Return the compact JSON bytes stored and served as-is."""
    return json.dumps(report, separators=(",", ":")).encode()
