"""Registry of objective sets (``code`` is built in; users register their own).

An objective set maps a response text to a :class:`ScoreCard`; the runner only
knows the set's name, so a new domain (text, SQL, proofs) plugs in without
touching the runner.
"""

from __future__ import annotations

from typing import Callable

from ..errors import ConfigError
from ._extract import extract_code
from ._score import CODE_OBJECTIVES, score_code
from ._types import ObjectiveSet, ScoreCard, TaskProfile


def score_response(text: str, task: TaskProfile | None = None) -> ScoreCard:
    """Extract the code of a model response and score it (extraction findings included)."""
    extracted = extract_code(text)
    card = score_code(extracted.code, task)
    return ScoreCard(card.values, extracted.findings + card.findings)


_CODE = ObjectiveSet(
    "code",
    CODE_OBJECTIVES,
    score_response,
    "Python code: security, efficiency, functionality (static, from the AST)",
)
_REGISTRY: dict[str, ObjectiveSet] = {_CODE.name: _CODE}


def register_objective_set(
    objective_set: ObjectiveSet | str,
    objectives: tuple[str, ...] | None = None,
    scorer: Callable[[str, TaskProfile | None], ScoreCard] | None = None,
    *,
    description: str = "",
    replace: bool = False,
) -> ObjectiveSet:
    """Register an objective set, given whole or as ``(name, objectives, scorer)``.

    Raises :class:`~llmdyn.errors.ConfigError` when the name is taken (pass
    ``replace=True`` to override) or the pieces are missing.
    """
    if isinstance(objective_set, str):
        if not objectives or scorer is None:
            raise ConfigError(f"objective set {objective_set!r}: give objectives and a scorer callable")
        objective_set = ObjectiveSet(objective_set, tuple(objectives), scorer, description)
    if not objective_set.objectives:
        raise ConfigError(f"objective set {objective_set.name!r} has no objectives")
    if objective_set.name in _REGISTRY and not replace:
        raise ConfigError(f"objective set {objective_set.name!r} is already registered; pass replace=True to override")
    _REGISTRY[objective_set.name] = objective_set
    return objective_set


def get_objective_set(name: str = "code") -> ObjectiveSet:
    """The registered objective set ``name`` (ConfigError lists the known names)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown objective set {name!r}; known: {known}") from None


def objective_set_names() -> tuple[str, ...]:
    """Names of the registered objective sets."""
    return tuple(sorted(_REGISTRY))
