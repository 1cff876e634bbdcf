"""Session bootstrap of the drift fit, all replicates in one batched solve.

Whole sessions are resampled with replacement (never single steps, which
would break the within-session dependence). Each session's sufficient
statistics are summed once; a replicate is then a row of a count matrix
``W`` (replicates × sessions), its normal equations are ``W @ stats``, and
all replicates are solved together by one batched ``np.linalg.solve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import FitError
from ._fit import check_design, strategy_label
from ._lsq import SessionStats, batched_solve, centred_sscp, residual_sscp, session_codes, session_stats
from ._trajectories import Trajectories


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval, elementwise for arrays."""

    lower: Any
    upper: Any

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        conv = (lambda a: np.asarray(a).tolist())
        return {"lower": conv(self.lower), "upper": conv(self.upper)}


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Replicates of a session bootstrap and their percentile intervals.

    Replicate arrays (first axis: replicate; failed replicates removed):
    ``A`` (B, n, n), ``b`` (B, n), ``eig_real`` (B, n) real parts sorted
    ascending within each replicate, ``convergence_rate`` (B,),
    ``discrete_stability`` (B,), ``r2`` (B,) and ``r2_by_objective`` (B, n)
    in-sample, ``Q`` (B, n, n), ``interference`` (B, n, n) step-change
    correlations. ``n_failed`` replicates had an unidentifiable design (e.g. an
    objective constant in every drawn session) and were dropped.
    """

    strategy: str | None
    objectives: tuple[str, ...]
    n_replicates: int
    n_failed: int
    seed: int
    level: float
    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    eig_real: np.ndarray
    convergence_rate: np.ndarray
    discrete_stability: np.ndarray
    r2: np.ndarray
    r2_by_objective: np.ndarray
    interference: np.ndarray

    def interval(self, name: str, level: float | None = None) -> Interval:
        """Percentile interval of replicate array ``name`` at ``level`` (default: self.level)."""
        lvl = self.level if level is None else level
        arr = getattr(self, name)
        if arr.shape[0] == 0:
            nan = np.full(arr.shape[1:], np.nan)
            return Interval(nan, nan)
        lo, hi = np.quantile(arr, [(1 - lvl) / 2, (1 + lvl) / 2], axis=0)
        return Interval(lo if np.ndim(lo) else float(lo), hi if np.ndim(hi) else float(hi))

    def intervals(self, level: float | None = None) -> dict[str, Interval]:
        """Intervals for every bootstrapped quantity."""
        names = ("A", "b", "Q", "eig_real", "convergence_rate", "discrete_stability", "r2",
                 "r2_by_objective", "interference")
        out = {k: self.interval(k, level) for k in names}
        lo, hi = out["interference"].lower, out["interference"].upper
        np.fill_diagonal(lo, 0.0)
        np.fill_diagonal(hi, 0.0)
        return out

    def to_dict(self, level: float | None = None) -> dict[str, Any]:
        """Plain-JSON intervals (keys as the replicate arrays; ``eig_real`` as
        ``eigenvalue_real_parts``)."""
        iv = self.intervals(level)
        body = {("eigenvalue_real_parts" if k == "eig_real" else k): v.to_dict() for k, v in iv.items()}
        return {"level": self.level if level is None else level, "method": "percentile, session bootstrap",
                "n_replicates": self.n_replicates, "n_failed": self.n_failed, "seed": self.seed, **body}


def resample_counts(n_sessions: int, n_replicates: int, rng: np.random.Generator) -> np.ndarray:
    """Count matrix (B, S): how often each session is drawn in each replicate."""
    draws = rng.integers(0, n_sessions, size=(n_replicates, n_sessions))
    flat = draws + n_sessions * np.arange(n_replicates)[:, None]
    return np.bincount(flat.ravel(), minlength=n_replicates * n_sessions).reshape(
        n_replicates, n_sessions).astype(float)


def bootstrap_stats(stats: SessionStats, n: int, W: np.ndarray, *, objectives: tuple[str, ...],
                    strategy: str | None, seed: int, level: float) -> BootstrapResult:
    """Solve every replicate (rows of ``W``) at once from per-session statistics."""
    return solve_replicates(stats.combine(W), n, objectives=objectives, strategy=strategy, seed=seed,
                            level=level)


def solve_replicates(rep: SessionStats, n: int, *, objectives: tuple[str, ...], strategy: str | None,
                     seed: int, level: float) -> BootstrapResult:
    """Fit every replicate from its summed statistics (one row per replicate), batched."""
    beta, ok = batched_solve(rep.ZZ, rep.ZY)
    dof = rep.count - n - 1
    ok &= dof > 0
    beta = beta[ok]
    sub = SessionStats(ZZ=rep.ZZ[ok], ZY=rep.ZY[ok], YY=rep.YY[ok], Ysum=rep.Ysum[ok], count=rep.count[ok])
    cnt = sub.count
    A = np.swapaxes(beta[:, :n, :], 1, 2)
    b = beta[:, n, :]
    sse = residual_sscp(sub, beta)
    Q = sse / (cnt - n - 1)[:, None, None]
    lam = np.linalg.eigvals(A)
    eig_real = np.sort(lam.real, axis=1)
    sst = centred_sscp(sub)
    sst_d = np.einsum("kii->ki", sst)
    sse_d = np.einsum("kii->ki", sse)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - sse_d.sum(axis=1) / sst_d.sum(axis=1)
        r2_obj = 1.0 - sse_d / sst_d
        sd = np.sqrt(np.clip(sst_d, 0.0, None))
        corr = sst / (sd[:, :, None] * sd[:, None, :])
    corr[~np.isfinite(corr)] = 0.0
    idx = np.arange(n)
    corr[:, idx, idx] = 0.0
    return BootstrapResult(
        strategy=strategy, objectives=objectives, n_replicates=int(rep.count.shape[0]),
        n_failed=int((~ok).sum()), seed=seed, level=level, A=A, b=b, Q=Q, eig_real=eig_real,
        convergence_rate=-eig_real[:, -1], discrete_stability=np.abs(1.0 + lam).max(axis=1),
        r2=r2, r2_by_objective=r2_obj, interference=corr,
    )


def bootstrap_arrays(X: np.ndarray, dX: np.ndarray, session: np.ndarray, n_replicates: int, *,
                     seed: int = 0, level: float = 0.9, objectives: tuple[str, ...] | None = None,
                     strategy: str | None = None) -> BootstrapResult:
    """Session bootstrap from pooled transitions (rows grouped by session)."""
    X = np.asarray(X, dtype=float)
    dX = np.asarray(dX, dtype=float)
    n = X.shape[1]
    names = objectives or tuple(f"x{i}" for i in range(n))
    _, starts = session_codes(session)
    check_design(X, names, strategy, int(starts.size))
    if n_replicates < 1:
        raise FitError(f"{strategy_label(strategy)}: the bootstrap needs at least 1 replicate, got {n_replicates}")
    if starts.size < 2:
        raise FitError(f"{strategy_label(strategy)}: a session bootstrap needs at least 2 sessions, "
                       f"found {starts.size}")
    stats = session_stats(X, dX, session)
    W = resample_counts(stats.n_sessions, n_replicates, np.random.default_rng(seed))
    return bootstrap_stats(stats, n, W, objectives=tuple(names), strategy=strategy, seed=seed, level=level)


def bootstrap_fits(traj: Trajectories, strategy: str | None, n: int, seed: int = 0, *,
                   level: float = 0.9) -> BootstrapResult:
    """Session bootstrap of ``fit_drift(traj, strategy)`` with ``n`` replicates.

    Resamples whole sessions of ``strategy`` (None: all transitions pooled),
    seeded by ``seed``; intervals are percentile intervals at ``level``.
    """
    tr = traj.transitions(strategy)
    return bootstrap_arrays(tr.X, tr.dX, tr.session, n, seed=seed, level=level,
                            objectives=traj.objectives, strategy=strategy)
