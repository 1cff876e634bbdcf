"""The three code scorers as :class:`Scorer` objects (for users who want one objective)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ._efficiency import score_efficiency
from ._facts import Facts, collect_facts
from ._functionality import score_functionality
from ._parse import ParsedSource, parse_source
from ._security import score_security
from ._types import SCORE_RANGE, Score, TaskProfile

_Fn = Callable[[ParsedSource, "Facts | None", "TaskProfile | None"], Score]


@dataclass(frozen=True)
class CodeScorer:
    """One code objective; ``score`` accepts text, bytes or a :class:`ParsedSource`."""

    name: str
    fn: _Fn
    range: tuple[float, float] = SCORE_RANGE

    def score(self, source: str | bytes | ParsedSource, task: TaskProfile | None = None) -> Score:
        """Score one source on this objective (parse findings are included)."""
        parsed = source if isinstance(source, ParsedSource) else parse_source(source)
        facts = collect_facts(parsed.tree) if parsed.tree is not None else None
        s = self.fn(parsed, facts, task)
        return Score(s.name, s.value, parsed.findings + s.findings)


def code_scorers() -> tuple[CodeScorer, ...]:
    """Security, efficiency and functionality scorers."""
    return (
        CodeScorer("security", score_security),
        CodeScorer("efficiency", score_efficiency),
        CodeScorer("functionality", score_functionality),
    )
