"""The three code scorers as :class:`Scorer` objects (for users who want one objective)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ._facts import Facts
from ._parse import ParsedSource, parse_source
from ._score import _SCORERS, CODE_OBJECTIVES, UNSCORED, parsed_facts
from ._types import SCORE_RANGE, Finding, Score, TaskProfile

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
        facts = parsed_facts(parsed)
        if isinstance(facts, Finding):  # tree too deep to walk: the baseline score, as score_code gives
            return Score(self.name, UNSCORED.get(self.name, self.range[0]), parsed.findings + (facts,))
        s = self.fn(parsed, facts, task)
        return Score(s.name, s.value, parsed.findings + s.findings)


def code_scorers() -> tuple[CodeScorer, ...]:
    """Security, efficiency and functionality scorers."""
    return tuple(CodeScorer(name, fn) for name, fn in zip(CODE_OBJECTIVES, _SCORERS))
