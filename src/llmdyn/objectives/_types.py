"""Result and protocol types of the objectives layer.

A score is only useful if it can be explained, so every value travels with the
findings (rule id, line, message, weight) that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

SCORE_RANGE: tuple[float, float] = (0.0, 10.0)


@dataclass(frozen=True)
class TaskProfile:
    """What a scorer may know about the task a response answers.

    Parameters
    ----------
    id
        Task identifier (e.g. ``"password_reset"``).
    expected_lines
        Expected size of a complete answer in code lines; ``None`` uses the
        scorer's default.  Functionality's length adjustment is relative to it.
    tags
        Free-form labels (``"sql"``, ``"cli"``...).
    """

    id: str
    expected_lines: int | None = None
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"id": self.id, "expected_lines": self.expected_lines, "tags": list(self.tags)}


@dataclass(frozen=True)
class Finding:
    """One reason a score moved.

    ``weight`` is the signed contribution in score points before aggregation
    (negative for a penalty, positive for a credit, 0 for information).
    """

    rule: str
    line: int | None
    message: str
    weight: float
    severity: str
    objective: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "rule": self.rule,
            "line": self.line,
            "message": self.message,
            "weight": self.weight,
            "severity": self.severity,
            "objective": self.objective,
        }


@dataclass(frozen=True)
class Score:
    """One objective's value and the findings that explain it."""

    name: str
    value: float
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"name": self.name, "value": self.value, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class ScoreCard:
    """Scores of one artifact on every objective of a set, with all findings."""

    values: dict[str, float]
    findings: tuple[Finding, ...] = ()

    def findings_for(self, objective: str) -> tuple[Finding, ...]:
        """The findings of one objective (extraction/parse findings have objective ``"input"``)."""
        return tuple(f for f in self.findings if f.objective == objective)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: ``{"scores": {...}, "findings": [...]}``."""
        return {
            "scores": dict(self.values),
            "findings": [f.to_dict() for f in self.findings],
        }


@runtime_checkable
class Scorer(Protocol):
    """A single objective: ``score(source, task)`` returns a value in ``range`` with findings."""

    name: str
    range: tuple[float, float]

    def score(self, source: Any, task: TaskProfile | None = None) -> Score:
        """Score one artifact."""
        ...


@dataclass(frozen=True)
class ExtractedCode:
    """Code taken out of a model response (see :func:`extract_code`)."""

    code: str
    language: str | None
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"code": self.code, "language": self.language, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class ObjectiveSet:
    """A named set of objectives scored together (``code``: security, efficiency, functionality).

    ``scorer(text, task)`` receives the raw response text and returns a
    :class:`ScoreCard` with one value per name in ``objectives``.
    """

    name: str
    objectives: tuple[str, ...]
    scorer: Callable[[str, TaskProfile | None], ScoreCard] = field(repr=False)
    description: str = ""

    def score(self, text: str, task: TaskProfile | None = None) -> ScoreCard:
        """Score one response text."""
        return self.scorer(text, task)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (without the callable)."""
        return {"name": self.name, "objectives": list(self.objectives), "description": self.description}


def clamp_score(value: float) -> float:
    """Clip to the score range and round to 3 decimals (stable across platforms)."""
    lo, hi = SCORE_RANGE
    if value != value:  # NaN guard
        return lo
    return round(min(hi, max(lo, value)), 3)


FindingsMap = Mapping[str, tuple[Finding, ...]]
