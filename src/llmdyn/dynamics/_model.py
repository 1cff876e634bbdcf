"""The linear drift model ``dX = (A X + b) dt + Σ dW``, usable without a fit.

A :class:`DriftModel` holds what defines the process (``A``, ``b``, ``Q = Σ Σᵀ``,
objective names and the feasible box). Everything that follows from those
numbers alone hangs off it: spectrum, regime, equilibrium, simulation and
forecasts. What only estimation knows (standard errors, R², counts) lives on
``DriftFit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FitError

if TYPE_CHECKING:  # pragma: no cover
    from ._simulate import Forecast
    from ._spectrum import Equilibrium, Regime, Spectrum

DEFAULT_BOUNDS = (0.0, 10.0)


def _readonly(a: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.array(a, dtype=float)
    if arr.shape != shape:
        raise FitError(f"{name} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise FitError(f"{name} has non-finite entries")
    arr.setflags(write=False)
    return arr


def box_arrays(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the feasible box, each of shape (n,).

    ``bounds`` is ``(lo, hi)`` scalars, or a pair of length-n sequences.
    """
    lo, hi = bounds
    lo_a = np.broadcast_to(np.asarray(lo, dtype=float), (n,)).copy()
    hi_a = np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy()
    if np.any(lo_a >= hi_a):
        raise FitError(f"feasible box needs lower < upper, got {lo_a.tolist()} and {hi_a.tolist()}")
    return lo_a, hi_a


@dataclass(frozen=True, eq=False)
class DriftModel:
    """Linear drift ``f(X) = A X + b`` with constant diffusion ``Σ Σᵀ = Q``.

    Parameters
    ----------
    A : (n, n) drift matrix (continuous time; the h = 1 map is ``I + A``).
    b : (n,) intercept.
    Q : (n, n) covariance of one unit step's noise.
    objectives : names of the n objectives, in column order.
    bounds : the feasible box, ``(lo, hi)`` scalars or length-n sequences.
    """

    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    objectives: tuple[str, ...] = ()
    bounds: tuple[Any, Any] = field(default=DEFAULT_BOUNDS)

    def __post_init__(self) -> None:
        A = np.asarray(self.A, dtype=float)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise FitError(f"A must be a square matrix, got shape {A.shape}")
        n = A.shape[0]
        object.__setattr__(self, "A", _readonly(A, (n, n), "A"))
        object.__setattr__(self, "b", _readonly(self.b, (n,), "b"))
        Q = _readonly(self.Q, (n, n), "Q")
        if not np.allclose(Q, Q.T, atol=1e-10 * max(1.0, float(np.abs(Q).max()))):
            raise FitError("Q must be symmetric")
        object.__setattr__(self, "Q", Q)
        names = tuple(self.objectives) or tuple(f"x{i}" for i in range(n))
        if len(names) != n:
            raise FitError(f"{len(names)} objective names for a {n}-dimensional model")
        object.__setattr__(self, "objectives", names)
        lo, hi = box_arrays(self.bounds, n)
        object.__setattr__(self, "bounds", (tuple(lo.tolist()), tuple(hi.tolist())))

    # -- basic quantities -------------------------------------------------
    @property
    def n(self) -> int:
        """Number of objectives."""
        return self.A.shape[0]

    @property
    def lower(self) -> np.ndarray:
        """Lower corner of the feasible box, shape (n,)."""
        return np.asarray(self.bounds[0], dtype=float)

    @property
    def upper(self) -> np.ndarray:
        """Upper corner of the feasible box, shape (n,)."""
        return np.asarray(self.bounds[1], dtype=float)

    @property
    def step_matrix(self) -> np.ndarray:
        """``I + A``: the one-iteration (h = 1) transition matrix."""
        return np.eye(self.n) + self.A

    @property
    def diffusion(self) -> np.ndarray:
        """Lower-triangular Σ with ``Σ Σᵀ = Q`` (PSD-safe for singular Q)."""
        try:
            return np.linalg.cholesky(self.Q)
        except np.linalg.LinAlgError:
            w, V = np.linalg.eigh(self.Q)
            root = V * np.sqrt(np.clip(w, 0.0, None))
            # QR of rootᵀ gives a triangular factor with the same product.
            _, r = np.linalg.qr(root.T)
            L = r.T
            signs = np.sign(np.diag(L))
            signs[signs == 0] = 1.0
            return L * signs

    def drift(self, x: np.ndarray) -> np.ndarray:
        """``A x + b`` for states of shape (..., n)."""
        x = np.asarray(x, dtype=float)
        return x @ self.A.T + self.b

    # -- delegated analysis (implemented in sibling modules) ---------------
    def spectrum(self) -> "Spectrum":
        """Eigenvalues, convergence rate and discrete stability of ``A``."""
        from ._spectrum import spectrum_of

        return spectrum_of(self.A)

    def regime(self, **tolerances: float) -> "Regime":
        """Dynamical regime (exponential, oscillatory, boundary) with its reason."""
        from ._spectrum import classify_regime

        return classify_regime(self, **tolerances)

    def equilibrium(self) -> "Equilibrium":
        """``X* = −A⁻¹ b`` and where it lies against the feasible box."""
        from ._spectrum import equilibrium_of

        return equilibrium_of(self)

    def simulate(self, x0: Any, steps: int, **kwargs: Any) -> np.ndarray:
        """Euler–Maruyama paths from ``x0``; see ``euler_maruyama`` for options."""
        from ._simulate import simulate_model

        return simulate_model(self, x0, steps, **kwargs)

    def forecast(self, x0: Any, steps: int, level: float = 0.9, **kwargs: Any) -> "Forecast":
        """Mean and ``level`` bands of the next ``steps`` iterations from ``x0``."""
        from ._simulate import forecast_model

        return forecast_model(self, x0, steps, level=level, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form of the model."""
        return {
            "objectives": list(self.objectives),
            "A": self.A.tolist(),
            "b": self.b.tolist(),
            "Q": self.Q.tolist(),
            "bounds": [list(self.bounds[0]), list(self.bounds[1])],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DriftModel":
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                A=np.asarray(d["A"], dtype=float),
                b=np.asarray(d["b"], dtype=float),
                Q=np.asarray(d["Q"], dtype=float),
                objectives=tuple(d.get("objectives", ())),
                bounds=tuple(d.get("bounds", DEFAULT_BOUNDS)),  # type: ignore[arg-type]
            )
        except KeyError as exc:
            raise FitError(f"saved model is missing key {exc.args[0]!r}") from None
