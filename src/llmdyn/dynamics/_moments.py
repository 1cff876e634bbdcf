"""Exact moments of the linear SDE ``dX = (A X + b) dt + Σ dW`` (``Σ Σᵀ = Q``).

Two time models live side by side (DESIGN §7):

* the **h = 1 map** that one LLM iteration is, ``X_{t+1} = (I + A) X_t + b + ε``
  with ``ε ~ N(0, Q)``: its mean and covariance follow an exact recursion, and its
  stationary covariance solves the discrete Lyapunov equation
  ``P = (I+A) P (I+A)ᵀ + Q``;
* the **continuous-time** process: mean ``e^{At} m0 + ∫₀ᵗ e^{As} b ds`` and
  covariance ``e^{At} P0 e^{Aᵀt} + ∫₀ᵗ e^{As} Q e^{Aᵀs} ds`` (the solution of the
  Lyapunov ODE ``Ṗ = A P + P Aᵀ + Q``), both in closed form from the matrix
  exponential of a block matrix (Van Loan), so a singular ``A`` needs no special
  case; its stationary covariance solves ``A P + P Aᵀ + Q = 0``.

The two stationary covariances differ (the paper's finite-step remark): for a
scalar ``a < 0``, ``P_c = q / (−2a)`` while ``P_d = q / (1 − (1+a)²)``, a ratio
``P_d / P_c = 2 / (2 + a)``. :func:`compare_stationary` reports how far apart they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from ..errors import ConfigError, FitError

__all__ = [
    "Moments",
    "StationaryComparison",
    "compare_stationary",
    "continuous_moments",
    "discrete_moments",
    "stationary_covariance",
]


def _system(model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``A, b, Q`` of a DriftModel (or any object carrying those attributes)."""
    try:
        A = np.asarray(model.A, dtype=float)
        b = np.asarray(model.b, dtype=float)
        Q = np.asarray(model.Q, dtype=float)
    except AttributeError:
        raise ConfigError(f"expected a DriftModel (with A, b and Q), got {type(model).__name__}") from None
    return A, b, Q


def _initial(x0: Any, cov0: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    m0 = np.asarray(x0, dtype=float)
    if m0.shape != (n,) or not np.all(np.isfinite(m0)):
        raise ConfigError(f"the initial state must be {n} finite numbers, got shape {m0.shape}")
    P0 = np.zeros((n, n)) if cov0 is None else np.asarray(cov0, dtype=float)
    if P0.shape != (n, n):
        raise ConfigError(f"the initial covariance must have shape ({n}, {n}), got {P0.shape}")
    return m0, P0


@dataclass(frozen=True, eq=False)
class Moments:
    """Mean (k, n) and covariance (k, n, n) of the state at ``times`` (k,)."""

    times: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    kind: str

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations, shape (k, n)."""
        return np.sqrt(np.clip(np.diagonal(self.cov, axis1=1, axis2=2), 0.0, None))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"kind": self.kind, "times": self.times.tolist(), "mean": self.mean.tolist(),
                "cov": self.cov.tolist()}


def discrete_moments(model: Any, x0: Any, steps: int, *, cov0: Any = None, h: float = 1.0) -> Moments:
    """Exact mean and covariance of the Euler–Maruyama map with step ``h``.

    ``X_{k+1} = (I + hA) X_k + h b + √h Σ Z_k`` gives
    ``m_{k+1} = (I + hA) m_k + h b`` and ``P_{k+1} = (I + hA) P_k (I + hA)ᵀ + h Q``.
    With ``h = 1`` this is the model's own one-iteration map, so these are the
    exact forecast moments of the next ``steps`` iterations from ``x0``.
    """
    A, b, Q = _system(model)
    n = A.shape[0]
    m0, P0 = _initial(x0, cov0, n)
    if int(steps) != steps or steps < 0:
        raise ConfigError(f"steps must be a non-negative integer, got {steps!r}")
    if not (np.isfinite(h) and h > 0):
        raise ConfigError(f"step size h must be positive, got {h!r}")
    steps = int(steps)
    M = np.eye(n) + h * A
    mean = np.empty((steps + 1, n))
    cov = np.empty((steps + 1, n, n))
    mean[0], cov[0] = m0, P0
    for k in range(steps):  # a loop over time, not over paths
        mean[k + 1] = M @ mean[k] + h * b
        P = M @ cov[k] @ M.T + h * Q
        cov[k + 1] = 0.5 * (P + P.T)
    return Moments(times=h * np.arange(steps + 1, dtype=float), mean=mean, cov=cov, kind="discrete")


def continuous_moments(model: Any, x0: Any, times: Any, *, cov0: Any = None) -> Moments:
    """Exact mean and covariance of the continuous-time process at ``times``.

    The process moves between consecutive times by its exact transition: the
    mean part read off ``expm([[A, b], [0, 0]] Δ)``, the covariance part off Van
    Loan's ``expm([[−A, Q], [0, Aᵀ]] Δ)``; both hold for singular ``A``, and
    equally spaced times need one pair of matrix exponentials.
    """
    A, b, Q = _system(model)
    n = A.shape[0]
    m0, P0 = _initial(x0, cov0, n)
    ts = np.atleast_1d(np.asarray(times, dtype=float))
    if ts.ndim != 1 or not np.all(np.isfinite(ts)) or np.any(ts < 0):
        raise ConfigError("times must be a 1-D sequence of non-negative numbers")
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n], aug[:n, n] = A, b
    van_loan = np.block([[-A, Q], [np.zeros((n, n)), A.T]])
    cache: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    norm_a = float(np.abs(A).sum(axis=0).max())  # ‖A‖₁

    def transition(dt: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = round(dt, 12)  # equally spaced times share one matrix exponential
        if key not in cache:
            # Van Loan's block loses accuracy once e^{−AΔ} is large, so take it on a
            # short step and double up: (Φ, c, W) over 2δ = (Φ², Φc + c, ΦWΦᵀ + W).
            squarings = max(0, math.ceil(math.log2(max(dt * norm_a / 0.5, 1.0))))
            small = dt / 2.0**squarings
            E = scipy.linalg.expm(aug * small)
            F = scipy.linalg.expm(van_loan * small)
            Phi, c, W = E[:n, :n], E[:n, n], F[n:, n:].T @ F[:n, n:]
            for _ in range(squarings):
                Phi, c, W = Phi @ Phi, Phi @ c + c, Phi @ W @ Phi.T + W
            cache[key] = (Phi, c, W)  # e^{AΔ}, ∫₀^Δ e^{As} b ds, ∫₀^Δ e^{As} Q e^{Aᵀs} ds
        return cache[key]

    mean = np.empty((ts.size, n))
    cov = np.empty((ts.size, n, n))
    m, P, prev = m0, P0, 0.0
    for i in np.argsort(ts, kind="stable"):  # exact transitions between consecutive times
        dt = float(ts[i]) - prev
        if dt > 0:
            Phi, c, integral = transition(dt)
            m = Phi @ m + c
            P = Phi @ P @ Phi.T + integral
            P = 0.5 * (P + P.T)
            prev = float(ts[i])
        mean[i], cov[i] = m, P
    return Moments(times=ts, mean=mean, cov=cov, kind="continuous")


def _continuous_stable(A: np.ndarray) -> bool:
    return bool(np.max(np.linalg.eigvals(A).real) < 0)


def _discrete_stable(A: np.ndarray, h: float) -> bool:
    return bool(np.max(np.abs(np.linalg.eigvals(np.eye(A.shape[0]) + h * A))) < 1)


def stationary_covariance(model: Any, kind: Literal["continuous", "discrete"] = "continuous", *,
                          h: float = 1.0) -> np.ndarray:
    """Stationary covariance of the continuous process or of the step-``h`` map.

    ``continuous`` solves ``A P + P Aᵀ + Q = 0``; ``discrete`` solves
    ``P = (I + hA) P (I + hA)ᵀ + h Q`` (``h = 1``: one LLM iteration).
    Raises :class:`FitError` where the process has no stationary distribution.
    """
    A, _, Q = _system(model)
    if kind == "continuous":
        if not _continuous_stable(A):
            raise FitError("no stationary distribution: A has an eigenvalue with real part >= 0 "
                           f"(max Re λ = {np.max(np.linalg.eigvals(A).real):.4g})")
        P = scipy.linalg.solve_continuous_lyapunov(A, -Q)
    elif kind == "discrete":
        if not (np.isfinite(h) and h > 0):
            raise ConfigError(f"step size h must be positive, got {h!r}")
        if not _discrete_stable(A, h):
            rho = np.max(np.abs(np.linalg.eigvals(np.eye(A.shape[0]) + h * A)))
            raise FitError(f"no stationary distribution of the h = {h:g} map: max |1 + hλ| = {rho:.4g} >= 1")
        P = scipy.linalg.solve_discrete_lyapunov(np.eye(A.shape[0]) + h * A, h * Q)
    else:
        raise ConfigError(f"kind must be 'continuous' or 'discrete', got {kind!r}")
    return 0.5 * (P + P.T)


@dataclass(frozen=True, eq=False)
class StationaryComparison:
    """Stationary laws of the continuous process and of the step-``h`` map, side by side.

    Both share the mean ``X* = −A⁻¹ b`` (a fixed point of ``x ↦ x + h(Ax + b)``
    is a zero of the drift); only the covariances differ. A covariance is
    ``None`` where that process is not stable.
    """

    objectives: tuple[str, ...]
    h: float
    mean: np.ndarray | None
    continuous: np.ndarray | None
    discrete: np.ndarray | None

    @property
    def max_abs_difference(self) -> float | None:
        """``max |P_d − P_c|`` over entries."""
        if self.continuous is None or self.discrete is None:
            return None
        return float(np.max(np.abs(self.discrete - self.continuous)))

    @property
    def relative_difference(self) -> float | None:
        """``‖P_d − P_c‖_F / ‖P_c‖_F``."""
        if self.continuous is None or self.discrete is None:
            return None
        denom = float(np.linalg.norm(self.continuous))
        return float(np.linalg.norm(self.discrete - self.continuous)) / denom if denom > 0 else None

    @property
    def sd_ratio(self) -> np.ndarray | None:
        """Per objective, stationary sd of the map over that of the continuous process."""
        if self.continuous is None or self.discrete is None:
            return None
        dc, dd = np.diag(self.continuous), np.diag(self.discrete)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dc > 0, np.sqrt(np.clip(dd, 0, None) / np.where(dc > 0, dc, 1.0)), np.nan)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        def arr(a: np.ndarray | None) -> Any:
            return None if a is None else a.tolist()

        ratio = self.sd_ratio
        return {
            "objectives": list(self.objectives),
            "h": self.h,
            "mean": arr(self.mean),
            "continuous": arr(self.continuous),
            "discrete": arr(self.discrete),
            "continuous_stable": self.continuous is not None,
            "discrete_stable": self.discrete is not None,
            "max_abs_difference": self.max_abs_difference,
            "relative_difference": self.relative_difference,
            "sd_ratio": None if ratio is None else [None if not np.isfinite(r) else float(r) for r in ratio],
        }


def compare_stationary(model: Any, *, h: float = 1.0) -> StationaryComparison:
    """Continuous versus step-``h`` stationary covariance of ``model`` (finite-step effect)."""
    A, b, _ = _system(model)
    n = A.shape[0]
    try:
        mean: np.ndarray | None = np.linalg.solve(A, -b)
    except np.linalg.LinAlgError:
        mean = None
    cont = stationary_covariance(model, "continuous") if _continuous_stable(A) else None
    disc = stationary_covariance(model, "discrete", h=h) if _discrete_stable(A, h) else None
    names = tuple(getattr(model, "objectives", ())) or tuple(f"x{i}" for i in range(n))
    return StationaryComparison(objectives=names, h=float(h), mean=mean, continuous=cont, discrete=disc)


def psd_root(P: np.ndarray) -> np.ndarray:
    """A root ``L`` with ``L Lᵀ = P`` for a stack of PSD matrices (any leading shape).

    ``P`` is symmetrised and negative eigenvalues (round-off) are clipped to 0,
    so a semi-definite ``P``, where Cholesky fails, still has a root.
    """
    w, V = np.linalg.eigh(0.5 * (P + np.swapaxes(P, -1, -2)))
    return V * np.sqrt(np.clip(w, 0.0, None))[..., None, :]
