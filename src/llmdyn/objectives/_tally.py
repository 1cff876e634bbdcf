"""Turning rule hits into a bounded score and the findings that explain it.

Penalties of one rule grow with the log of their count, ``w * (1 + 0.35 log2 n)`` (the tenth ``+=``
costs less than the first); credits saturate (``1 - 2**-count``); low-severity
penalties together are capped, so the usual false positives (any use of
``random`` or ``subprocess``) cannot drag clean code down.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ._rules import RULES
from ._types import Finding, Score, clamp_score

MAX_FINDINGS_PER_RULE = 20
LOW_PENALTY_CAP = 0.5
REPEAT_GROWTH = 0.35


class Tally:
    """Collects hits for one objective and aggregates them into a :class:`Score`."""

    def __init__(self, objective: str) -> None:
        self.objective = objective
        self._hits: dict[str, list[tuple[int | None, str]]] = defaultdict(list)
        self._counts: dict[str, int] = defaultdict(int)
        self._graded: dict[str, tuple[float, str]] = {}
        self._extra: list[Finding] = []

    def hit(self, rule_id: str, line: int | None = None, detail: str = "") -> None:
        """One occurrence of a penalty or credit rule."""
        self._counts[rule_id] += 1
        hits = self._hits[rule_id]
        if len(hits) < MAX_FINDINGS_PER_RULE:
            hits.append((line, detail))

    def hits(self, rule_id: str, count: int, line: int | None = None, detail: str = "") -> None:
        """``count`` occurrences reported as one finding (credits, counts)."""
        if count > 0:
            self._counts[rule_id] += count
            if not self._hits[rule_id]:
                self._hits[rule_id].append((line, detail))

    def graded(self, rule_id: str, amount: float, detail: str = "") -> None:
        """A credit or penalty whose size is computed (``amount`` in score points, signed)."""
        self._graded[rule_id] = (amount, detail)

    def info(self, finding: Finding) -> None:
        """A finding that does not change the score."""
        self._extra.append(finding)

    def score(self, base: float, credit_cap: float) -> Score:
        """Aggregate: ``base + min(credits, credit_cap) - penalties``, clipped to [0, 10]."""
        findings: list[Finding] = []
        penalty = 0.0
        low = 0.0
        credit = 0.0
        for rule_id in sorted(self._counts):
            rule = RULES[rule_id]
            n = self._counts[rule_id]
            if rule.severity == "credit":
                total = rule.weight * (1.0 - 0.5**n)
                credit += total
                line, detail = self._hits[rule_id][0]
                findings.append(Finding(rule_id, line, f"{rule.message} (x{n})", round(total, 3), rule.severity, self.objective))
                continue
            total = rule.weight * (1.0 + REPEAT_GROWTH * math.log2(n))
            if rule.severity == "low":
                low += total
            else:
                penalty += total
            each = round(-total / n, 3)
            for line, detail in self._hits[rule_id]:
                msg = f"{rule.message} ({detail})" if detail else rule.message
                findings.append(Finding(rule_id, line, msg, each, rule.severity, self.objective))
        for rule_id in sorted(self._graded):
            amount, detail = self._graded[rule_id]
            rule = RULES[rule_id]
            if amount >= 0:
                credit += amount
            else:
                penalty -= amount
            msg = f"{rule.message} ({detail})" if detail else rule.message
            findings.append(Finding(rule_id, None, msg, round(amount, 3), rule.severity, self.objective))
        value = base + min(credit, credit_cap) - penalty - min(low, LOW_PENALTY_CAP)
        findings.sort(key=lambda f: (f.line is None, f.line or 0, f.rule))
        return Score(self.objective, clamp_score(value), tuple(findings) + tuple(self._extra))
