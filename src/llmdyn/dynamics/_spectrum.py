"""Spectrum, regime and equilibrium of a drift model (DESIGN §4).

``A``'s eigenvalues decide how a strategy's scores move: the convergence rate
is ``−max Re λ``, the h = 1 map ``I + A`` is stable when ``max |1 + λ| < 1``,
and the regime (exponential, oscillatory, boundary attraction) follows from
the eigenvalues and where the equilibrium ``X* = −A⁻¹ b`` lies against the
feasible box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ._model import DriftModel

ZERO_TOL = 0.05
IMAG_TOL = 1e-3
# radians turned per e-fold of decay below which a complex pair shows no visible swing
IMAG_REL_TOL = 0.25
BOX_TOL = 1e-9
SINGULAR_COND = 1e12


def _fmt(x: float) -> str:
    return f"{x:.3g}".replace("-", "−")


def _fmt_eig(lam: complex) -> str:
    if abs(lam.imag) <= 0:
        return _fmt(lam.real)
    return f"{_fmt(lam.real)} ± {_fmt(abs(lam.imag))}i"


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Eigenvalues of ``A`` (sorted by real part, largest first) and what follows.

    ``convergence_rate = −max Re λ``; ``discrete_stability = max |1 + λ|`` (the
    h = 1 map is stable when it is below 1).
    """

    eigenvalues: np.ndarray
    convergence_rate: float
    discrete_stability: float

    @property
    def stable(self) -> bool:
        """Whether the one-iteration map ``I + A`` is stable (``max |1 + λ| < 1``)."""
        return bool(self.discrete_stability < 1.0)

    @property
    def continuous_stable(self) -> bool:
        """Whether every ``Re λ < 0``."""
        return bool(self.convergence_rate > 0.0)

    @property
    def real_parts(self) -> np.ndarray:
        """Real parts, sorted ascending (the order bootstrap intervals use)."""
        return np.sort(self.eigenvalues.real)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: eigenvalues as ``{"re", "im"}`` objects."""
        return {
            "eigenvalues": [{"re": float(z.real), "im": float(z.imag)} for z in self.eigenvalues],
            "convergence_rate": self.convergence_rate,
            "discrete_stability": self.discrete_stability,
            "stable": self.stable,
        }


@dataclass(frozen=True)
class Equilibrium:
    """``X* = −A⁻¹ b`` (minimum-norm least squares if ``A`` is singular).

    ``inside`` says whether it lies in the feasible box; ``distance`` is its
    Euclidean distance to the box (0 inside); ``violations`` names each
    objective outside, e.g. ``"security > 10"``.
    """

    point: tuple[float, ...]
    inside: bool
    distance: float
    singular: bool
    violations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"point": list(self.point), "inside": self.inside, "distance": self.distance,
                "singular": self.singular, "violations": list(self.violations)}


@dataclass(frozen=True)
class Regime:
    """The dynamical regime with the reason for it.

    ``kind`` is ``"exponential"``, ``"oscillatory"`` or ``"boundary"``;
    ``overshoot`` flags a real ``λ < −1`` (the h = 1 map alternates);
    ``frequency``/``decay`` describe the leading complex pair, if any.
    """

    kind: str
    reason: str
    overshoot: bool
    frequency: float | None = None
    decay: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"kind": self.kind, "reason": self.reason, "overshoot": self.overshoot,
                "frequency": self.frequency, "decay": self.decay}


def _sorted_eigenvalues(A: np.ndarray) -> np.ndarray:
    lam = np.linalg.eigvals(np.asarray(A, dtype=float))
    # Conjugate pairs: make them exact and order by (−Re, −Im) for a stable display.
    lam = np.where(np.abs(lam.imag) < 1e-14 * max(1.0, float(np.abs(lam).max(initial=0.0))), lam.real + 0j, lam)
    order = np.lexsort((-lam.imag, -lam.real))
    return lam[order]


def spectrum_of(A: np.ndarray) -> Spectrum:
    """Eigenvalues, convergence rate and discrete stability of ``A``."""
    lam = _sorted_eigenvalues(A)
    lam.setflags(write=False)
    return Spectrum(
        eigenvalues=lam,
        convergence_rate=float(-lam.real.max()),
        discrete_stability=float(np.abs(1.0 + lam).max()),
    )


def equilibrium_of(model: "DriftModel") -> Equilibrium:
    """Equilibrium of ``model`` and where it lies against ``model.bounds``."""
    A, b = model.A, model.b
    cond = np.linalg.cond(A) if A.size else np.inf
    singular = bool(not np.isfinite(cond) or cond > SINGULAR_COND)
    if singular:
        point = -np.linalg.lstsq(A, b, rcond=None)[0]
    else:
        point = -np.linalg.solve(A, b)
    lo, hi = model.lower, model.upper
    clipped = np.clip(point, lo, hi)
    distance = float(np.linalg.norm(point - clipped))
    violations = []
    for name, x, l_, h_ in zip(model.objectives, point, lo, hi):
        if x > h_ + BOX_TOL:
            violations.append(f"{name} > {h_:g}")
        elif x < l_ - BOX_TOL:
            violations.append(f"{name} < {l_:g}")
    return Equilibrium(point=tuple(float(x) for x in point), inside=not violations,
                       distance=distance, singular=singular, violations=tuple(violations))


def classify_regime(model: "DriftModel", *, zero_tol: float = ZERO_TOL, imag_tol: float = IMAG_TOL,
                    imag_rel_tol: float = IMAG_REL_TOL) -> Regime:
    """Classify the regime of ``model``.

    Boundary attraction when ``max Re λ > −zero_tol`` (the drift barely pulls
    back, or pushes out), when ``A`` is singular, or when the equilibrium lies
    outside the box; otherwise oscillatory when an eigenvalue has
    ``|Im λ| > imag_tol + imag_rel_tol·|Re λ|`` (a pair that turns less than
    ``imag_rel_tol`` radians while its amplitude shrinks by e never shows a
    swing); otherwise exponential. Overshoot (a real ``λ < −1``)
    is flagged in every regime.
    """
    spec = spectrum_of(model.A)
    eq = equilibrium_of(model)
    lam = spec.eigenvalues
    max_re = float(lam.real.max())
    complex_mask = np.abs(lam.imag) > imag_tol + imag_rel_tol * np.abs(lam.real)
    frequency = decay = None
    if complex_mask.any():
        lead = lam[complex_mask][0]
        frequency, decay = float(abs(lead.imag)), float(-lead.real)

    if max_re >= 0:
        kind = "boundary"
        reason = (f"max Re λ = {_fmt(max_re)} ≥ 0: the drift does not pull scores back, "
                  f"so they run to the edge of the box")
    elif max_re > -zero_tol:
        kind = "boundary"
        reason = (f"max Re λ = {_fmt(max_re)} is within {zero_tol:g} of zero: convergence is so slow "
                  f"that scores settle at the edge of the box")
    elif eq.singular:
        kind = "boundary"
        reason = "A is singular: there is no unique equilibrium, scores drift along a line to the box's edge"
    elif not eq.inside:
        pt = ", ".join(_fmt(x) for x in eq.point)
        kind = "boundary"
        reason = (f"the equilibrium ({pt}) lies outside the box ({'; '.join(eq.violations)}), "
                  f"so scores are pulled to the boundary and stop there")
    elif complex_mask.any():
        kind = "oscillatory"
        reason = (f"complex pair λ = {_fmt_eig(lam[complex_mask][0])}: damped oscillation with frequency "
                  f"{_fmt(frequency)} rad per iteration and decay {_fmt(decay)}")
    else:
        kind = "exponential"
        reason = (f"all eigenvalues real and negative ({', '.join(_fmt(z.real) for z in lam)}): "
                  f"exponential approach to the equilibrium at rate {_fmt(spec.convergence_rate)}")

    real_mask = ~complex_mask
    overshoot = bool(np.any(real_mask & (lam.real < -1.0)))
    if overshoot:
        worst = float(lam.real[real_mask].min())
        reason += (f"; overshoot: λ = {_fmt(worst)} < −1 makes 1 + λ negative, so the one-iteration map "
                   f"alternates (period-2) although the continuous model would not")
    return Regime(kind=kind, reason=reason, overshoot=overshoot, frequency=frequency, decay=decay)
