"""Interference between objectives (DESIGN §5) and the residual whiteness check.

Two correlation matrices answer different questions and are kept apart:

- the **interference matrix** ``I_ij = corr(ΔX_i, ΔX_j)`` over transitions
  (diagonal 0): do the step changes of two objectives move together? A
  negative entry is a trade-off — improving one tends to cost the other;
- the **residual correlation** ``corr(ε_i, ε_j)`` from ``Q``: once the drift
  has explained what it can, is the *noise* of two objectives shared?

Ljung–Box on the pooled residuals, per objective, checks that the one-step
Markov model leaves no serial correlation within sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import special

STEP_CHANGE = "step_change"
RESIDUAL = "residual"
DESCRIPTIONS = {
    STEP_CHANGE: "interference: corr(ΔX_i, ΔX_j) of the one-step changes over transitions; "
                 "negative = trade-off (diagonal set to 0)",
    RESIDUAL: "residual correlation: corr(ε_i, ε_j) of the drift fit's residuals (from Q); "
              "shared noise after the drift is removed (diagonal set to 0)",
}


def _clean(a: np.ndarray) -> list:
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]


@dataclass(frozen=True, eq=False)
class InterferenceMatrix:
    """A correlation matrix between objectives with two-sided p-values.

    ``kind`` is ``"step_change"`` (the interference matrix) or ``"residual"``
    (residual correlation); ``matrix`` has a zero diagonal, ``p_values`` a NaN
    diagonal; ``lower``/``upper`` are bootstrap intervals when attached.
    """

    matrix: np.ndarray
    p_values: np.ndarray
    objectives: tuple[str, ...]
    n_transitions: int
    kind: str = STEP_CHANGE
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    level: float | None = None

    @property
    def description(self) -> str:
        """What this matrix measures, for labels in tables."""
        return DESCRIPTIONS[self.kind]

    def with_intervals(self, lower: np.ndarray, upper: np.ndarray, level: float) -> "InterferenceMatrix":
        """A copy carrying bootstrap intervals (diagonals 0)."""
        lo, hi = np.array(lower, dtype=float), np.array(upper, dtype=float)
        np.fill_diagonal(lo, 0.0)
        np.fill_diagonal(hi, 0.0)
        return InterferenceMatrix(self.matrix, self.p_values, self.objectives, self.n_transitions,
                                  self.kind, lo, hi, level)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; the undefined diagonal p-values are ``null``."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "description": self.description,
            "objectives": list(self.objectives),
            "matrix": _clean(self.matrix),
            "p_values": _clean(self.p_values),
            "n_transitions": self.n_transitions,
        }
        if self.lower is not None and self.upper is not None:
            out["intervals"] = {"level": self.level, "lower": _clean(self.lower), "upper": _clean(self.upper)}
        return out


def correlation_pvalues(r: np.ndarray, m: int, dof_loss: int = 0) -> np.ndarray:
    """Two-sided p-values of Pearson correlations ``r`` from ``m`` pairs.

    ``t = r √(df / (1 − r²))`` with ``df = m − 2 − dof_loss`` (as
    ``scipy.stats.pearsonr`` for ``dof_loss = 0``).
    """
    df = m - 2 - dof_loss
    if df <= 0:
        return np.full_like(r, np.nan, dtype=float)
    r = np.clip(r, -1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / np.clip(1.0 - r * r, 0.0, None))
    return 2.0 * special.stdtr(df, -np.abs(t))  # Student-t survival function


def correlation_matrix(values: np.ndarray) -> np.ndarray:
    """Pearson correlations of the columns of ``values`` (m, n); 0 where a column is constant."""
    V = np.asarray(values, dtype=float)
    V = V - V.mean(axis=0)
    ss = np.sqrt((V * V).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = (V.T @ V) / np.outer(ss, ss)
    R[~np.isfinite(R)] = 0.0
    return np.clip(R, -1.0, 1.0)


def interference_matrix(dX: np.ndarray, objectives: Sequence[str] | None = None, *,
                        kind: str = STEP_CHANGE, dof_loss: int = 0) -> InterferenceMatrix:
    """``corr(ΔX_i, ΔX_j)`` over transitions, diagonal 0, with p-values.

    Pass residuals and ``kind="residual"`` (and ``dof_loss = n`` regressors
    beyond the intercept) for the residual correlation.
    """
    V = np.asarray(dX, dtype=float)
    m, n = V.shape
    names = tuple(objectives) if objectives is not None else tuple(f"x{i}" for i in range(n))
    R = correlation_matrix(V)
    P = correlation_pvalues(R, m, dof_loss)
    const = (V.max(axis=0) - V.min(axis=0)) == 0 if m else np.ones(n, bool)
    P[const, :] = np.nan
    P[:, const] = np.nan
    np.fill_diagonal(R, 0.0)
    np.fill_diagonal(P, np.nan)
    return InterferenceMatrix(matrix=R, p_values=P, objectives=names, n_transitions=m, kind=kind)


def residual_correlation(Q: np.ndarray, objectives: Sequence[str], n_transitions: int) -> InterferenceMatrix:
    """Correlation implied by the residual covariance ``Q`` (diagonal 0), with p-values.

    The p-values use ``m − n − 1`` residual degrees of freedom (``n`` slopes
    and an intercept were fitted).
    """
    Q = np.asarray(Q, dtype=float)
    n = Q.shape[0]
    d = np.sqrt(np.clip(np.diag(Q), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = Q / np.outer(d, d)
    R[~np.isfinite(R)] = 0.0
    R = np.clip(R, -1.0, 1.0)
    P = correlation_pvalues(R, n_transitions, dof_loss=n - 1)
    np.fill_diagonal(R, 0.0)
    np.fill_diagonal(P, np.nan)
    return InterferenceMatrix(matrix=R, p_values=P, objectives=tuple(objectives),
                              n_transitions=n_transitions, kind=RESIDUAL)


@dataclass(frozen=True)
class LjungBox:
    """Ljung–Box test of no serial correlation, per objective, on pooled residuals.

    ``statistic``/``p_value`` map objective -> value; ``lags`` autocorrelations
    were pooled within sessions. A small p-value says the one-step Markov
    model leaves structure in the residuals.
    """

    statistic: dict[str, float]
    p_value: dict[str, float]
    lags: int
    n_residuals: int
    n_sessions: int

    def rejected(self, alpha: float = 0.05) -> tuple[str, ...]:
        """Objectives whose residuals are not white at level ``alpha``."""
        return tuple(k for k, p in self.p_value.items() if p < alpha)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: ``statistic`` and ``p_value`` are lists in ``objectives`` order."""
        return {"objectives": list(self.statistic), "lags": self.lags, "df": self.lags,
                "n_residuals": self.n_residuals, "n_sessions": self.n_sessions,
                "statistic": list(self.statistic.values()), "p_value": list(self.p_value.values())}


def ljung_box(residuals: np.ndarray, session: np.ndarray | None = None,
              objectives: Sequence[str] | None = None, lags: int | None = None) -> LjungBox | None:
    """Ljung–Box ``Q = N(N+2) Σ_k r_k² / n_k`` per column, pooled within sessions.

    ``r_k`` is the lag-k autocorrelation with products taken only within a
    session (rows grouped by session, in time order) and normalised by the
    pooled variance; ``n_k`` counts the lag-k pairs (``N − k`` for one series,
    where this equals statsmodels' ``acorr_ljungbox``). Degrees of freedom:
    ``lags``. Returns None when no session is long enough for lag 1.
    """
    E = np.asarray(residuals, dtype=float)
    N, n = E.shape
    session = np.zeros(N, dtype=np.intp) if session is None else np.asarray(session)
    names = tuple(objectives) if objectives is not None else tuple(f"x{i}" for i in range(n))
    new = np.r_[True, session[1:] != session[:-1]] if N else np.zeros(0, bool)
    lengths = np.diff(np.r_[np.flatnonzero(new), N])
    longest = int(lengths.max(initial=0))
    if lags is None:
        lags = min(5, longest - 1)
    lags = int(min(lags, longest - 1))
    if lags < 1:
        return None
    Ec = E - E.mean(axis=0)
    denom = (Ec * Ec).sum(axis=0)
    q = np.zeros(n)
    for k in range(1, lags + 1):  # a handful of lags; each is vectorised over all rows
        same = session[k:] == session[:-k]
        n_k = int(same.sum())
        if n_k == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            r_k = (Ec[k:][same] * Ec[:-k][same]).sum(axis=0) / denom
        q += np.nan_to_num(r_k * r_k) / n_k
    q *= N * (N + 2.0)
    p = special.chdtrc(lags, q)  # chi-square survival function
    return LjungBox(statistic={k: float(v) for k, v in zip(names, q)},
                    p_value={k: float(v) for k, v in zip(names, p)},
                    lags=lags, n_residuals=N, n_sessions=int(new.sum()))
