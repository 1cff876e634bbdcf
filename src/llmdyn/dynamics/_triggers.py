"""Intervention triggers (paper Appendix C.2): named rules on a session's history.

Each trigger looks at the latest state of a history and fires while its
condition holds: an objective below a floor (security < 2.0), an objective
dropping by more than a threshold in one step (efficiency), or the local
convergence rate above a limit (1.5), estimated from the last ``window``
transitions by least squares of ΔX on [X, 1]. A firing produces a
:class:`~llmdyn.dynamics.TriggerEvent` whose ``action`` tells the runner to
record it, stop the session, or hand it to a person; an optional callback runs
too. :class:`Triggered` wraps any policy so its decisions carry the events.

Every trigger checks many paths at once (``check_batch``) for the offline
evaluation; ``check`` is the same rule on a batch of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ConfigError
from ._batch import BatchHistory, batch_from_history
from ._policy import Decision, History, TriggerEvent

ACTIONS = ("record", "stop", "handoff")
Callback = Callable[[TriggerEvent, History], Any]


def _column(objectives: Sequence[str], name: str, trigger: str) -> int:
    if name not in objectives:
        raise ConfigError(f"trigger {trigger}: objective {name!r} is not one of {list(objectives)}")
    return list(objectives).index(name)


def _silent(history: BatchHistory) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(history.n_paths, dtype=bool), np.full(history.n_paths, np.nan)


@dataclass(frozen=True)
class _Trigger:
    """Common parts: name, action, callback, and ``check`` from ``check_batch``."""

    action: str = "record"
    callback: Callback | None = None
    #: False for the paper's defaults: silent where the objective does not exist.
    required: bool = True

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ConfigError(f"trigger action {self.action!r} is unknown; use one of {', '.join(ACTIONS)}")

    name = "trigger"

    def check_batch(self, history: BatchHistory) -> tuple[np.ndarray, np.ndarray]:
        """Fired flags (P,) and the measured values (P,; NaN where undefined)."""
        raise NotImplementedError

    def message(self, value: float, t: int) -> str:  # pragma: no cover - overridden
        return f"{self.name} fired at iteration {t}"

    def check(self, history: History) -> TriggerEvent | None:
        """The event for the latest state of ``history``, or None."""
        batch = batch_from_history(history, (), history.objectives)
        fired, value = self.check_batch(batch)
        if not fired[0]:
            return None
        v = float(value[0])
        return TriggerEvent(self.name, batch.t, self.message(v, batch.t), self.action, v)


@dataclass(frozen=True)
class ObjectiveBelow(_Trigger):
    """Fires while ``objective`` is below ``threshold`` (default: security < 2.0)."""

    threshold: float = 2.0
    objective: str = "security"

    @property
    def name(self) -> str:  # type: ignore[override]
        """``security_below`` for the default objective."""
        return f"{self.objective}_below"

    def check_batch(self, history: BatchHistory) -> tuple[np.ndarray, np.ndarray]:
        """Fired where the latest value is strictly below the threshold."""
        if not self.required and self.objective not in history.objectives:
            return _silent(history)
        value = history.current[:, _column(history.objectives, self.objective, self.name)]
        return value < self.threshold, value

    def message(self, value: float, t: int) -> str:
        """Human-readable reason."""
        return f"{self.objective} {value:.2f} is below {self.threshold:g} at iteration {t}"


@dataclass(frozen=True)
class ObjectiveDrop(_Trigger):
    """Fires when ``objective`` drops by more than ``threshold`` in one step.

    With ``relative=True`` the drop is a fraction of the previous value.
    """

    threshold: float = 2.0
    objective: str = "efficiency"
    relative: bool = False

    @property
    def name(self) -> str:  # type: ignore[override]
        """``efficiency_drop`` for the default objective."""
        return f"{self.objective}_drop"

    def check_batch(self, history: BatchHistory) -> tuple[np.ndarray, np.ndarray]:
        """Fired where the last step's drop exceeds the threshold."""
        if history.t < 1 or (not self.required and self.objective not in history.objectives):
            return _silent(history)
        j = _column(history.objectives, self.objective, self.name)
        prev, cur = history.states[-2][:, j], history.current[:, j]
        drop = prev - cur
        if self.relative:
            drop = np.divide(drop, np.abs(prev), out=np.full_like(drop, np.inf), where=prev != 0)
        return drop > self.threshold, drop

    def message(self, value: float, t: int) -> str:
        """Human-readable reason."""
        amount = f"{value:.0%}" if self.relative else f"{value:.2f}"
        limit = f"{self.threshold:.0%}" if self.relative else f"{self.threshold:g}"
        return f"{self.objective} dropped by {amount} (more than {limit}) in the step to iteration {t}"


def local_convergence_rate(states: np.ndarray, window: int) -> np.ndarray:
    """``−max Re λ`` of A fitted on the last ``window`` transitions of each path.

    ``states`` has shape (t + 1, P, n). Least squares of ΔX on [X, 1] over the
    window, batched over paths. NaN where the window is too short or the
    design is rank-deficient (the states did not move enough to identify A).
    """
    T1, P, n = states.shape
    out = np.full(P, np.nan)
    if window < n + 1 or T1 - 1 < window:
        return out
    x = states[-window - 1:-1].transpose(1, 0, 2)  # (P, w, n)
    dx = np.diff(states[-window - 1:], axis=0).transpose(1, 0, 2)
    design = np.concatenate([x, np.ones((P, window, 1))], axis=2)  # (P, w, n+1)
    # Normal equations, batched: (n+1)x(n+1) systems are cheap; the Gram matrix's
    # eigenvalues flag windows whose states did not move enough to identify A.
    gram = np.swapaxes(design, 1, 2) @ design
    ev = np.linalg.eigvalsh(gram)
    ok = ev[:, 0] > 1e-10 * np.maximum(ev[:, -1], 1e-300)
    if not ok.any():
        return out
    coef = np.linalg.solve(gram[ok], np.swapaxes(design[ok], 1, 2) @ dx[ok])  # (k, n+1, n)
    A = np.swapaxes(coef[:, :n, :], 1, 2)
    out[ok] = -np.linalg.eigvals(A).real.max(axis=1)
    return out


@dataclass(frozen=True)
class ConvergenceRateAbove(_Trigger):
    """Fires while the local convergence rate exceeds ``threshold`` (default 1.5).

    The rate ``−max Re λ`` is estimated from the last ``window`` transitions;
    a rate above 1.5 means every mode overshoots (``1 + λ < −0.5``): the
    session is lurching rather than converging (paper C.2, "instability").
    """

    threshold: float = 1.5
    window: int = 5

    name = "convergence_rate"

    def check_batch(self, history: BatchHistory) -> tuple[np.ndarray, np.ndarray]:
        """Fired where the windowed estimate exceeds the threshold."""
        n = history.states.shape[-1]
        if self.window < n + 1:
            raise ConfigError(
                f"trigger {self.name}: window {self.window} is too short for {n} objectives; "
                f"use at least {n + 1} transitions"
            )
        rate = local_convergence_rate(history.states, self.window)
        return np.nan_to_num(rate, nan=-np.inf) > self.threshold, rate

    def message(self, value: float, t: int) -> str:
        """Human-readable reason."""
        return (f"local convergence rate {value:.2f} over the last {self.window} steps exceeds "
                f"{self.threshold:g} at iteration {t}")


Trigger = ObjectiveBelow | ObjectiveDrop | ConvergenceRateAbove

#: Trigger names accepted by :func:`make_triggers`, with their default threshold.
TRIGGER_SPECS = {
    "security_below": 2.0,
    "efficiency_drop": 2.0,
    "convergence_rate": 1.5,
}


def default_triggers(objectives: Sequence[str] | None = None, action: str = "record") -> tuple[Any, ...]:
    """The paper's three triggers (those whose objective exists in ``objectives``).

    Without ``objectives`` the objective triggers stay silent on histories that
    lack their objective, so the defaults suit any objective set.
    """
    if objectives is None:
        return (ObjectiveBelow(action=action, required=False), ObjectiveDrop(action=action, required=False),
                ConvergenceRateAbove(action=action))
    have = set(objectives)
    trig: list[Any] = [ObjectiveBelow(action=action), ObjectiveDrop(action=action),
                       ConvergenceRateAbove(action=action)]
    return tuple(t for t in trig if getattr(t, "objective", None) in (None, *have))


def make_triggers(spec: str, callback: Callback | None = None) -> tuple[Any, ...]:
    """Triggers from ``"security_below:2@stop,efficiency_drop:1.5,convergence_rate:1.5:window=4"``.

    Each entry is ``NAME[:THRESHOLD][:window=W][:relative][@ACTION]``; ``NAME`` may
    also be ``OBJECTIVE_below`` or ``OBJECTIVE_drop`` for any objective.
    ``"default"`` gives the paper's three.
    """
    out: list[Any] = []
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        body, _, action = entry.partition("@")
        action = action.strip() or "record"
        name, *parts = [p.strip() for p in body.split(":")]
        if name == "default":
            out.extend(default_triggers(action=action))
            continue
        threshold: float | None = None
        kw: dict[str, Any] = {}
        for p in parts:
            key, eq, val = p.partition("=")
            try:
                if eq and key == "window":
                    kw["window"] = int(val)
                elif p == "relative":
                    kw["relative"] = True
                elif not eq:
                    threshold = float(p)
                else:
                    raise ValueError
            except ValueError:
                raise ConfigError(
                    f"trigger {entry!r}: cannot read {p!r}; use NAME[:THRESHOLD][:window=W][@ACTION]"
                ) from None
        base = {"action": action, "callback": callback}
        if threshold is not None:
            base["threshold"] = threshold
        if name == "convergence_rate":
            out.append(ConvergenceRateAbove(**base, **kw))
        elif name.endswith("_below") and not kw:
            out.append(ObjectiveBelow(objective=name[: -len("_below")], **base))
        elif name.endswith("_drop") and "window" not in kw:
            out.append(ObjectiveDrop(objective=name[: -len("_drop")], **base, **kw))
        else:
            raise ConfigError(
                f"unknown trigger {entry!r}; valid: {', '.join(TRIGGER_SPECS)} "
                "(or OBJECTIVE_below / OBJECTIVE_drop), each NAME[:THRESHOLD][@record|stop|handoff]"
            )
    return tuple(out)


@dataclass(frozen=True)
class Triggered:
    """A policy whose decisions carry the events of ``triggers``.

    Each fired trigger runs its own callback and then ``on_event`` (both get the
    event and the history); a ``stop`` or ``handoff`` action makes
    ``Decision.stop`` true, which the runner obeys.
    """

    policy: Any
    triggers: tuple[Any, ...]
    on_event: Callback | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "triggers", tuple(self.triggers))

    @property
    def name(self) -> str:
        """The wrapped policy's name."""
        return str(self.policy.name)

    def events(self, history: History) -> tuple[TriggerEvent, ...]:
        """Events of all triggers on the latest state, callbacks run."""
        out = []
        for trig in self.triggers:
            ev = trig.check(history)
            if ev is None:
                continue
            out.append(ev)
            if trig.callback is not None:
                trig.callback(ev, history)
            if self.on_event is not None:
                self.on_event(ev, history)
        return tuple(out)

    def decide(self, history: History) -> Decision:
        """The wrapped policy's decision plus the trigger events."""
        d = self.policy.decide(history)
        ev = self.events(history)
        reason = d.reason
        if ev:
            reason += "; triggers: " + ", ".join(e.name for e in ev)
        return Decision(d.strategy, reason, tuple(d.events) + ev)

    def decide_batch(self, history: BatchHistory) -> np.ndarray:
        """The wrapped policy's batched decision."""
        from ._control import decide_batch

        return decide_batch(self.policy, history)

    def check_batch(self, history: BatchHistory) -> np.ndarray:
        """Fired flags of every trigger, shape (P, n_triggers)."""
        if not self.triggers:
            return np.zeros((history.n_paths, 0), dtype=bool)
        return np.stack([t.check_batch(history)[0] for t in self.triggers], axis=1)
