"""Vectorised Euler–Maruyama simulation, forecasts and their bands.

``X_{k+1} = X_k + f(X_k) h + Σ(X_k) ΔW_k`` with ``ΔW_k ~ N(0, h I)`` (DESIGN §2);
one LLM iteration is ``h = 1``. All paths advance together: the engine loops in
Python over time steps only, never over paths. Paths are processed in chunks and
the Gaussian increments of a chunk are drawn for a block of steps at once into a
preallocated buffer, so the working set stays cache-sized and per-step Python
overhead stays small next to the arithmetic. A linear drift (a
:class:`DriftModel`) is one small matrix product per step.

With ``summary=`` the engine streams the mean and covariance at every step (and
quantiles, which need every path at a given step, so then the whole population's
current state is held — never the whole trajectory) instead of returning paths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import ConfigError
from ._model import DriftModel, box_arrays
from ._moments import discrete_moments

__all__ = ["BOUNDARIES", "Forecast", "PathSummary", "euler_maruyama", "forecast_model", "simulate_model"]

BOUNDARIES = ("none", "clip", "reflect")
Boundary = Literal["none", "clip", "reflect"]

# Work sizes in float64 elements: one step of a chunk (~0.4 MB) and one block of
# pre-drawn increments (~2 MB); both fit in cache on common CPUs.
_STEP_ELEMS = 1 << 16
_BLOCK_ELEMS = 1 << 18
DEFAULT_PATHS = 1000


@dataclass(frozen=True, eq=False)
class PathSummary:
    """Per-step statistics over simulated paths, without the paths.

    ``mean`` (steps+1, n); ``cov`` (steps+1, n, n), the sample covariance
    (divisor paths − 1); ``quantiles`` (len(levels), steps+1, n), per coordinate.
    """

    times: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    levels: tuple[float, ...]
    quantiles: np.ndarray
    paths: int

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations, shape (steps+1, n)."""
        return np.sqrt(np.clip(np.diagonal(self.cov, axis1=1, axis2=2), 0.0, None))

    def quantile(self, level: float) -> np.ndarray:
        """The (steps+1, n) quantile at one of the requested ``levels``."""
        for i, q in enumerate(self.levels):
            if math.isclose(q, level, abs_tol=1e-12):
                return self.quantiles[i]
        raise ConfigError(f"quantile level {level} was not requested; requested: {list(self.levels)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"times": self.times.tolist(), "mean": self.mean.tolist(), "cov": self.cov.tolist(),
                "levels": list(self.levels), "quantiles": self.quantiles.tolist(), "paths": self.paths}


# -- argument preparation ------------------------------------------------------
def _as_generator(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise ConfigError(f"rng must be a numpy Generator, an integer seed or None, got {rng!r}") from None


def _initial_states(x0: Any, paths: int | None, n: int | None) -> np.ndarray:
    """``x0`` as a (paths, n) float array."""
    x = np.asarray(x0, dtype=float)
    if x.ndim == 0:
        x = x.reshape(1)
    if x.ndim == 1:
        if n is not None and x.shape[0] != n:
            raise ConfigError(f"the initial state has {x.shape[0]} values, the model has {n} objectives")
        p = DEFAULT_PATHS if paths is None else paths
        out = np.broadcast_to(x, (p, x.shape[0]))
    elif x.ndim == 2:
        if n is not None and x.shape[1] != n:
            raise ConfigError(f"initial states have {x.shape[1]} columns, the model has {n} objectives")
        if paths is not None and paths != x.shape[0]:
            raise ConfigError(f"paths={paths} but {x.shape[0]} initial states were given; give one state or one per path")
        out = x
    else:
        raise ConfigError(f"x0 must be one state (n,) or one per path (paths, n), got shape {x.shape}")
    if out.shape[0] < 1:
        raise ConfigError("paths must be at least 1")
    if not np.all(np.isfinite(out)):
        raise ConfigError("the initial state has non-finite values")
    return out


class _Noise:
    """Diffusion term: constant matrix (n, d), diagonal (n,), scalar, or callable g(x)."""

    def __init__(self, diffusion: Any, n: int, probe: np.ndarray) -> None:
        self.fn: Callable[[np.ndarray], np.ndarray] | None = None
        self.matrix: np.ndarray | None = None  # Σ, (n, d)
        self.diag: np.ndarray | None = None  # σ, (n,)
        if callable(diffusion):
            self.fn = diffusion
            g = np.asarray(diffusion(probe), dtype=float)
            m = probe.shape[0]
            if g.shape == (m, n):
                self.d, self.fn_diag = n, True
            elif g.ndim == 3 and g.shape[:2] == (m, n):
                self.d, self.fn_diag = g.shape[2], False
            else:
                raise ConfigError(f"the diffusion callable must return shape (paths, {n}) (diagonal) or "
                                  f"(paths, {n}, d), got {g.shape} for {m} paths")
            return
        s = np.asarray(diffusion, dtype=float)
        if not np.all(np.isfinite(s)):
            raise ConfigError("the diffusion has non-finite entries")
        if s.ndim == 0:
            self.diag, self.d = np.full(n, float(s)), n
        elif s.shape == (n,):
            self.diag, self.d = s.copy(), n
        elif s.ndim == 2 and s.shape[0] == n:
            self.matrix, self.d = s.copy(), s.shape[1]
        else:
            raise ConfigError(f"the diffusion must be a scalar, a diagonal ({n},), a matrix ({n}, d) or a "
                              f"callable; got shape {s.shape}")

    def apply(self, x: np.ndarray, z: np.ndarray, scale: float) -> np.ndarray:
        """State-dependent noise ``g(x) z · scale`` for one step; z (m, d)."""
        assert self.fn is not None
        g = np.asarray(self.fn(x), dtype=float)
        if self.fn_diag:
            if g.shape != x.shape:
                raise ConfigError(f"the diffusion callable returned shape {g.shape}, expected {x.shape}")
            return g * (z * scale)
        if g.shape != (x.shape[0], x.shape[1], self.d):
            raise ConfigError(f"the diffusion callable returned shape {g.shape}, expected "
                              f"{(x.shape[0], x.shape[1], self.d)}")
        return np.matmul(g, z[:, :, None])[:, :, 0] * scale


def _box(bounds: Any, boundary: str, drift: Any, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    if boundary not in BOUNDARIES:
        raise ConfigError(f"boundary must be one of {', '.join(BOUNDARIES)}, got {boundary!r}")
    if boundary == "none":
        if bounds is not None:
            raise ConfigError("bounds were given with boundary='none'; pass boundary='clip' or 'reflect' to use them")
        return None
    if bounds is None:
        if isinstance(drift, DriftModel):
            return drift.lower, drift.upper
        raise ConfigError(f"boundary={boundary!r} needs bounds=(lo, hi)")
    try:
        return box_arrays(bounds, n)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"bounds must be (lo, hi) scalars or length-{n} sequences with lo < hi ({exc})") from None


def reflect_into(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """``x`` with every value outside ``[lo, hi]`` reflected back in off the walls.

    Folds onto ``[0, 2w)`` (``w = hi − lo``) and mirrors the upper half, so any
    overshoot lands inside; values already in the box are returned unchanged.
    """
    w = hi - lo
    v = w - np.abs(np.mod(x - lo, 2.0 * w) - w)
    return np.where((x < lo) | (x > hi), lo + np.clip(v, 0.0, w), x)


class _Box:
    """The feasible box with its corners tiled to a chunk's (m, n) shape.

    Tiled corners keep every boundary operation a flat, contiguous ufunc call
    (broadcasting a length-n vector over (m, n) rows is several times slower).
    """

    def __init__(self, kind: str, lo: np.ndarray, hi: np.ndarray, m: int) -> None:
        self.kind = kind
        self.lo, self.hi = lo, hi
        self.LO = np.ascontiguousarray(np.broadcast_to(lo, (m, lo.size)))
        self.HI = np.ascontiguousarray(np.broadcast_to(hi, (m, hi.size)))

    def apply(self, x: np.ndarray) -> None:
        """Keep the rows of ``x`` (mm, n), mm <= m, in the box, in place."""
        mm = x.shape[0]
        LO, HI = self.LO[:mm], self.HI[:mm]
        if self.kind == "clip":
            np.maximum(x, LO, out=x)
            np.minimum(x, HI, out=x)
            return
        flat = x.reshape(-1)
        out_of_box = np.flatnonzero((flat < LO.reshape(-1)) | (flat > HI.reshape(-1)))
        if out_of_box.size == 0:
            return
        flat[out_of_box] = reflect_into(flat[out_of_box], LO.reshape(-1)[out_of_box], HI.reshape(-1)[out_of_box])


class _Moments:
    """Streaming per-step mean and covariance over path chunks.

    Sums of ``X − ref`` and of their outer products, with ``ref`` the mean
    initial state, so the final subtraction does not cancel catastrophically.
    """

    def __init__(self, steps: int, n: int, ref: np.ndarray, m: int) -> None:
        self.count = 0
        self.ref = ref
        self.REF = np.ascontiguousarray(np.broadcast_to(ref, (m, n)))
        self.s1 = np.zeros((steps + 1, n))
        self.s2 = np.zeros((steps + 1, n, n))
        self.ones = np.ones((1, m))
        self.work = np.empty((0, m, n))

    def add(self, rows: slice, block: np.ndarray) -> None:
        """Add ``block`` (k, mm, n): the chunk's paths at the k steps ``rows``."""
        k, mm, n = block.shape
        if self.work.shape[0] < k or self.work.shape[1] != mm:
            self.work = np.empty((k, mm, n))
        d = self.work[:k]
        np.subtract(block, self.REF[:mm], out=d)
        self.s1[rows] += np.matmul(self.ones[:, :mm], d)[:, 0, :]
        self.s2[rows] += np.matmul(d.transpose(0, 2, 1), d)

    def finish(self, mm: int) -> None:
        self.count += mm

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        N = self.count
        mu = self.s1 / N
        c = (self.s2 - N * mu[:, :, None] * mu[:, None, :]) / max(N - 1, 1)
        return self.ref + mu, 0.5 * (c + c.transpose(0, 2, 1))


def _summary_levels(summary: Any) -> tuple[float, ...] | None:
    """None: return paths; () : mean/cov only; levels: also quantiles."""
    if summary is None or summary is False:
        return None
    if summary is True:
        return ()
    try:
        levels = tuple(float(q) for q in summary)
    except TypeError:
        raise ConfigError("summary must be None, True or a sequence of quantile levels in [0, 1]") from None
    if any(not 0.0 <= q <= 1.0 for q in levels):
        raise ConfigError(f"quantile levels must lie in [0, 1], got {list(levels)}")
    return levels


# -- the engine ------------------------------------------------------------------
def euler_maruyama(
    drift: DriftModel | Callable[[np.ndarray], np.ndarray],
    diffusion: Any,
    x0: Any,
    steps: int,
    h: float = 1.0,
    *,
    paths: int | None = None,
    rng: np.random.Generator | int | None = None,
    bounds: Any = None,
    boundary: Boundary = "none",
    summary: bool | Sequence[float] | None = None,
    dW: np.ndarray | None = None,
    chunk: int | None = None,
) -> np.ndarray | PathSummary:
    """Simulate ``dX = f(X) dt + Σ(X) dW`` by Euler–Maruyama, all paths at once.

    Parameters
    ----------
    drift : a :class:`DriftModel` (linear drift ``A x + b``) or a callable ``f(x)``
        mapping states (m, n) to drifts (m, n), vectorised over paths.
    diffusion : Σ as a constant matrix (n, d), a diagonal (n,), a scalar, or a
        callable ``g(x)`` returning (m, n) (diagonal) or (m, n, d); ``None`` with a
        DriftModel uses its ``diffusion`` (``Σ Σᵀ = Q``).
    x0 : one state (n,) shared by all paths, or one per path (paths, n).
    steps : number of steps; the result covers times ``0, h, ..., steps·h``.
    h : step size; one LLM iteration is ``h = 1``.
    paths : number of paths (default: rows of ``x0``, else 1000).
    rng : a numpy Generator or a seed.
    bounds, boundary : the box ``(lo, hi)`` and what to do at its walls:
        ``"clip"`` projects onto it, ``"reflect"`` mirrors. A DriftModel supplies
        its own bounds. ``"none"`` (default) leaves the process unbounded.
    summary : ``None`` returns the paths; ``True`` streams the per-step mean and
        covariance as a :class:`PathSummary`; a sequence of levels adds those
        quantiles per coordinate. Memory is then O(paths · n), not O(paths · steps · n).
    dW : Brownian increments to use instead of drawing, shape (paths, steps, d),
        each ``~ N(0, h I)`` (for convergence studies against exact solutions).
    chunk : paths per chunk (tuning; default sized for the cache).

    Returns
    -------
    (paths, steps+1, n) array (a view of time-major storage), or a :class:`PathSummary`.
    """
    if int(steps) != steps or steps < 0:
        raise ConfigError(f"steps must be a non-negative integer, got {steps!r}")
    steps = int(steps)
    if not (np.isfinite(h) and h > 0):
        raise ConfigError(f"step size h must be positive, got {h!r}")
    if paths is not None and (int(paths) != paths or paths < 1):
        raise ConfigError(f"paths must be a positive integer, got {paths!r}")
    paths = None if paths is None else int(paths)

    linear = isinstance(drift, DriftModel)
    if linear:
        n_model: int | None = drift.n
        if diffusion is None:
            diffusion = drift.diffusion
    elif callable(drift):
        n_model = None
    else:
        raise ConfigError(f"drift must be a DriftModel or a callable f(x), got {type(drift).__name__}")
    if diffusion is None:
        raise ConfigError("diffusion is required unless the drift is a DriftModel")
    if dW is not None and paths is None and np.ndim(x0) == 1:
        paths = int(np.shape(dW)[0])
    X0 = _initial_states(x0, paths, n_model)
    P, n = X0.shape
    box = _box(bounds, boundary, drift, n)
    if box is not None and (np.any(X0 < box[0]) or np.any(X0 > box[1])):
        raise ConfigError(f"the initial state lies outside the box [{box[0].tolist()}, {box[1].tolist()}]")
    levels = _summary_levels(summary)

    noise = _Noise(diffusion, n, X0[: min(P, 8)])
    d = noise.d
    if dW is not None:
        dW = np.asarray(dW, dtype=float)
        if dW.shape != (P, steps, d):
            raise ConfigError(f"dW must have shape (paths, steps, d) = {(P, steps, d)}, got {dW.shape}")
    scale = 1.0 if dW is not None else math.sqrt(h)  # increments are scale · z

    width = max(n, d)
    if levels:  # quantiles need every path at each step
        m_chunk = P
    else:
        m_chunk = min(P, int(chunk) if chunk else max(256, _STEP_ELEMS // width))
    tb = max(1, min(max(steps, 1), _BLOCK_ELEMS // (m_chunk * width)))
    gen = _as_generator(rng) if dW is None else None

    def tiled(v: np.ndarray) -> np.ndarray:  # (m_chunk, len(v)): flat, fast ufunc operands
        return np.ascontiguousarray(np.broadcast_to(v, (m_chunk, v.size)))

    if linear:
        MT = (np.eye(n) + h * drift.A).T.copy()
        C = tiled(h * drift.b)
    if noise.matrix is not None:
        sigma_t = (noise.matrix * scale).T.copy()
    elif noise.diag is not None:
        SIG = tiled(noise.diag * scale)
    walls = _Box(boundary, box[0], box[1], m_chunk) if box is not None else None

    out = np.empty((steps + 1, P, n)) if levels is None else None
    stats = _Moments(steps, n, X0.mean(axis=0), m_chunk) if levels is not None else None
    quant = np.empty((len(levels), steps + 1, n)) if levels else None
    blockbuf = np.empty((tb, m_chunk, n)) if levels is not None else None
    zbuf = np.empty((tb, m_chunk, d))
    tmp = np.empty((m_chunk, n))
    state = np.empty((m_chunk, n))

    for p0 in range(0, P, m_chunk):
        p1 = min(P, p0 + m_chunk)
        mm = p1 - p0
        if zbuf.shape[1] != mm:  # the last, shorter chunk
            zbuf = np.empty((tb, mm, d))
            tmp = np.empty((mm, n))
            state = np.empty((mm, n))
            if blockbuf is not None:
                blockbuf = np.empty((tb, mm, n))
        np.copyto(state, X0[p0:p1])
        if out is not None:
            out[0, p0:p1] = state
        else:
            stats.add(slice(0, 1), state[None])
            if quant is not None:
                quant[:, 0] = np.quantile(state, levels, axis=0)
        x = state
        for k0 in range(0, steps, tb):
            k1 = min(steps, k0 + tb)
            kk = k1 - k0
            zz = zbuf[:kk]
            if dW is None:
                gen.standard_normal(out=zz)
            else:
                np.copyto(zz, dW[p0:p1, k0:k1].transpose(1, 0, 2))
            tgt = out[1 + k0:1 + k1, p0:p1] if out is not None else blockbuf[:kk]
            # the state-independent part of every step of the block at once
            if noise.matrix is not None:
                np.matmul(zz, sigma_t, out=tgt)
            elif noise.diag is not None:
                np.multiply(zz, SIG[:mm], out=tgt)
            if linear and noise.fn is None:
                tgt += C[:mm]
            for k in range(kk):  # loop over time steps; all paths of the chunk at once
                row = tgt[k]
                if linear:
                    np.matmul(x, MT, out=tmp)
                    if noise.fn is not None:
                        tmp += C[:mm]
                else:
                    fx = np.asarray(drift(x), dtype=float)
                    if fx.shape != x.shape:
                        raise ConfigError(f"the drift returned shape {fx.shape}, expected {x.shape}")
                    np.multiply(fx, h, out=tmp)
                    tmp += x
                if noise.fn is not None:
                    np.add(tmp, noise.apply(x, zz[k], scale), out=row)
                else:
                    row += tmp
                if walls is not None:
                    walls.apply(row)
                x = row
            np.copyto(state, x)  # the block buffer is reused by the next block
            x = state
            if out is None:
                stats.add(slice(1 + k0, 1 + k1), tgt)
                if quant is not None:
                    quant[:, 1 + k0:1 + k1] = np.quantile(tgt, levels, axis=1)
        if stats is not None:
            stats.finish(mm)

    if out is not None:
        return out.transpose(1, 0, 2)
    mean, cov = stats.mean_cov()
    return PathSummary(
        times=h * np.arange(steps + 1, dtype=float),
        mean=mean,
        cov=cov,
        levels=tuple(levels),
        quantiles=quant if quant is not None else np.empty((0, steps + 1, n)),
        paths=P,
    )


def simulate_model(model: DriftModel, x0: Any, steps: int, **kwargs: Any) -> np.ndarray | PathSummary:
    """Euler–Maruyama paths of ``model`` from ``x0`` (h = 1 unless given).

    Keyword arguments are those of :func:`euler_maruyama` (``paths``, ``rng``,
    ``h``, ``boundary``, ``summary``, ...); the box defaults to the model's.
    """
    if not isinstance(model, DriftModel):
        raise ConfigError(f"expected a DriftModel, got {type(model).__name__}")
    diffusion = kwargs.pop("diffusion", None)
    return euler_maruyama(model, diffusion, x0, steps, **kwargs)


# -- forecasts -------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Forecast:
    """Mean and central ``level`` band of the state at iterations ``0..steps``.

    ``mean``, ``lower``, ``upper`` have shape (steps+1, n); ``method`` is
    ``"exact"`` (Gaussian moments of the h = 1 map) or ``"monte-carlo"``
    (``paths`` simulated paths, with the box ``boundary``).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    method: str
    objectives: tuple[str, ...]
    boundary: str = "none"
    paths: int = 0

    @property
    def steps(self) -> int:
        """Number of forecast iterations."""
        return self.mean.shape[0] - 1

    def to_frame(self) -> Any:
        """Long table: one row per (t, objective) with mean, lower, upper."""
        import pandas as pd

        T, n = self.mean.shape
        return pd.DataFrame({
            "t": np.repeat(np.arange(T), n),
            "objective": np.tile(np.asarray(self.objectives, dtype=object), T),
            "mean": self.mean.ravel(),
            "lower": self.lower.ravel(),
            "upper": self.upper.ravel(),
        })

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "objectives": list(self.objectives),
            "level": self.level,
            "method": self.method,
            "boundary": self.boundary,
            "paths": self.paths,
            "steps": self.steps,
            "mean": self.mean.tolist(),
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
        }


def forecast_model(
    model: DriftModel,
    x0: Any,
    steps: int,
    level: float = 0.9,
    *,
    boundary: Boundary = "none",
    method: Literal["auto", "exact", "monte-carlo"] = "auto",
    paths: int = 10_000,
    rng: np.random.Generator | int | None = None,
    bounds: Any = None,
) -> Forecast:
    """Forecast the next ``steps`` iterations from the state ``x0``.

    Without a boundary the h = 1 map is linear-Gaussian, so the mean and
    marginal bands are exact (``mean ± z·sd`` from the moment recursion). With
    ``boundary="clip"`` or ``"reflect"`` the bands are Monte Carlo quantiles of
    ``paths`` simulated paths kept in the box (``bounds``, default the model's).
    """
    from scipy.stats import norm

    if not isinstance(model, DriftModel):
        raise ConfigError(f"expected a DriftModel, got {type(model).__name__}")
    if not (0.0 < float(level) < 1.0):
        raise ConfigError(f"level must lie strictly between 0 and 1, got {level!r}")
    level = float(level)
    x = np.asarray(x0, dtype=float)
    if x.shape != (model.n,):
        raise ConfigError(f"forecast starts from one state of {model.n} values "
                          f"({', '.join(model.objectives)}), got shape {x.shape}")
    if method not in ("auto", "exact", "monte-carlo"):
        raise ConfigError(f"method must be 'auto', 'exact' or 'monte-carlo', got {method!r}")
    if method == "exact" and boundary != "none":
        raise ConfigError("exact bands need an unbounded process; use method='monte-carlo' with a boundary")
    use_exact = method == "exact" or (method == "auto" and boundary == "none")
    if use_exact:
        if bounds is not None:
            raise ConfigError("bounds were given with boundary='none'; pass boundary='clip' or 'reflect' to use them")
        mom = discrete_moments(model, x, steps)
        z = float(norm.ppf(0.5 + level / 2))
        sd = mom.sd
        return Forecast(mean=mom.mean, lower=mom.mean - z * sd, upper=mom.mean + z * sd, level=level,
                        method="exact", objectives=model.objectives, boundary="none", paths=0)
    lo_q, hi_q = 0.5 - level / 2, 0.5 + level / 2
    summ = euler_maruyama(model, None, x, steps, 1.0, paths=paths, rng=rng, bounds=bounds,
                          boundary=boundary, summary=(lo_q, hi_q))
    assert isinstance(summ, PathSummary)
    return Forecast(mean=summ.mean, lower=summ.quantiles[0], upper=summ.quantiles[1], level=level,
                    method="monte-carlo", objectives=model.objectives, boundary=boundary, paths=summ.paths)
