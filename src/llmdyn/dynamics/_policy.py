"""The contract between the runner and steering policies.

The runner asks a :class:`Policy` for the strategy of every turn, passing the
session's :class:`History`; the policy answers with a :class:`Decision` (the
strategy, why, and any trigger events). Policies live in ``control``; the
runner only knows this protocol, so any callable object that fits plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TriggerEvent:
    """An intervention trigger that fired at iteration ``t``.

    ``action`` is ``"record"`` (log only), ``"stop"`` (end the session) or
    ``"handoff"`` (hand the session to a person; the runner stops it too).
    """

    name: str
    t: int
    message: str
    action: str = "record"
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"name": self.name, "t": self.t, "message": self.message,
                "action": self.action, "value": self.value}


@dataclass(frozen=True)
class History:
    """What a policy sees: the states so far and the strategies that made them.

    ``states`` has shape (t + 1, n): row 0 is the first answer's scores.
    ``strategies[k]`` is the strategy of the prompt that produced ``states[k+1]``,
    so ``len(strategies) == len(states) - 1``.
    """

    states: np.ndarray
    strategies: tuple[str, ...]
    objectives: tuple[str, ...]
    task: str | None = None
    session: str | None = None

    @property
    def t(self) -> int:
        """Index of the latest state."""
        return len(self.states) - 1

    @property
    def current(self) -> np.ndarray:
        """The latest state, shape (n,)."""
        return np.asarray(self.states[-1], dtype=float)


@dataclass(frozen=True)
class Decision:
    """A policy's answer: the next strategy, the reason, and trigger events."""

    strategy: str
    reason: str = ""
    events: tuple[TriggerEvent, ...] = field(default=())

    @property
    def stop(self) -> bool:
        """True when an event asks the runner to end the session."""
        return any(e.action in ("stop", "handoff") for e in self.events)


@runtime_checkable
class Policy(Protocol):
    """Chooses the strategy for the next turn of a session."""

    name: str

    def decide(self, history: History) -> Decision:
        """Return the next strategy for a session with this ``history``."""
        ...


@dataclass(frozen=True)
class FixedPolicy:
    """Always the same strategy: the runner's default."""

    strategy: str

    @property
    def name(self) -> str:
        """``fixed:<strategy>``."""
        return f"fixed:{self.strategy}"

    def decide(self, history: History) -> Decision:
        """Return the fixed strategy."""
        return Decision(self.strategy, "fixed strategy")
