"""Least squares of ``ΔX`` on ``[X, 1]`` from per-session sufficient statistics.

The drift fit, its session-grouped cross-validation and the session bootstrap
all solve the same normal equations on different weightings of whole
sessions. Summing each session's ``ZᵀZ``, ``ZᵀY``, ``YᵀY``, ``ΣY`` and count
once turns every one of those fits into a matrix product with a weight matrix
(folds × sessions, or replicates × sessions) and one batched solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SessionStats:
    """Per-session sums for the regression of ``Y = ΔX`` on ``Z = [X, 1]``.

    Shapes: ``ZZ`` (S, p, p), ``ZY`` (S, p, n), ``YY`` (S, n, n), ``Ysum`` (S, n),
    ``count`` (S,), with p = n + 1.
    """

    ZZ: np.ndarray
    ZY: np.ndarray
    YY: np.ndarray
    Ysum: np.ndarray
    count: np.ndarray

    @property
    def n_sessions(self) -> int:
        return int(self.count.shape[0])

    def packed(self) -> np.ndarray:
        """All statistics side by side, shape (S, p² + p·n + n² + n + 1)."""
        S = self.count.shape[0]
        return np.concatenate([self.ZZ.reshape(S, -1), self.ZY.reshape(S, -1), self.YY.reshape(S, -1),
                               self.Ysum, self.count[:, None]], axis=1)

    @classmethod
    def unpack(cls, packed: np.ndarray, n: int) -> "SessionStats":
        """Inverse of :meth:`packed` for ``n`` objectives (rows: sessions or replicates)."""
        p = n + 1
        k = packed.shape[0]
        zz, zy, yy, ysum, cnt = np.split(packed, np.cumsum([p * p, p * n, n * n, n]), axis=1)
        return cls(ZZ=zz.reshape(k, p, p), ZY=zy.reshape(k, p, n), YY=yy.reshape(k, n, n),
                   Ysum=ysum, count=cnt[:, 0])

    def combine(self, W: np.ndarray) -> "SessionStats":
        """Weighted sums over sessions for each row of ``W`` (k, S): one matrix product."""
        return SessionStats.unpack(W @ self.packed(), self.Ysum.shape[1])


def design(X: np.ndarray) -> np.ndarray:
    """``[X, 1]``: the regressors of the drift fit, shape (m, n + 1)."""
    return np.hstack([X, np.ones((X.shape[0], 1))])


def session_stats(X: np.ndarray, dX: np.ndarray, session: np.ndarray) -> SessionStats:
    """Sum the sufficient statistics of each session (rows grouped by session).

    Sessions are renumbered 0..S-1 in order of first appearance (see
    :func:`session_codes` for the map).
    """
    codes, starts = session_codes(session)
    m, n = dX.shape
    V = np.hstack([design(X), dX])  # (m, p + n): per-session Vᵀ V holds ZᵀZ, ZᵀY and YᵀY
    lengths = np.diff(np.r_[starts, m])
    S, longest = starts.size, int(lengths.max(initial=0))
    if S * longest <= 4 * m:
        # Pad sessions to equal length (zero rows add nothing) and let batched matmul sum them.
        padded = np.zeros((S, longest, V.shape[1]))
        padded[codes, np.arange(m) - starts[codes]] = V
        G = np.matmul(padded.transpose(0, 2, 1), padded)
        Ysum = padded[:, :, n + 1:].sum(axis=1)
    else:  # very unequal lengths: sum outer products row by row
        G = np.add.reduceat(V[:, :, None] * V[:, None, :], starts, axis=0)
        Ysum = np.add.reduceat(dX, starts, axis=0)
    p = n + 1
    return SessionStats(ZZ=np.ascontiguousarray(G[:, :p, :p]), ZY=np.ascontiguousarray(G[:, :p, p:]),
                        YY=np.ascontiguousarray(G[:, p:, p:]), Ysum=Ysum, count=lengths.astype(float))


def session_codes(session: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..S-1 for rows grouped by session, and each group's first row."""
    session = np.asarray(session)
    if session.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    new = np.r_[True, session[1:] != session[:-1]]
    codes = np.cumsum(new) - 1
    return codes.astype(np.intp), np.flatnonzero(new)


def batched_solve(G: np.ndarray, C: np.ndarray, rcond: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``G β = C`` for a stack of symmetric ``G`` (k, p, p), ``C`` (k, p, n).

    Returns ``β`` (k, p, n) and a mask ``ok`` (k,) of well-posed systems; an
    ill-posed one (e.g. a bootstrap replicate in which an objective is
    constant) gets the minimum-norm solution and ``ok = False``.
    """
    # Scale to unit diagonal so the conditioning test does not depend on units.
    d = np.sqrt(np.clip(np.einsum("kii->ki", G), 1e-300, None))
    Gs = G / d[:, :, None] / d[:, None, :]
    w = np.linalg.eigvalsh(Gs)
    ok = w[:, 0] > rcond * w[:, -1]
    beta = np.empty(C.shape, dtype=float)
    if ok.any():
        beta[ok] = np.linalg.solve(Gs[ok], C[ok] / d[ok][:, :, None]) / d[ok][:, :, None]
    if (~ok).any():
        beta[~ok] = np.linalg.pinv(Gs[~ok], rcond=rcond, hermitian=True) @ (C[~ok] / d[~ok][:, :, None])
        beta[~ok] /= d[~ok][:, :, None]
    return beta, ok


def residual_sscp(stats: SessionStats, beta: np.ndarray) -> np.ndarray:
    """``EᵀE`` at the least-squares solution: ``YᵀY − βᵀ ZᵀY`` (k, n, n), symmetrised."""
    E = stats.YY - np.einsum("kpi,kpj->kij", beta, stats.ZY)
    return 0.5 * (E + np.swapaxes(E, 1, 2))


def centred_sscp(stats: SessionStats) -> np.ndarray:
    """``Σ (Y − Ȳ)(Y − Ȳ)ᵀ`` (k, n, n) from the summed statistics."""
    cnt = np.clip(stats.count, 1e-300, None)
    return stats.YY - stats.Ysum[:, :, None] * stats.Ysum[:, None, :] / cnt[:, None, None]
