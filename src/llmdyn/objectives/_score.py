"""``score_code``: parse once, walk once, score three objectives.

Never raises: every failure becomes a finding and baseline scores.
"""

from __future__ import annotations

import gc

from ._efficiency import UNPARSED as EFF_UNPARSED
from ._efficiency import score_efficiency
from ._facts import Facts, collect_facts
from ._functionality import score_functionality
from ._parse import ParsedSource, parse_source
from ._rules import rule
from ._security import UNPARSED as SEC_UNPARSED
from ._security import score_security
from ._types import Finding, ScoreCard, TaskProfile

CODE_OBJECTIVES: tuple[str, ...] = ("security", "efficiency", "functionality")
_SCORERS = (score_security, score_efficiency, score_functionality)
# Scores given when the source could not be scored at all.
UNSCORED: dict[str, float] = {"security": SEC_UNPARSED, "efficiency": EFF_UNPARSED, "functionality": 0.0}


def _unscored(detail: str) -> Finding:
    return rule("INP008").finding(None, detail[:200])


def _fallback(detail: str, extra: tuple[Finding, ...] = ()) -> ScoreCard:
    return ScoreCard(dict(UNSCORED), extra + (_unscored(detail),))


def parsed_facts(parsed: ParsedSource) -> Facts | Finding | None:
    """The facts the scorers share, from one walk of the tree (``None`` without a tree).

    A tree too deep or too big to walk gives the INP008 finding instead of
    raising, so scoring still never raises.
    """
    if parsed.tree is None:
        return None
    try:
        return collect_facts(parsed.tree)
    except (RecursionError, MemoryError) as exc:
        return _unscored(type(exc).__name__)


def score_parsed(parsed: ParsedSource, task: TaskProfile | None = None) -> ScoreCard:
    """Score an already parsed source (the tree is shared by the three scorers)."""
    facts = parsed_facts(parsed)
    if isinstance(facts, Finding):
        return ScoreCard(dict(UNSCORED), parsed.findings + (facts,))
    values: dict[str, float] = {}
    findings: list[Finding] = list(parsed.findings)
    for scorer in _SCORERS:
        s = scorer(parsed, facts, task)
        values[s.name] = s.value
        findings.extend(s.findings)
    return ScoreCard(values, tuple(findings))


def score_code(source: str | bytes, task: TaskProfile | None = None) -> ScoreCard:
    """Score Python code on security, efficiency and functionality (0-10 each).

    Parameters
    ----------
    source
        The code, as text or bytes.  It is parsed with :func:`ast.parse` once and
        never compiled, executed or imported.
    task
        Optional task profile; its ``expected_lines`` conditions functionality's
        size term.

    Returns
    -------
    ScoreCard
        ``values`` has the keys security, efficiency, functionality; ``findings``
        explain them.  Never raises: bad input gives baseline scores and a
        finding that says what happened.
    """
    # A syntax tree has no reference cycles, so the cyclic collector has nothing to
    # find while we build and walk one; pausing it saves ~15% of the time.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return score_parsed(parse_source(source), task)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises" (RecursionError, MemoryError too)
        return _fallback(f"{type(exc).__name__}: {exc}")
    finally:
        if paused:
            gc.enable()
