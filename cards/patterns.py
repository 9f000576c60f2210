"""The catalogue of built-in patterns and rejection reasons, as `cards rules patterns` lists them.

Each pattern's code lives next to its id in cards/extract/ (lines.py: C001–C007, regions.py:
B101–B104, tables.py: T201); the reasons and the checks behind them are in cards/extract/checks.py.
"""
from __future__ import annotations

from .extract import PATTERNS, REJECTION_REASONS, Pattern

__all__ = ["PATTERNS", "REJECTION_REASONS", "Pattern"]
