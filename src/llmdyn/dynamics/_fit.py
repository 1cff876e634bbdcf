"""The drift fit (DESIGN §3, §6): pooled least squares of ``ΔX`` on ``[X, 1]``.

All transitions of one strategy, from all its sessions, are pooled into one
regression ``ΔX_t = A X_t + b + ε_t``. The residual covariance
``Q = EᵀE / (m − n − 1)`` is the diffusion of one iteration. Designs that
cannot identify the ``n + 1`` coefficients per objective (too few
transitions, a constant objective, collinear objectives) are named and
refused before any numerics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import FitError, LlmdynError
from ._lsq import SessionStats, batched_solve, design, session_codes, session_stats
from ._model import DEFAULT_BOUNDS, DriftModel
from ._spectrum import Equilibrium, Regime, Spectrum, equilibrium_of, classify_regime, spectrum_of
from ._trajectories import Trajectories

COLLINEAR_TOL = 1e-10
ILL_CONDITIONED = 1e8


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def strategy_label(strategy: str | None) -> str:
    """How messages name a fit: ``strategy FF`` or ``all strategies pooled``."""
    return "all strategies pooled" if strategy is None else f"strategy {strategy}"


@dataclass(frozen=True)
class R2:
    """Predictive accuracy for the one-step change ``ΔX``.

    ``in_sample`` and ``cv`` (session-grouped cross-validation, out of sample)
    are ``1 − ΣSS_res / ΣSS_tot`` over all objectives; the ``*_by_objective``
    maps give each objective's own value. ``None`` where undefined.
    """

    in_sample: float | None
    cv: float | None
    in_sample_by_objective: dict[str, float | None] = field(default_factory=dict)
    cv_by_objective: dict[str, float | None] = field(default_factory=dict)
    cv_folds: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"in_sample": self.in_sample, "cv": self.cv,
                "in_sample_by_objective": dict(self.in_sample_by_objective),
                "cv_by_objective": dict(self.cv_by_objective), "cv_folds": self.cv_folds}


def r2_scores(ss_res: np.ndarray, ss_tot: np.ndarray) -> tuple[float | None, list[float | None]]:
    """Overall ``1 − ΣSS_res/ΣSS_tot`` and per-objective R² (None where SS_tot = 0)."""
    per = [(_num(1.0 - r / t) if t > 0 else None) for r, t in zip(ss_res, ss_tot)]
    total = float(ss_tot.sum())
    overall = _num(1.0 - float(ss_res.sum()) / total) if total > 0 else None
    return overall, per


@dataclass(frozen=True, eq=False)
class DriftFit:
    """A fitted :class:`DriftModel` plus what only estimation knows.

    ``se_A`` (n, n) and ``se_b`` (n,) are OLS standard errors
    (``Var vec β = Q ⊗ (ZᵀZ)⁻¹``); ``residuals`` (m, n) are in transition
    order with ``session`` (m,) their session index in the trajectories.
    """

    model: DriftModel
    strategy: str | None
    se_A: np.ndarray
    se_b: np.ndarray
    r2: R2
    n_sessions: int
    n_transitions: int
    residuals: np.ndarray
    session: np.ndarray
    warnings: tuple[str, ...] = ()

    @property
    def objectives(self) -> tuple[str, ...]:
        return self.model.objectives

    @property
    def spectrum(self) -> Spectrum:
        """Eigenvalues, convergence rate, discrete stability of the fitted ``A``."""
        return spectrum_of(self.model.A)

    @property
    def regime(self) -> Regime:
        """Regime of the fitted model, with default tolerances."""
        return classify_regime(self.model)

    @property
    def equilibrium(self) -> Equilibrium:
        """Equilibrium of the fitted model against its box."""
        return equilibrium_of(self.model)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the per-strategy object of ``llmdyn fit --format json``)."""
        spec, reg, eq = self.spectrum, self.regime, self.equilibrium
        return {
            "A": self.model.A.tolist(),
            "b": self.model.b.tolist(),
            "Q": self.model.Q.tolist(),
            "se_A": self.se_A.tolist(),
            "se_b": self.se_b.tolist(),
            "eigenvalues": spec.to_dict()["eigenvalues"],
            "convergence_rate": spec.convergence_rate,
            "discrete_stability": spec.discrete_stability,
            "stable": spec.stable,
            "regime": reg.kind,
            "regime_reason": reg.reason,
            "overshoot": reg.overshoot,
            "frequency": reg.frequency,
            "equilibrium": list(eq.point),
            "equilibrium_inside": eq.inside,
            "equilibrium_distance": eq.distance,
            "equilibrium_singular": eq.singular,
            "equilibrium_violations": list(eq.violations),
            "r2": self.r2.to_dict(),
            "n_sessions": self.n_sessions,
            "n_transitions": self.n_transitions,
            "bounds": [list(self.model.bounds[0]), list(self.model.bounds[1])],
            "warnings": list(self.warnings),
        }


def check_design(X: np.ndarray, objectives: Sequence[str], strategy: str | None, n_sessions: int) -> list[str]:
    """Refuse designs that cannot identify ``A`` and ``b``; return soft warnings.

    Raises :class:`FitError` naming the strategy and the objective(s) when
    there are too few transitions, an objective is constant, or objectives are
    collinear.
    """
    label = strategy_label(strategy)
    m, n = X.shape
    if m == 0:
        raise FitError(f"{label}: no transitions; check the strategy name")
    need = n + 2
    if m < need:
        raise FitError(
            f"{label}: {m} transition{'s' if m != 1 else ''} from {n_sessions} session"
            f"{'s' if n_sessions != 1 else ''}, but fitting {n} objective{'s' if n != 1 else ''} "
            f"needs at least {need} ({n + 1} coefficients per objective plus one degree of freedom for Q); "
            f"collect more sessions or drop objectives with --objectives"
        )
    span = X.max(axis=0) - X.min(axis=0)
    scale = np.maximum(1.0, np.abs(X).max(axis=0))
    const = np.flatnonzero(span <= 1e-12 * scale)
    if const.size:
        parts = [f"{objectives[j]} is constant ({float(X[0, j])!r})" for j in const]
        raise FitError(
            f"{label}: {' and '.join(parts)} in all {m} transitions; drop "
            f"{'it' if const.size == 1 else 'them'} with --objectives or collect more varied sessions"
        )
    Xc = (X - X.mean(axis=0)) / span
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    if s[-1] <= COLLINEAR_TOL * s[0]:
        v = Vt[-1]
        involved = [objectives[j] for j in np.flatnonzero(np.abs(v) > 0.1 * np.abs(v).max())]
        raise FitError(
            f"{label}: objectives {', '.join(involved)} are collinear in all {m} transitions "
            f"(one is a linear function of the others), so their drift cannot be separated; "
            f"drop one with --objectives or collect more varied sessions"
        )
    warnings = []
    if (s[0] / s[-1]) ** 2 > ILL_CONDITIONED:
        warnings.append(f"{label}: the states are nearly collinear (condition number {(s[0] / s[-1]) ** 2:.2g}); "
                        f"standard errors will be large")
    if m < 5 * (n + 1):
        warnings.append(f"{label}: only {m} transitions for {n + 1} coefficients per objective; "
                        f"estimates are rough")
    return warnings


def _cross_validate(X: np.ndarray, dX: np.ndarray, session: np.ndarray, stats: SessionStats,
                    folds: int, seed: int) -> tuple[np.ndarray, int, int]:
    """Session-grouped K-fold: out-of-fold squared errors per objective (n,), the
    number of folds, and how many training folds could not identify the drift."""
    codes, _ = session_codes(session)
    S = stats.n_sessions
    K = min(folds, S)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(S, dtype=np.intp)
    fold_of[rng.permutation(S)] = np.arange(S) % K
    member = np.zeros((K, S))
    member[fold_of, np.arange(S)] = 1.0
    train = stats.combine(1.0 - member)
    beta, ok = batched_solve(train.ZZ, train.ZY)
    pred = np.einsum("mp,mpn->mn", design(X), beta[fold_of[codes]])
    return ((dX - pred) ** 2).sum(axis=0), K, int((~ok).sum())


def fit_arrays(X: np.ndarray, dX: np.ndarray, session: np.ndarray, *, objectives: Sequence[str],
               strategy: str | None = None, bounds: Any = DEFAULT_BOUNDS, cv_folds: int = 5,
               seed: int = 0) -> DriftFit:
    """Fit the drift from pooled transitions (rows grouped by session)."""
    X = np.asarray(X, dtype=float)
    dX = np.asarray(dX, dtype=float)
    m, n = X.shape
    _, starts = session_codes(session)
    n_sessions = int(starts.size)
    warnings = check_design(X, objectives, strategy, n_sessions)

    Z = design(X)
    beta, *_ = np.linalg.lstsq(Z, dX, rcond=None)
    E = dX - Z @ beta
    dof = m - n - 1
    Q = E.T @ E / dof
    Q = 0.5 * (Q + Q.T)
    Ginv = np.linalg.inv(Z.T @ Z)
    se = np.sqrt(np.clip(np.outer(np.diag(Q), np.diag(Ginv)), 0.0, None))  # (n objectives, p regressors)
    model = DriftModel(A=beta[:n].T, b=beta[n], Q=Q, objectives=tuple(objectives), bounds=bounds)

    ss_tot = ((dX - dX.mean(axis=0)) ** 2).sum(axis=0)
    r2_in, r2_in_obj = r2_scores((E ** 2).sum(axis=0), ss_tot)
    label = strategy_label(strategy)
    if n_sessions >= 2 and cv_folds >= 2:
        stats = session_stats(X, dX, session)
        sse_cv, K, bad = _cross_validate(X, dX, session, stats, cv_folds, seed)
        r2_cv, r2_cv_obj = r2_scores(sse_cv, ss_tot)
        if bad:
            warnings.append(f"{label}: in {bad} of {K} cross-validation folds the remaining sessions cannot "
                            f"identify the drift (minimum-norm fit used); the cross-validated R² is rough")
    else:
        r2_cv, r2_cv_obj, K = None, [None] * n, 0
        warnings.append(f"{label}: cross-validated R² needs at least 2 sessions (and folds); not computed")
    for name, val in zip(objectives, r2_in_obj):
        if val is None:
            warnings.append(f"{label}: {name} never changes from one iteration to the next; its R² is undefined")
    r2 = R2(in_sample=r2_in, cv=r2_cv, in_sample_by_objective=dict(zip(objectives, r2_in_obj)),
            cv_by_objective=dict(zip(objectives, r2_cv_obj)), cv_folds=K)
    E.setflags(write=False)
    return DriftFit(model=model, strategy=strategy, se_A=se[:, :n], se_b=se[:, n], r2=r2,
                    n_sessions=n_sessions, n_transitions=m, residuals=E,
                    session=np.asarray(session), warnings=tuple(warnings))


def fit_drift(traj: Trajectories, strategy: str | None = None, *, bounds: Any = DEFAULT_BOUNDS,
              cv_folds: int = 5, seed: int = 0) -> DriftFit:
    """Fit ``ΔX = A X + b + ε`` to all transitions of ``strategy`` (None: all pooled).

    Parameters
    ----------
    traj : validated trajectories.
    strategy : the strategy whose transitions are pooled; None pools every transition.
    bounds : feasible box ``(lo, hi)`` for the equilibrium and regime.
    cv_folds : folds of the session-grouped cross-validation of R².
    seed : seeds the assignment of sessions to folds.
    """
    if strategy is not None and str(strategy) not in traj.strategies:
        raise FitError(f"strategy {strategy} has no transitions; strategies in {traj.source}: "
                       f"{', '.join(traj.strategies)}")
    tr = traj.transitions(strategy)
    return fit_arrays(tr.X, tr.dX, tr.session, objectives=traj.objectives,
                      strategy=None if strategy is None else str(strategy),
                      bounds=bounds, cv_folds=cv_folds, seed=seed)


@dataclass(frozen=True)
class StrategyModels:
    """Point-estimate drift models per strategy, and why the others could not be fitted."""

    models: dict[str, DriftModel]
    failures: dict[str, str]


def fit_models(traj: Trajectories, strategies: Sequence[str], *,
               bounds: Any = DEFAULT_BOUNDS) -> StrategyModels:
    """Fit each of ``strategies`` on its own; a strategy that cannot be fitted is
    recorded with the reason instead of stopping the others (policies need
    whichever models the data supports)."""
    models: dict[str, DriftModel] = {}
    failures: dict[str, str] = {}
    for s in strategies:
        try:
            models[s] = fit_drift(traj, s, bounds=bounds).model
        except LlmdynError as exc:
            failures[s] = str(exc)
    return StrategyModels(models, failures)
