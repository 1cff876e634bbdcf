"""Shared helpers of the objectives tests."""

from __future__ import annotations

import textwrap

from llmdyn.objectives import ScoreCard, score_code


def card(src: str) -> ScoreCard:
    """Score a dedented snippet."""
    return score_code(textwrap.dedent(src))


def fired(src: str) -> set[str]:
    """Rule ids that fire on a dedented snippet."""
    return {f.rule for f in card(src).findings}
