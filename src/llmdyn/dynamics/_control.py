"""Steering policies from a spec string: ``make_policy("schedule:FF3-SF4-EF3-AI")``.

Every policy here implements :class:`~llmdyn.dynamics.Policy` (``name`` and
``decide(history) -> Decision``) for the live runner, and
``decide_batch(history: BatchHistory) -> indices`` for the offline evaluation,
which advances thousands of simulated paths at once. ``decide`` is
``decide_batch`` on a batch of one, so both use the same rule. Policies keep no
per-session state: what they need is recomputed from the history they are
given, so one policy object can serve many sessions at once.

Specs (see :data:`POLICY_SPECS`)::

    fixed:EF                    one strategy throughout
    schedule[:FF3-SF4-EF3-AI]   strategies for a number of turns each; the last
                                entry, without a count, runs to the end
    phase[:explore=2]           paper B.4: explore (oscillatory), exploit
                                (exponential), leave boundary-attracting ones
    bandit[:ucb1|thompson]      model-free baseline over strategies
    mpc[:3]                     best expected utility 3 steps ahead

Any spec may end in ``+triggers`` (the paper's intervention triggers, recorded)
or ``+triggers=security_below:2@stop,efficiency_drop:1.5`` (see
:func:`~llmdyn.dynamics.make_triggers`); the runner then records their events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ConfigError
from ._batch import BatchHistory, batch_from_history
from ._model import DriftModel
from ._policy import Decision, FixedPolicy, History, Policy

DEFAULT_STRATEGIES = ("EF", "SF", "FF", "AI")
#: The paper's schedule (Appendix C.1): FF 2–3 turns, SF 3–4, EF 2–3, then AI.
PAPER_SCHEDULE = "FF3-SF4-EF3-AI"

#: Spec forms :func:`make_policy` accepts, for messages and ``--help``.
POLICY_SPECS = (
    "fixed:STRATEGY",
    "schedule[:FF3-SF4-EF3-AI]",
    "phase[:explore=2,margin=2]",
    "bandit[:ucb1|thompson]",
    "mpc[:HORIZON][,utility=weighted|worst]",
    "<any>+triggers[=security_below:2@stop,...]",
)
#: Options any policy accepts (ignored by those that do not use them).
COMMON_OPTIONS = frozenset(
    {"utility", "weights", "constraints", "seed", "triggers", "on_event", "objectives", "bounds"}
)


def _resolve_strategy(name: str, strategies: Sequence[str], spec: str) -> str:
    """``name`` as spelled in ``strategies`` (case-insensitive), or ConfigError."""
    if name in strategies:
        return name
    matches = [s for s in strategies if s.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise ConfigError(
        f"policy {spec!r}: unknown strategy {name!r}; known strategies: {', '.join(strategies) or '(none)'}"
    )


@dataclass(frozen=True)
class SchedulePolicy:
    """A fixed sequence of (strategy, turns); the last strategy runs to the end.

    ``entries`` holds ``(strategy, turns)`` pairs; ``turns`` of the last entry
    may be ``None`` (open-ended). After a finite last entry, its strategy goes on.
    Turn ``k`` (0-based) is the prompt that produces state ``k + 1``.
    """

    entries: tuple[tuple[str, int | None], ...]
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES

    def __post_init__(self) -> None:
        if not self.entries:
            raise ConfigError("a schedule needs at least one entry, e.g. schedule:FF3-SF4-EF3-AI")
        for i, (s, n) in enumerate(self.entries):
            if s not in self.strategies:
                raise ConfigError(
                    f"schedule entry {s!r} is not a known strategy ({', '.join(self.strategies)})"
                )
            if n is None and i < len(self.entries) - 1:
                raise ConfigError(
                    f"schedule entry {i + 1} ({s}) has no turn count; only the last entry may omit it"
                )
            if n is not None and n < 1:
                raise ConfigError(f"schedule entry {s}{n}: the number of turns must be at least 1")

    @property
    def name(self) -> str:
        """``schedule:FF3-SF4-EF3-AI``."""
        return "schedule:" + "-".join(f"{s}{'' if n is None else n}" for s, n in self.entries)

    def strategy_at(self, turn: int) -> tuple[str, int]:
        """Strategy of (0-based) ``turn`` and the index of its schedule entry."""
        start = 0
        for i, (s, n) in enumerate(self.entries):
            if n is None or turn < start + n:
                return s, i
            start += n
        return self.entries[-1][0], len(self.entries) - 1

    def decide_batch(self, history: BatchHistory) -> np.ndarray:
        """The scheduled strategy's index for every path (all are at the same turn)."""
        s, _ = self.strategy_at(history.t)
        return np.full(history.n_paths, history.strategies.index(s), dtype=int)

    def decide(self, history: History) -> Decision:
        """The scheduled strategy for the next turn, with its place in the schedule."""
        turn = len(history.states) - 1
        s, i = self.strategy_at(turn)
        n = self.entries[i][1]
        start = sum(k or 0 for _, k in self.entries[:i])
        span = f"turns {start + 1}-{start + n}" if n is not None else f"turns {start + 1}-end"
        return Decision(s, f"schedule entry {i + 1}/{len(self.entries)}: {s} for {span} (turn {turn + 1})")


_SCHEDULE_ENTRY = re.compile(r"^\s*([A-Za-z_][A-Za-z_]*?)\s*(\d+)?\s*$")


def parse_schedule(text: str, strategies: Sequence[str], spec: str | None = None) -> SchedulePolicy:
    """``"FF3-SF4-EF3-AI"`` -> a :class:`SchedulePolicy` (entries joined by ``-``)."""
    spec = spec or f"schedule:{text}"
    entries: list[tuple[str, int | None]] = []
    for part in text.split("-"):
        m = _SCHEDULE_ENTRY.match(part)
        if not m:
            raise ConfigError(
                f"policy {spec!r}: schedule entry {part!r} is not STRATEGY[TURNS] (e.g. FF3-SF4-EF3-AI)"
            )
        name = _resolve_strategy(m.group(1), strategies, spec)
        entries.append((name, int(m.group(2)) if m.group(2) else None))
    return SchedulePolicy(tuple(entries), tuple(strategies))


def _parse_options(spec: str, rest: str) -> tuple[list[str], dict[str, str]]:
    """Split ``"3,utility=worst"`` into positional and keyword options."""
    pos: list[str] = []
    kw: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in re.split(r"[,;]", rest))):
        key, sep, value = item.partition("=")
        if sep:
            if not key.strip():
                raise ConfigError(f"policy {spec!r}: option {item!r} has no name")
            kw[key.strip()] = value.strip()
        else:
            pos.append(item)
    return pos, kw


def _need_models(
    kind: str, spec: str, models: Mapping[str, DriftModel] | None, strategies: Sequence[str]
) -> dict[str, DriftModel]:
    """The fitted models for ``strategies`` (in their order), or a ConfigError."""
    if not models:
        raise ConfigError(
            f"policy {spec!r} needs fitted models of the strategies; pass --policy-data PATH "
            "(a trajectory file or store to fit them from)"
        )
    usable = {s: models[s] for s in strategies if s in models}
    if not usable:
        raise ConfigError(
            f"policy {spec!r}: the policy data has models for {sorted(models)} but none of the "
            f"strategies {list(strategies)}; fit the policy data on the same strategies"
        )
    dims = {m.objectives for m in usable.values()}
    if len(dims) > 1:
        raise ConfigError(f"policy {spec!r}: the strategies' models have different objectives {sorted(dims)}")
    return usable


def make_policy(
    spec: str,
    models: Mapping[str, DriftModel] | None = None,
    strategies: Sequence[str] | None = DEFAULT_STRATEGIES,
    **options: Any,
) -> Policy:
    """A policy from its spec string (see the module docstring for the forms).

    Parameters
    ----------
    spec : e.g. ``"fixed:EF"``, ``"schedule:FF3-SF4-EF3-AI"``, ``"phase"``,
        ``"bandit:thompson"``, ``"mpc:3"``; options may follow the colon as
        ``key=value`` pairs (``"mpc:horizon=3,utility=worst"``).
    models : fitted :class:`DriftModel` per strategy; ``phase`` and ``mpc``
        need them (``llmdyn run --policy-data``).
    strategies : the strategies a policy may choose; ``None`` means the
        models' strategies.
    **options : ``utility`` ("weighted"/"worst"), ``weights``, ``constraints``
        ("security>=2"), ``horizon``, ``explore``, ``margin``, ``seed``,
        ``algorithm``, ``triggers`` (wrap the policy in :class:`Triggered`), ...
        Options in the spec string win over these.

    Raises
    ------
    ConfigError
        An unknown spec (the message lists the valid forms), an unknown
        strategy or option, or a model-based policy without models.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"empty policy spec; use one of: {', '.join(POLICY_SPECS)}")
    spec = spec.strip()
    base, plus, trig_text = spec.partition("+triggers")
    if plus:
        trig_text = trig_text.strip()
        if trig_text and not trig_text.startswith("="):
            raise ConfigError(f"policy {spec!r}: write SPEC+triggers or SPEC+triggers=NAME[:THRESHOLD][@ACTION],...")
        options["triggers"] = trig_text[1:].strip() or "default"
        spec = base.strip()
    if strategies is None:
        strategies = tuple(models or ())
    strategies = tuple(strategies)
    if not strategies:
        raise ConfigError(f"policy {spec!r}: no strategies to choose from")
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    triggers = options.pop("triggers", None)
    on_event = options.pop("on_event", None)

    if kind == "fixed":
        if not rest.strip():
            raise ConfigError(f"policy {spec!r}: say which strategy, e.g. fixed:{strategies[0]}")
        policy: Any = FixedPolicy(_resolve_strategy(rest.strip(), strategies, spec))
    elif kind == "schedule":
        policy = parse_schedule(rest.strip() or PAPER_SCHEDULE, strategies, spec)
    elif kind in ("phase", "bandit", "mpc"):
        from . import _adaptive

        pos, kw = _parse_options(spec, rest)
        opts = {**options, **kw}
        if kind == "bandit":
            if pos:
                opts.setdefault("algorithm", pos[0])
            if models:
                opts.setdefault("objectives", next(iter(models.values())).objectives)
            policy = _adaptive.bandit_from_options(spec, strategies, opts)
        else:
            usable = _need_models(kind, spec, models, strategies)
            if kind == "mpc":
                if pos:
                    opts.setdefault("horizon", pos[0])
                policy = _adaptive.mpc_from_options(spec, usable, opts)
            else:
                if pos:
                    opts.setdefault("explore", pos[0])
                policy = _adaptive.phase_from_options(spec, usable, opts)
    else:
        raise ConfigError(f"unknown policy {spec!r}; valid policies: {', '.join(POLICY_SPECS)}")

    if triggers:
        from ._triggers import Triggered, make_triggers

        trig = make_triggers(triggers) if isinstance(triggers, str) else tuple(triggers)
        policy = Triggered(policy, trig, on_event=on_event)
    return policy


def decide_batch(policy: Any, history: BatchHistory) -> np.ndarray:
    """Strategy indices (P,) from any policy that supports batched decisions.

    :class:`FixedPolicy` (the runner's default, which has no ``decide_batch``)
    is handled here.
    """
    fn = getattr(policy, "decide_batch", None)
    if fn is not None:
        return np.asarray(fn(history), dtype=int)
    if isinstance(policy, FixedPolicy):
        if policy.strategy not in history.strategies:
            raise ConfigError(
                f"policy {policy.name}: strategy {policy.strategy!r} has no model "
                f"(models for {', '.join(history.strategies)})"
            )
        return np.full(history.n_paths, history.strategies.index(policy.strategy), dtype=int)
    raise ConfigError(
        f"policy {getattr(policy, 'name', policy)!r} cannot be evaluated offline: it has no decide_batch"
    )


__all__ = [
    "DEFAULT_STRATEGIES",
    "PAPER_SCHEDULE",
    "POLICY_SPECS",
    "SchedulePolicy",
    "batch_from_history",
    "decide_batch",
    "make_policy",
    "parse_schedule",
]
