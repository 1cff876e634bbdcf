"""Pareto efficiency and hypervolume (DESIGN §8), scores maximised.

Non-dominated sorting and hypervolume come from moocore. A state dominates
another when it is at least as good on every objective and better on one;
equal states do not dominate each other (moocore's ``keep_weakly=True``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import moocore
import numpy as np

from ._model import DEFAULT_BOUNDS, box_arrays
from ._trajectories import Trajectories


def nondominated_mask(points: Any) -> np.ndarray:
    """Boolean mask (k,) of points not dominated by another point (maximising)."""
    P = np.atleast_2d(np.asarray(points, dtype=float))
    if P.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(moocore.is_nondominated(P, maximise=True, keep_weakly=True), dtype=bool)


def hypervolume(points: Any, ref: Any) -> float:
    """Volume dominated by ``points`` and dominating ``ref`` (maximising).

    Points not strictly better than ``ref`` in every objective add nothing.
    """
    P = np.atleast_2d(np.asarray(points, dtype=float))
    r = np.asarray(ref, dtype=float)
    if P.shape[0] == 0:
        return 0.0
    P = P[np.all(P > r, axis=1)]
    if P.shape[0] == 0:
        return 0.0
    return float(moocore.hypervolume(P, ref=r, maximise=True))


@dataclass(frozen=True)
class StrategyPareto:
    """Pareto numbers of one strategy.

    ``trajectory_efficiency``: share of its states not dominated by another
    state of the same trajectory; ``final_efficiency``: share of its final
    states not dominated among all strategies' final states;
    ``hypervolume`` of its final states from the box's lower corner, and
    ``hypervolume_share`` of the box's volume.
    """

    trajectory_efficiency: float
    final_efficiency: float
    hypervolume: float
    hypervolume_share: float
    n_sessions: int
    n_states: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class ParetoSummary:
    """Pareto efficiency and hypervolume per strategy, and of all final states."""

    objectives: tuple[str, ...]
    reference: tuple[float, ...]
    by_strategy: dict[str, StrategyPareto]
    hypervolume: float
    hypervolume_share: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"objectives": list(self.objectives), "reference": list(self.reference),
                "hypervolume": self.hypervolume, "hypervolume_share": self.hypervolume_share,
                "by_strategy": {k: v.to_dict() for k, v in self.by_strategy.items()}}


def pareto_summary(traj: Trajectories, *, bounds: Any = DEFAULT_BOUNDS,
                   strategies: Sequence[str] | None = None) -> ParetoSummary:
    """Pareto efficiency within trajectories and among final states, and hypervolumes.

    Sessions are grouped by their label (the strategy on their first row);
    the hypervolume reference point is the lower corner of ``bounds``.
    """
    lo, hi = box_arrays(bounds, traj.n)
    box_volume = float(np.prod(hi - lo))
    paths = traj.paths()
    labels = np.array([p.strategy for p in paths], dtype=object)
    # Within-trajectory dominance: one small sort per session (a loop over sessions).
    within = [nondominated_mask(p.states) for p in paths]
    finals = np.array([p.states[-1] for p in paths])
    final_nd = nondominated_mask(finals)
    wanted = sorted(set(labels)) if strategies is None else [s for s in strategies if s in set(labels)]
    out: dict[str, StrategyPareto] = {}
    for s in wanted:
        idx = np.flatnonzero(labels == s)
        n_states = int(sum(within[i].size for i in idx))
        hv = hypervolume(finals[idx], lo)
        out[s] = StrategyPareto(
            trajectory_efficiency=float(sum(within[i].sum() for i in idx) / n_states),
            final_efficiency=float(final_nd[idx].mean()),
            hypervolume=hv, hypervolume_share=hv / box_volume,
            n_sessions=int(idx.size), n_states=n_states,
        )
    hv_all = hypervolume(finals, lo)
    return ParetoSummary(objectives=traj.objectives, reference=tuple(lo.tolist()), by_strategy=out,
                         hypervolume=hv_all, hypervolume_share=hv_all / box_volume)
