"""Out-of-sample check of forecast bands on held-out sessions.

Fit each strategy on some sessions, forecast every held-out session of that
strategy from its first state for as many iterations as it ran, and count the
observed states (t ≥ 1) that fall inside the ``level`` bands. Calibrated bands
cover about ``level`` of them; much less means the model is overconfident (too
little noise, or a drift that misses), much more that it is too vague.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import ConfigError, DataError
from ._model import box_arrays
from ._simulate import forecast_model
from ._trajectories import Trajectories

__all__ = ["HoldoutCoverage", "StrategyCoverage", "holdout_coverage"]


@dataclass(frozen=True)
class StrategyCoverage:
    """Coverage of one strategy's held-out sessions, per objective and overall."""

    strategy: str
    train_sessions: int
    test_sessions: int
    states: int
    coverage: dict[str, float]
    overall: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"strategy": self.strategy, "train_sessions": self.train_sessions,
                "test_sessions": self.test_sessions, "states": self.states,
                "coverage": dict(self.coverage), "overall": self.overall}


@dataclass(frozen=True, eq=False)
class HoldoutCoverage:
    """Share of held-out observed states inside the forecast bands.

    ``coverage`` and ``overall`` pool all strategies; ``by_horizon[k]`` is the
    pooled share at ``t = k + 1`` iterations after the start.
    """

    level: float
    fraction: float
    seed: int
    method: str
    objectives: tuple[str, ...]
    strategies: tuple[StrategyCoverage, ...]
    coverage: dict[str, float]
    overall: float
    by_horizon: tuple[float, ...]
    test_sessions: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the ``holdout`` object of ``llmdyn fit --holdout``)."""
        return {
            "level": self.level,
            "fraction": self.fraction,
            "seed": self.seed,
            "method": self.method,
            "objectives": list(self.objectives),
            "coverage": dict(self.coverage),
            "overall": self.overall,
            "by_strategy": {s.strategy: s.to_dict() for s in self.strategies},
            "by_horizon": list(self.by_horizon),
            "test_sessions": list(self.test_sessions),
            "warnings": list(self.warnings),
        }

    def to_frame(self) -> Any:
        """One row per strategy plus ``all``: sessions, states, coverage per objective, overall."""
        import pandas as pd

        rows = [{"strategy": s.strategy, "train_sessions": s.train_sessions, "test_sessions": s.test_sessions,
                 "states": s.states, **s.coverage, "overall": s.overall} for s in self.strategies]
        rows.append({"strategy": "all", "train_sessions": sum(s.train_sessions for s in self.strategies),
                     "test_sessions": sum(s.test_sessions for s in self.strategies),
                     "states": sum(s.states for s in self.strategies), **self.coverage, "overall": self.overall})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A few lines of text for the terminal."""
        pct = ", ".join(f"{k} {v:.0%}" for k, v in self.coverage.items())
        lines = [f"Held-out coverage of {self.level:.0%} forecast bands ({self.method}; "
                 f"{len(self.test_sessions)} sessions held out, fraction {self.fraction:g}, seed {self.seed}):",
                 f"  all strategies: {self.overall:.1%} ({pct})"]
        for s in self.strategies:
            per = ", ".join(f"{k} {v:.0%}" for k, v in s.coverage.items())
            lines.append(f"  {s.strategy}: {s.overall:.1%} over {s.states} states of {s.test_sessions} "
                         f"sessions ({per})")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _pure_sessions(traj: Trajectories) -> dict[str, list[int]]:
    """Sessions whose every transition was made by their own label, grouped by label."""
    frame = traj.frame
    codes = np.asarray(frame["session"].factorize(sort=False)[0])
    strat = frame["strategy"].to_numpy(dtype=object)
    later = np.r_[False, codes[1:] == codes[:-1]]  # rows t >= 1
    labels = np.asarray(traj.session_strategies, dtype=object)
    mixed = np.zeros(len(labels), dtype=bool)
    bad = later & (strat != labels[codes])
    mixed[np.unique(codes[bad])] = True
    groups: dict[str, list[int]] = {}
    for k, label in enumerate(labels):
        if not mixed[k]:
            groups.setdefault(str(label), []).append(k)
    return groups


def holdout_coverage(
    traj: Trajectories,
    strategies: Any = None,
    *,
    fraction: float = 0.2,
    level: float = 0.9,
    seed: int = 0,
    boundary: Literal["none", "clip", "reflect"] = "none",
    paths: int = 2000,
    bounds: Any = None,
) -> HoldoutCoverage:
    """Fit on ``1 − fraction`` of each strategy's sessions, score bands on the rest.

    Parameters
    ----------
    traj : trajectories (sessions whose transitions all belong to their own
        strategy can be held out; mixed sessions always train).
    strategies : strategies to check (default all).
    fraction : share of each strategy's sessions held out (at least one).
    level : nominal coverage of the bands.
    seed : seeds the split (and Monte Carlo draws).
    boundary : ``"none"`` gives exact Gaussian bands; ``"clip"``/``"reflect"``
        Monte Carlo bands with ``paths`` paths inside the box.
    bounds : the feasible box; default as ``analyze`` infers it.
    """
    from ._analysis import infer_bounds
    from ._fit import fit_drift

    if not isinstance(traj, Trajectories):
        raise ConfigError(f"expected Trajectories, got {type(traj).__name__}")
    if not 0.0 < float(fraction) < 1.0:
        raise ConfigError(f"holdout fraction must lie strictly between 0 and 1, got {fraction!r}")
    if not 0.0 < float(level) < 1.0:
        raise ConfigError(f"level must lie strictly between 0 and 1, got {level!r}")
    box = infer_bounds(traj) if bounds is None else tuple(tuple(a.tolist()) for a in box_arrays(bounds, traj.n))
    groups = _pure_sessions(traj)
    wanted = traj.strategies if strategies is None else ((strategies,) if isinstance(strategies, str)
                                                          else tuple(map(str, strategies)))
    unknown = [s for s in wanted if s not in traj.strategies]
    if unknown:
        raise DataError(f"{traj.source}: no sessions for strategy {', '.join(unknown)}; "
                        f"strategies in the data: {', '.join(traj.strategies)}")

    rng = np.random.default_rng(seed)
    held: dict[str, np.ndarray] = {}
    warnings: list[str] = []
    for s in wanted:
        members = np.asarray(groups.get(s, []), dtype=np.intp)
        k = max(1, int(round(fraction * members.size)))
        if members.size - k < 1:
            warnings.append(f"strategy {s}: {members.size} session(s) of its own, too few to hold any out; skipped")
            continue
        held[s] = np.sort(rng.permutation(members)[:k])
    if not held:
        raise DataError(f"{traj.source}: no strategy has at least 2 sessions of its own; "
                        "a holdout check needs sessions to fit on and sessions to forecast")

    ids = traj.session_ids
    test_ids = {ids[k] for ks in held.values() for k in ks}
    train = Trajectories.from_frame(traj.frame[~traj.frame["session"].isin(test_ids)],
                                    objectives=traj.objectives, source=traj.source)
    paths_of = traj.paths()
    names = traj.objectives
    n = len(names)
    results: list[StrategyCoverage] = []
    hits_all, counts_all = np.zeros(n), 0
    longest = max(len(p.states) for p in paths_of) - 1
    horizon_hits, horizon_counts = np.zeros(longest), np.zeros(longest)
    for s, ks in held.items():
        fit = fit_drift(train, s, bounds=box, seed=seed)
        model = fit.model
        states = [paths_of[k].states for k in ks]
        steps = max(len(x) for x in states) - 1
        starts = np.stack([x[0] for x in states])
        # exact bands without a boundary, else one Monte Carlo run per held-out session
        fcs = [forecast_model(model, x0, steps, level, boundary=boundary, paths=paths, rng=rng)
               for x0 in starts]
        lower = np.stack([f.lower for f in fcs])
        upper = np.stack([f.upper for f in fcs])
        hits, count = np.zeros(n), 0
        for i, x in enumerate(states):  # a loop over sessions
            T = len(x)
            inside = (x[1:] >= lower[i, 1:T]) & (x[1:] <= upper[i, 1:T])
            hits += inside.sum(axis=0)
            count += T - 1
            horizon_hits[:T - 1] += inside.mean(axis=1)
            horizon_counts[:T - 1] += 1
        results.append(StrategyCoverage(
            strategy=s, train_sessions=fit.n_sessions, test_sessions=len(ks), states=count,
            coverage={o: float(h / count) if count else float("nan") for o, h in zip(names, hits)},
            overall=float(hits.sum() / (count * n)) if count else float("nan"),
        ))
        hits_all += hits
        counts_all += count
    return HoldoutCoverage(
        level=float(level), fraction=float(fraction), seed=int(seed),
        method="exact" if boundary == "none" else f"monte-carlo ({boundary})",
        objectives=names, strategies=tuple(results),
        coverage={o: float(h / counts_all) for o, h in zip(names, hits_all)},
        overall=float(hits_all.sum() / (counts_all * n)),
        by_horizon=tuple(float(h / c) for h, c in zip(horizon_hits, horizon_counts) if c > 0),
        test_sessions=tuple(sorted(test_ids)), warnings=tuple(warnings),
    )
