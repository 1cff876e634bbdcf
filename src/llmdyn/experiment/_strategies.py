"""Strategies as prompt templates, and the conversation each turn sends.

A strategy is the user message of every improvement turn: the strategy's
message, a blank line, then the previous version in a python fence. The four
built-in strategies carry the exact messages the bundled corpus was recorded
with; users add their own in the experiment config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError
from ..llm import CORPUS_STRATEGY_MESSAGES, ChatMessage


@dataclass(frozen=True)
class Strategy:
    """A prompt strategy: its id, the user message of each turn, a description."""

    id: str
    message: str
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)

    def turn(self, previous_code: str) -> str:
        """The user message of an improvement turn on ``previous_code``."""
        return f"{self.message}\n\n```python\n{previous_code.rstrip()}\n```"


BUILTIN_STRATEGIES: Mapping[str, Strategy] = {
    "EF": Strategy("EF", CORPUS_STRATEGY_MESSAGES["EF"], "efficiency-focused"),
    "SF": Strategy("SF", CORPUS_STRATEGY_MESSAGES["SF"], "security-focused"),
    "FF": Strategy("FF", CORPUS_STRATEGY_MESSAGES["FF"], "feature-focused"),
    "AI": Strategy("AI", CORPUS_STRATEGY_MESSAGES["AI"], "adaptive integration (balanced)"),
}


def get_strategy(strategy_id: str, custom: Mapping[str, Strategy] | None = None) -> Strategy:
    """A built-in or ``custom`` strategy by id (ConfigError naming the known ids)."""
    table = {**BUILTIN_STRATEGIES, **(custom or {})}
    if strategy_id not in table:
        raise ConfigError(f"unknown strategy {strategy_id!r}; known: {', '.join(table)}")
    return table[strategy_id]


def build_conversation(task_prompt: str, responses: Sequence[str], codes: Sequence[str],
                       turn_strategies: Sequence[Strategy], history: str = "full"
                       ) -> tuple[ChatMessage, ...]:
    """The messages of request ``k = len(responses)`` of a session.

    ``turn_strategies[j]`` is the strategy of turn ``j + 1`` for ``j < k``
    (those already answered, then this turn's); so ``len(turn_strategies) == k``.
    With ``history="full"`` the conversation is every turn so far; with
    ``"last"`` it is the task prompt and one user turn on the latest version.
    """
    k = len(responses)
    if len(codes) != k or len(turn_strategies) != k:
        raise ValueError("responses, codes and turn_strategies must have the same length")
    first = ChatMessage("user", task_prompt)
    if k == 0:
        return (first,)
    if history == "last":
        return (first, ChatMessage("user", turn_strategies[-1].turn(codes[-1])))
    if history != "full":
        raise ValueError(f"history must be 'full' or 'last', not {history!r}")
    messages = [first]
    for j in range(k):
        messages.append(ChatMessage("assistant", responses[j]))
        messages.append(ChatMessage("user", turn_strategies[j].turn(codes[j])))
    return tuple(messages)
