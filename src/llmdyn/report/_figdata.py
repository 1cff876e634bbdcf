"""Data the figures draw: aggregated trajectories, models and forecasts.

Kept apart from the drawing so that large inputs are reduced here (pandas
groupby, subsampling) before matplotlib sees anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ._tables import _strategies, objectives_of

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def labelled_frame(traj: Any) -> pd.DataFrame:
    """The trajectory table with ``label``: each session's nominal strategy."""
    frame = traj.frame
    frame["label"] = frame.groupby("session", sort=False)["strategy"].transform("first")
    return frame


def strategy_order(result: Mapping[str, Any] | None, traj: Any | None = None) -> list[str]:
    """Strategies in result order, then any others found in the data."""
    names = list(_strategies(result)) if result is not None else []
    if traj is not None:
        names += [s for s in traj.strategies if s not in names]
    return names


def colors_for(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per strategy (same order, same colour, in every figure)."""
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def objective_pairs(objectives: Sequence[str], pairs: Sequence[tuple[str, str]] | None, limit: int = 6) -> list[tuple[str, str]]:
    """Pairs of objectives to draw against each other (all pairs, capped at ``limit``)."""
    if pairs is not None:
        out = [(str(a), str(b)) for a, b in pairs]
        unknown = sorted({o for p in out for o in p} - set(objectives))
        if unknown:
            raise DataError(f"unknown objective {', '.join(unknown)} in pairs; objectives: {', '.join(objectives)}")
        return out
    if len(objectives) < 2:
        raise DataError("this figure needs at least two objectives; the data has " + ", ".join(objectives))
    return list(combinations(objectives, 2))[:limit]


def bounds_of(result: Mapping[str, Any] | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Feasible box from the result (``"bounds"``), default [0, 10]^n."""
    raw = result.get("bounds") if result is not None else None
    if raw is None and result is not None:
        raw = next((s.get("bounds") for s in _strategies(result).values() if s.get("bounds") is not None), None)
    try:
        lo, hi = raw if raw is not None else (0.0, 10.0)
        return (np.broadcast_to(np.asarray(lo, float), (n,)).copy(), np.broadcast_to(np.asarray(hi, float), (n,)).copy())
    except (TypeError, ValueError):
        return np.zeros(n), np.full(n, 10.0)


def model_of(result: Mapping[str, Any] | None, strategy: str) -> Any | None:
    """The fitted ``DriftModel`` of ``strategy`` from the result dict, if any."""
    from ..dynamics import DriftModel
    from ..errors import FitError

    if result is None:
        return None
    s = _strategies(result).get(strategy)
    if s is None or s.get("A") is None or s.get("b") is None:
        return None
    names = objectives_of(result)
    n = len(names)
    lo, hi = bounds_of(result, n)
    Q = s.get("Q") if s.get("Q") is not None else np.zeros((n, n))
    try:
        return DriftModel(A=np.asarray(s["A"], float), b=np.asarray(s["b"], float), Q=np.asarray(Q, float),
                          objectives=tuple(names), bounds=(lo, hi))
    except (FitError, ValueError, TypeError):
        return None


def forecast_mean(model: Any, x0: np.ndarray, steps: int) -> np.ndarray:
    """Mean forecast ``(steps + 1, n)`` of the ``DriftModel`` from ``x0`` (the exact moment recursion)."""
    from ..dynamics import discrete_moments

    return discrete_moments(model, np.asarray(x0, float), int(steps)).mean


def trajectory_summary(frame: pd.DataFrame, objectives: Sequence[str]) -> pd.DataFrame:
    """Mean, quartiles and count per (label, t, objective): one groupby, any size."""
    long = frame.melt(id_vars=["label", "t"], value_vars=list(objectives), var_name="objective", value_name="value")
    g = long.groupby(["label", "objective", "t"], sort=True)["value"]
    out = pd.DataFrame({"mean": g.mean(), "q25": g.quantile(0.25), "q75": g.quantile(0.75), "count": g.size()})
    return out.reset_index()


def sample_sessions(frame: pd.DataFrame, label: str, k: int, seed: int) -> list[np.ndarray]:
    """Up to ``k`` whole sessions of ``label`` (a seeded subsample), as state arrays."""
    rows = frame[frame["label"] == label]
    ids = rows["session"].unique()
    if len(ids) > k:
        ids = np.random.default_rng(seed).choice(ids, size=k, replace=False)
    chosen = rows[rows["session"].isin(set(ids))]
    return [g for _, g in chosen.groupby("session", sort=False)]


def front_2d(points: np.ndarray) -> np.ndarray:
    """The 2-D Pareto front (maximised) of ``points`` as a step path, sorted by x."""
    from ..dynamics import nondominated_mask

    mask = nondominated_mask(points)
    front = points[mask]
    front = front[np.lexsort((-front[:, 1], -front[:, 0]))]
    return front


def finite(x: Any) -> bool:
    """True for a finite number."""
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
