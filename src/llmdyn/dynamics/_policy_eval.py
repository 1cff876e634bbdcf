"""Offline evaluation of steering policies by simulation on fitted models.

Every policy drives the same ``P`` simulated paths (common random numbers:
the same starting states, the same noise), so differences between policies are
differences of the policies. Per step, each path applies the h = 1 map of the
strategy its policy chose, ``X ← clip(X + A_s X + b_s + L_s z)`` with the
stacked per-strategy arrays picked by fancy indexing, never a loop over paths.

With ``uncertainty`` (bootstrap replicates), path ``p`` lives in the world of
replicate ``p mod R``: its strategies follow that replicate's fitted models,
while the policies still decide from the point estimates they would use live.
The utility interval is then the spread of the per-replicate mean utilities,
so a policy that wins only under one lucky fit shows a wide interval and a low
win share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ConfigError
from ._batch import BatchHistory
from ._control import decide_batch, make_policy
from ._model import DriftModel
from ._moments import psd_root
from ._simulate import BOUNDARIES, reflect_into
from ._triggers import Triggered, default_triggers
from ._utility import Utility, make_utility


@dataclass(frozen=True)
class PolicyResult:
    """How one policy did over all simulated paths.

    ``utility_interval`` is for the mean utility (over bootstrap replicates
    when the models' uncertainty is simulated, else a normal interval of the
    mean over paths); ``utility_spread`` holds the paths' own quantiles.
    ``violation_share`` is the share of paths that broke a constraint at some
    step 1..T; ``interventions_per_session`` the mean number of trigger events
    per path (``intervention_share``: paths with at least one).
    """

    policy: str
    mean_final: dict[str, float]
    utility_mean: float
    utility_interval: tuple[float, float]
    utility_spread: tuple[float, float]
    violation_share: float
    final_violation_share: float
    interventions_per_session: float
    intervention_share: float
    events_by_trigger: dict[str, float]
    strategy_share: dict[str, float]
    win_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "policy": self.policy,
            "mean_final": dict(self.mean_final),
            "utility": {"mean": self.utility_mean, "interval": list(self.utility_interval),
                        "spread": list(self.utility_spread)},
            "violation_share": self.violation_share,
            "final_violation_share": self.final_violation_share,
            "interventions_per_session": self.interventions_per_session,
            "intervention_share": self.intervention_share,
            "events_by_trigger": dict(self.events_by_trigger),
            "strategy_share": dict(self.strategy_share),
            "win_share": self.win_share,
        }


@dataclass(frozen=True)
class PolicyEvaluation:
    """Results of every policy on the same simulated paths, and the winner.

    ``comparison`` compares the best policy with the runner-up and with the
    best fixed policy: the mean utility difference on the common paths and its
    interval (over replicates under uncertainty, else over paths).
    """

    results: tuple[PolicyResult, ...]
    objectives: tuple[str, ...]
    strategies: tuple[str, ...]
    utility: dict[str, Any]
    steps: int
    paths: int
    uncertainty: int
    seed: int
    level: float
    triggers: tuple[str, ...]
    comparison: dict[str, Any] = field(default_factory=dict)
    boundary: str = "clip"

    @property
    def best(self) -> str:
        """Name of the policy with the highest mean utility."""
        return max(self.results, key=lambda r: r.utility_mean).policy

    def result(self, policy: str) -> PolicyResult:
        """The result of ``policy`` (by name)."""
        for r in self.results:
            if r.policy == policy:
                return r
        raise KeyError(policy)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``llmdyn steer evaluate --format json``)."""
        return {
            "objectives": list(self.objectives),
            "strategies": list(self.strategies),
            "utility": self.utility,
            "steps": self.steps,
            "paths": self.paths,
            "uncertainty": self.uncertainty,
            "seed": self.seed,
            "level": self.level,
            "triggers": list(self.triggers),
            "boundary": self.boundary,
            "best": self.best,
            "comparison": self.comparison,
            "policies": [r.to_dict() for r in self.results],
        }

    def to_frame(self) -> Any:
        """One row per policy (pandas DataFrame) for tables."""
        import pandas as pd

        rows = []
        for r in self.results:
            row: dict[str, Any] = {"policy": r.policy, "utility": r.utility_mean,
                                   "utility_lo": r.utility_interval[0], "utility_hi": r.utility_interval[1]}
            row.update({f"final_{k}": v for k, v in r.mean_final.items()})
            row.update({"violation_share": r.violation_share,
                        "interventions_per_session": r.interventions_per_session})
            if r.win_share is not None:
                row["win_share"] = r.win_share
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True, eq=False)
class _World:
    """Stacked dynamics the paths live in: (R, S, ...) arrays, R = 1 without uncertainty."""

    A: np.ndarray
    b: np.ndarray
    L: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def replicates(self) -> int:
        return self.A.shape[0]


def _world(models: Mapping[str, DriftModel], bootstrap: Mapping[str, Any] | None, replicates: int) -> _World:
    names = tuple(models)
    first = models[names[0]]
    if not bootstrap or replicates <= 0:
        A = np.stack([models[s].A for s in names])[None]
        b = np.stack([models[s].b for s in names])[None]
        L = np.stack([models[s].diffusion for s in names])[None]
        return _World(A, b, L, first.lower, first.upper)
    As, bs, Qs = [], [], []
    for s in names:
        boot = bootstrap.get(s)
        if boot is None or boot.A.shape[0] == 0:
            raise ConfigError(f"strategy {s}: no usable bootstrap replicates for --uncertainty")
        idx = np.arange(replicates) % boot.A.shape[0]
        As.append(boot.A[idx])
        bs.append(boot.b[idx])
        Qs.append(boot.Q[idx])
    A = np.stack(As, axis=1)
    b = np.stack(bs, axis=1)
    L = psd_root(np.stack(Qs, axis=1))
    return _World(A, b, L, first.lower, first.upper)


def _starts(x0: Any, n: int, paths: int, rng: np.random.Generator) -> np.ndarray:
    arr = np.asarray(x0, dtype=float)
    if arr.ndim == 1:
        if arr.shape != (n,):
            raise ConfigError(f"the starting state must have {n} entries, got {arr.shape[0]}")
        return np.broadcast_to(arr, (paths, n)).copy()
    if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] == 0:
        raise ConfigError(f"starting states must have shape (k, {n}), got {arr.shape}")
    return arr[rng.integers(0, arr.shape[0], size=paths)]


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _mean_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    m = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return m - z * se, m + z * se


def _to_box(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, boundary: str) -> np.ndarray:
    """States after the box's walls act: clipped, reflected (folded back in) or left alone."""
    if boundary == "clip":
        return np.clip(x, lo, hi)
    if boundary == "reflect":
        return reflect_into(x, lo, hi)
    return x


def simulate_policy(
    policy: Any,
    world: _World,
    strategies: tuple[str, ...],
    objectives: tuple[str, ...],
    start: np.ndarray,
    steps: int,
    seed: int,
    triggers: Sequence[Any] = (),
    boundary: str = "clip",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``policy`` on ``P`` paths: states (T+1, P, n), choices (T, P), events (T, P, k).

    Path ``p`` follows replicate ``p mod R`` of ``world``; the noise of step
    ``t`` is drawn from a generator seeded by ``(seed, t)``, so every policy
    sees the same noise. ``boundary`` is what the box does to a step that
    leaves it (``clip``, ``reflect`` or ``none``).
    """
    P, n = start.shape
    S = len(strategies)
    R = world.replicates
    rep = np.arange(P) % R
    A = world.A.reshape(R * S, n, n)
    b = world.b.reshape(R * S, n)
    L = world.L.reshape(R * S, n, n)
    states = np.empty((steps + 1, P, n))
    states[0] = start
    choices = np.empty((steps, P), dtype=int)
    events = np.zeros((steps, P, len(triggers)), dtype=bool)
    for t in range(steps):  # a loop over time; paths are vectorised
        hist = BatchHistory(states[: t + 1], choices[:t], strategies, objectives)
        idx = decide_batch(policy, hist)
        if idx.shape != (P,) or idx.min() < 0 or idx.max() >= S:
            raise ConfigError(f"policy {getattr(policy, 'name', policy)!r} returned invalid strategy indices")
        choices[t] = idx
        k = rep * S + idx
        z = np.random.default_rng([seed, t]).standard_normal((P, n))
        x = states[t]
        nxt = x + np.einsum("pij,pj->pi", A[k], x) + b[k] + np.einsum("pij,pj->pi", L[k], z)
        states[t + 1] = _to_box(nxt, world.lower, world.upper, boundary)
        if triggers:
            after = BatchHistory(states[: t + 2], choices[: t + 1], strategies, objectives)
            events[t] = np.stack([tr.check_batch(after)[0] for tr in triggers], axis=1)
    return states, choices, events


def evaluate_policies(
    models: Mapping[str, DriftModel],
    policies: Sequence[Any],
    *,
    x0: Any,
    steps: int = 10,
    paths: int = 10000,
    utility: Utility | None = None,
    triggers: Sequence[Any] | None = None,
    bootstrap: Mapping[str, Any] | None = None,
    uncertainty: int = 0,
    seed: int = 0,
    level: float = 0.9,
    policy_options: Mapping[str, Any] | None = None,
    boundary: str = "clip",
) -> PolicyEvaluation:
    """Simulate every policy on the fitted ``models`` and summarise each.

    Parameters
    ----------
    models : point-estimate :class:`DriftModel` per strategy (what policies use).
    policies : policy objects or spec strings (built with :func:`make_policy`).
    x0 : a starting state (n,) or starting states (k, n) resampled per path.
    utility : what is scored (default: mean of objectives, ``security >= 2``).
    triggers : intervention triggers counted per path (default: the paper's).
    bootstrap : per-strategy :class:`BootstrapResult` (``A``, ``b``, ``Q``
        replicates); with ``uncertainty = R > 0`` paths draw their world from R of them.
    boundary : ``clip`` (default: scores stay in the box), ``reflect`` or ``none``.
    """
    if not models:
        raise ConfigError("no fitted models to evaluate policies on")
    if steps < 1 or paths < 2:
        raise ConfigError(f"need steps >= 1 and paths >= 2, got steps={steps}, paths={paths}")
    if not 0 < level < 1:
        raise ConfigError(f"level must lie in (0, 1), got {level}")
    if boundary not in BOUNDARIES:
        raise ConfigError(f"boundary must be one of {', '.join(BOUNDARIES)}, got {boundary!r}")
    strategies = tuple(models)
    objectives = models[strategies[0]].objectives
    n = len(objectives)
    utility = utility or make_utility(objectives)
    trig = tuple(default_triggers(objectives) if triggers is None else triggers)
    opts = dict(policy_options or {})
    built = [make_policy(p, models, strategies, utility=utility, **opts) if isinstance(p, str) else p
             for p in policies]
    names = [getattr(p, "name", str(p)) for p in built]
    if len(set(names)) != len(names):
        raise ConfigError(f"policies must have distinct names, got {names}")
    world = _world(models, bootstrap, uncertainty)
    R = world.replicates
    start = _starts(x0, n, paths, np.random.default_rng([seed, 1_000_003]))
    rep = np.arange(paths) % R

    finals: list[np.ndarray] = []
    per_rep: list[np.ndarray] = []
    results = []
    for pol, name in zip(built, names):
        inner = pol.policy if isinstance(pol, Triggered) else pol
        states, choices, events = simulate_policy(inner, world, strategies, objectives, start, steps, seed, trig,
                                                  boundary)
        u = utility.value(states[-1])
        finals.append(u)
        rep_means = np.bincount(rep, weights=u, minlength=R) / np.bincount(rep, minlength=R)
        per_rep.append(rep_means)
        ev_count = events.sum(axis=(0, 2))
        share = np.bincount(choices.ravel(), minlength=len(strategies)) / choices.size
        results.append(dict(
            policy=name,
            mean_final={o: float(v) for o, v in zip(objectives, states[-1].mean(axis=0))},
            utility_mean=float(u.mean()),
            utility_interval=_interval(rep_means, level) if R > 1 else _mean_interval(u, level),
            utility_spread=_interval(u, level),
            violation_share=float(utility.violated(states[1:]).any(axis=0).mean()),
            final_violation_share=float(utility.violated(states[-1]).mean()),
            interventions_per_session=float(ev_count.mean()),
            intervention_share=float((ev_count > 0).mean()),
            events_by_trigger={tr.name: float(events[:, :, j].sum(axis=0).mean()) for j, tr in enumerate(trig)},
            strategy_share={s: float(v) for s, v in zip(strategies, share)},
        ))
    wins = None
    if R > 1:
        best_rep = np.argmax(np.stack(per_rep), axis=0)
        wins = np.bincount(best_rep, minlength=len(built)) / R
    final = tuple(PolicyResult(**r, win_share=None if wins is None else float(wins[i]))
                  for i, r in enumerate(results))
    comparison = _compare(final, finals, per_rep, names, level, R)
    return PolicyEvaluation(
        results=final, objectives=objectives, strategies=strategies, utility=utility.to_dict(),
        steps=steps, paths=paths, uncertainty=R if R > 1 else 0, seed=seed, level=level,
        triggers=tuple(t.name for t in trig), comparison=comparison, boundary=boundary,
    )


def _compare(results: tuple[PolicyResult, ...], finals: list[np.ndarray], per_rep: list[np.ndarray],
             names: list[str], level: float, R: int) -> dict[str, Any]:
    """Best policy against the runner-up and the best fixed policy (paired)."""
    if len(results) < 2:
        return {}
    order = np.argsort([-r.utility_mean for r in results], kind="stable")
    best = int(order[0])

    def diff(j: int) -> dict[str, Any]:
        d_paths = finals[best] - finals[j]
        if R > 1:
            d_rep = per_rep[best] - per_rep[j]
            iv = _interval(d_rep, level)
            win = float((d_rep > 0).mean())
        else:
            iv = _mean_interval(d_paths, level)
            win = None
        return {"against": names[j], "difference": float(d_paths.mean()), "interval": list(iv),
                "replicate_win_share": win}

    out: dict[str, Any] = {"best": names[best], "runner_up": diff(int(order[1]))}
    fixed = [i for i in order if names[i].startswith("fixed:") and i != best]
    if fixed:
        out["best_fixed"] = diff(int(fixed[0]))
    return out
