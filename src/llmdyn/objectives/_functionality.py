"""Functionality scorer: structural richness plus a task-conditioned size term.

``functionality = 1 + richness (<= 7.8) + size (<= 2) - shortfall``; richness
counts functions, classes, imports, returns, docstrings, error handling, type
hints, a main guard, CLI parsing, logging and record types; size compares the
code lines with the task's expected size (:attr:`TaskProfile.expected_lines`,
``DEFAULT_EXPECTED_LINES`` when unknown).
"""

from __future__ import annotations

import math

from ._facts import Facts
from ._parse import ParsedSource
from ._rules import RULES
from ._tally import Tally
from ._types import Score, TaskProfile

NAME = "functionality"
BASE = 1.0
UNPARSED = 1.0
DEFAULT_EXPECTED_LINES = 150
_CLI = frozenset({"argparse", "click", "typer", "optparse", "fire", "docopt", "getopt"})
_LOGGING = frozenset({"logging", "loguru", "structlog"})


def _saturating(count: float, full_at: float) -> float:
    """0 at 0, 1 at ``full_at`` and beyond, log-shaped in between."""
    if count <= 0:
        return 0.0
    return min(1.0, math.log2(1.0 + count) / math.log2(1.0 + full_at))


def expected_lines(task: TaskProfile | None) -> int:
    """The task's expected size in code lines (the default when unknown)."""
    if task is not None and task.expected_lines and task.expected_lines > 0:
        return int(task.expected_lines)
    return DEFAULT_EXPECTED_LINES


def score_functionality(parsed: ParsedSource, facts: Facts | None, task: TaskProfile | None = None) -> Score:
    """Functionality score of parsed code (``facts`` from the shared walk; ``None`` if it did not parse)."""
    t = Tally(NAME)
    if facts is None:
        return t.score(UNPARSED if parsed.code_lines else 0.0, 10.0)
    w = {k: RULES[k].weight for k in RULES if k.startswith("FUN")}
    funcs = facts.functions
    n = len(funcs)
    heads = {m.partition(".")[0] for m in facts.modules}
    if n:
        t.graded("FUN101", w["FUN101"] * _saturating(n, 40), f"{n}")
        t.graded("FUN104", w["FUN104"] * sum(f.returns for f in funcs) / n, f"{sum(f.returns for f in funcs)} of {n}")
        t.graded("FUN107", w["FUN107"] * sum(f.annotated for f in funcs) / n, f"{sum(f.annotated for f in funcs)} of {n}")
    else:
        t.info(RULES["FUN002"].finding(None))
    if facts.classes:
        t.graded("FUN102", w["FUN102"] * _saturating(facts.classes, 8), f"{facts.classes}")
    if heads:
        t.graded("FUN103", w["FUN103"] * min(1.0, len(heads) / 8), f"{len(heads)} modules")
    documented = sum(f.has_docstring for f in funcs) + facts.class_docstrings
    units = n + facts.classes
    doc = 0.2 * facts.module_docstring + (0.8 * documented / units if units else 0.0)
    if doc:
        t.graded("FUN105", w["FUN105"] * doc, f"{documented} of {units} definitions")
    errors = facts.try_blocks + facts.raises
    if errors:
        t.graded("FUN106", w["FUN106"] * _saturating(errors, 12), f"{facts.try_blocks} try, {facts.raises} raise")
    if facts.main_guard:
        t.graded("FUN108", w["FUN108"])
    if heads & _CLI or "sys.argv" in parsed.text:
        t.graded("FUN109", w["FUN109"])
    if heads & _LOGGING:
        t.graded("FUN110", w["FUN110"])
    if facts.records:
        t.graded("FUN111", w["FUN111"])
    expected = expected_lines(task)
    ratio = parsed.code_lines / expected
    t.graded("FUN112", w["FUN112"] * _saturating(ratio, 8), f"{parsed.code_lines} code lines, expected {expected}")
    if ratio < 0.5:
        t.graded("FUN001", -RULES["FUN001"].weight * (0.5 - ratio) * 2, f"{parsed.code_lines} of {expected} lines")
    return t.score(BASE, 10.0)
