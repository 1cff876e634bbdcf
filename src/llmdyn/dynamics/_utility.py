"""What a steering policy aims for: a utility over states and constraints.

A :class:`Utility` turns states of shape (..., n) into one number each: the
weighted sum of the objectives, or the worst objective (a balanced state is
one whose weakest objective is high). Constraints such as ``security >= 2``
are kept apart from the utility so that an evaluation can report both how good
the states are and how often a path broke a constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError

UTILITY_KINDS = ("weighted", "worst")


@dataclass(frozen=True)
class Constraint:
    """``objective >= lower``: a floor the state should stay above."""

    objective: str
    lower: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"objective": self.objective, "lower": self.lower}

    def __str__(self) -> str:
        return f"{self.objective} >= {self.lower:g}"


def parse_constraints(spec: str | Sequence[Any] | None) -> tuple[Constraint, ...]:
    """Constraints from ``"security>=2,functionality>=1"`` or a sequence.

    A sequence may hold :class:`Constraint` objects or ``(objective, lower)`` pairs.
    """
    if spec is None:
        return ()
    if isinstance(spec, str):
        out = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, value = part.partition(">=")
            try:
                if not sep or not name.strip():
                    raise ValueError
                out.append(Constraint(name.strip(), float(value)))
            except ValueError:
                raise ConfigError(
                    f"constraint {part!r} is not of the form OBJECTIVE>=VALUE (e.g. security>=2)"
                ) from None
        return tuple(out)
    out = []
    for item in spec:
        if isinstance(item, Constraint):
            out.append(item)
        else:
            name, lower = item
            out.append(Constraint(str(name), float(lower)))
    return tuple(out)


def default_constraints(objectives: Sequence[str]) -> tuple[Constraint, ...]:
    """The paper's floor ``security >= 2`` when there is a security objective."""
    return (Constraint("security", 2.0),) if "security" in objectives else ()


@dataclass(frozen=True)
class Utility:
    """A scalar utility of states, with constraints kept beside it.

    Parameters
    ----------
    objectives : names of the state columns.
    kind : ``"weighted"`` (weighted mean of the objectives) or ``"worst"``
        (the lowest objective).
    weights : one weight per objective for ``"weighted"``; equal when omitted.
        Normalised to sum to one, so the utility keeps the scores' scale.
    constraints : floors a state should respect (see :class:`Constraint`).
    """

    objectives: tuple[str, ...]
    kind: str = "weighted"
    weights: tuple[float, ...] | None = None
    constraints: tuple[Constraint, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "objectives", tuple(self.objectives))
        if self.kind not in UTILITY_KINDS:
            raise ConfigError(f"utility {self.kind!r} is unknown; use one of {', '.join(UTILITY_KINDS)}")
        n = len(self.objectives)
        if self.weights is not None:
            w = tuple(float(x) for x in self.weights)
            if len(w) != n or any(x < 0 for x in w) or sum(w) <= 0:
                raise ConfigError(
                    f"utility weights {list(w)} must be {n} non-negative numbers (one per objective "
                    f"{list(self.objectives)}) with a positive sum"
                )
            object.__setattr__(self, "weights", w)
        cons = parse_constraints(self.constraints)
        for c in cons:
            if c.objective not in self.objectives:
                raise ConfigError(
                    f"constraint {c} names objective {c.objective!r}, not one of {list(self.objectives)}"
                )
        object.__setattr__(self, "constraints", cons)

    @property
    def weight_vector(self) -> np.ndarray:
        """Normalised weights, shape (n,)."""
        n = len(self.objectives)
        w = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def value(self, states: np.ndarray) -> np.ndarray:
        """Utility of states of shape (..., n); returns shape (...)."""
        x = np.asarray(states, dtype=float)
        if self.kind == "worst":
            return x.min(axis=-1)
        return x @ self.weight_vector

    def _floors(self) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array([self.objectives.index(c.objective) for c in self.constraints], dtype=int)
        lo = np.array([c.lower for c in self.constraints], dtype=float)
        return idx, lo

    def shortfall(self, states: np.ndarray) -> np.ndarray:
        """Total amount by which states fall below the constraint floors, shape (...)."""
        x = np.asarray(states, dtype=float)
        if not self.constraints:
            return np.zeros(x.shape[:-1])
        idx, lo = self._floors()
        return np.clip(lo - x[..., idx], 0.0, None).sum(axis=-1)

    def violated(self, states: np.ndarray) -> np.ndarray:
        """True where a state breaks any constraint, shape (...)."""
        x = np.asarray(states, dtype=float)
        if not self.constraints:
            return np.zeros(x.shape[:-1], dtype=bool)
        idx, lo = self._floors()
        return np.any(x[..., idx] < lo, axis=-1)

    def describe(self) -> str:
        """Short human-readable form, e.g. ``worst objective, security >= 2``."""
        if self.kind == "worst":
            text = "worst objective"
        elif self.weights is None:
            text = "mean of objectives"
        else:
            text = "weighted sum " + ", ".join(
                f"{w:.2g}·{o}" for w, o in zip(self.weight_vector, self.objectives)
            )
        if self.constraints:
            text += "; " + ", ".join(str(c) for c in self.constraints)
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "objectives": list(self.objectives),
            "kind": self.kind,
            "weights": self.weight_vector.tolist(),
            "constraints": [c.to_dict() for c in self.constraints],
        }


def make_utility(
    objectives: Sequence[str],
    utility: "Utility | str | None" = None,
    weights: Sequence[float] | None = None,
    constraints: Any = "default",
) -> Utility:
    """A :class:`Utility` from loose options (CLI strings or objects).

    ``constraints="default"`` gives ``security >= 2`` where security is an
    objective; ``None`` or ``""`` gives none.
    """
    if isinstance(utility, Utility):
        return utility
    cons = default_constraints(objectives) if constraints == "default" else parse_constraints(constraints or None)
    return Utility(
        objectives=tuple(objectives),
        kind=utility or "weighted",
        weights=tuple(weights) if weights is not None else None,
        constraints=cons,
    )
