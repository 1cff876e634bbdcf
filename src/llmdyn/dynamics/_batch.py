"""Histories of many sessions at once, for vectorised policy decisions.

A live session hands a policy one :class:`~llmdyn.dynamics.History`; the
offline evaluation advances thousands of simulated paths in lock-step and asks
each policy for all of them in one call. :class:`BatchHistory` is that call's
input: the states of every path so far and the strategy index each path used.
A single ``History`` converts to a batch of one, so every policy has one
decision rule that serves both the runner and the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import ConfigError
from ._policy import History


@dataclass(frozen=True, eq=False)
class BatchHistory:
    """States and strategy choices of ``P`` paths after ``t`` steps.

    Parameters
    ----------
    states : (t + 1, P, n) states; row 0 is the starting state.
    choices : (t, P) integer index into ``strategies`` of the strategy that
        produced ``states[k + 1]``; ``-1`` marks a strategy the policy does not
        know (for example a session's nominal label).
    strategies : strategy names, the meaning of the indices.
    objectives : objective names, the meaning of the state columns.
    sessions : optional per-path session ids (live decisions use them to seed
        randomised policies reproducibly).
    """

    states: np.ndarray
    choices: np.ndarray
    strategies: tuple[str, ...]
    objectives: tuple[str, ...]
    sessions: tuple[str | None, ...] | None = None

    @property
    def t(self) -> int:
        """Index of the latest state (the number of steps taken)."""
        return self.states.shape[0] - 1

    @property
    def n_paths(self) -> int:
        """Number of paths ``P``."""
        return self.states.shape[1]

    @property
    def current(self) -> np.ndarray:
        """Latest states, shape (P, n)."""
        return self.states[-1]


def reorder_columns(
    states: np.ndarray, have: Sequence[str], want: Sequence[str], where: str = "history"
) -> np.ndarray:
    """Columns of ``states`` (last axis named by ``have``) in the order ``want``.

    Raises :class:`ConfigError` naming the missing objectives.
    """
    have = tuple(have)
    want = tuple(want)
    if have == want or not have:
        return states
    missing = [w for w in want if w not in have]
    if missing:
        raise ConfigError(
            f"{where} has objectives {list(have)} but the policy's models need {missing}; "
            "fit the policy data on the same objectives as the run"
        )
    return states[..., [have.index(w) for w in want]]


def batch_from_history(
    history: History, strategies: Sequence[str], objectives: Sequence[str] = ()
) -> BatchHistory:
    """A batch of one path from a live session's :class:`History`.

    State columns are reordered to ``objectives`` when given; strategies not in
    ``strategies`` get index ``-1``.
    """
    states = np.asarray(history.states, dtype=float)
    if states.ndim == 1:
        states = states[None, :]
    if states.ndim != 2 or states.shape[0] < 1:
        raise ConfigError(f"history states must have shape (t + 1, n), got {states.shape}")
    want = tuple(objectives) or tuple(history.objectives)
    states = reorder_columns(states, history.objectives, want)
    names = tuple(strategies)
    index = {s: i for i, s in enumerate(names)}
    used = list(history.strategies)[-(states.shape[0] - 1):] if states.shape[0] > 1 else []
    # Pad at the front if the runner passed fewer strategy labels than steps.
    pad = states.shape[0] - 1 - len(used)
    choices = np.array([-1] * pad + [index.get(s, -1) for s in used], dtype=int).reshape(-1, 1)
    return BatchHistory(
        states=states[:, None, :],
        choices=choices,
        strategies=names,
        objectives=want,
        sessions=(history.session,),
    )
