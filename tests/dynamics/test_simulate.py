"""Euler–Maruyama engine: convergence orders, walls, summaries, forecasts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.stats import norm

from llmdyn.dynamics import (
    DriftModel,
    Forecast,
    PathSummary,
    continuous_moments,
    discrete_moments,
    euler_maruyama,
    forecast_model,
    simulate_model,
)
from llmdyn.errors import ConfigError

# A 2-D OU process with a non-normal drift and correlated noise.
A2 = np.array([[-1.0, 0.3], [-0.2, -0.8]])
B2 = np.array([1.0, 0.5])
Q2 = np.array([[0.5, 0.1], [0.1, 0.3]])
OU = DriftModel(A2, B2, Q2, bounds=(-100, 100))
X_STAR = np.linalg.solve(A2, -B2)

A3 = np.array([[-0.5, 0.1, 0.0], [0.05, -0.3, 0.1], [0.0, 0.2, -0.4]])
B3 = np.array([2.0, 1.5, 2.0])
Q3 = np.array([[0.3, 0.05, 0.0], [0.05, 0.2, 0.03], [0.0, 0.03, 0.25]])
M3 = DriftModel(A3, B3, Q3, objectives=("security", "efficiency", "functionality"))


def _slope(hs: list[float], errs: list[float]) -> float:
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def _exact_discretisation(model: DriftModel, x0: np.ndarray, dW: np.ndarray, h: float) -> np.ndarray:
    """Exact OU transition ``X ↦ e^{Ah} X + c_h + L_h Z`` driven by ``Z = dW/√h``."""
    n = model.n
    Phi = scipy.linalg.expm(model.A * h)
    aug = np.zeros((n + 1, n + 1))
    aug[:n, :n], aug[:n, n] = model.A, model.b
    c_h = scipy.linalg.expm(aug * h)[:n, n]
    L_h = np.linalg.cholesky(continuous_moments(model, np.zeros(n), [h]).cov[0])
    x = np.broadcast_to(x0, (dW.shape[0], n)).copy()
    for k in range(dW.shape[1]):
        x = x @ Phi.T + c_h + (dW[:, k] / np.sqrt(h)) @ L_h.T
    return x


# -- weak convergence ------------------------------------------------------------
def test_weak_final_moments_match_closed_form_within_mc_error():
    x0 = X_STAR + np.array([0.5, -0.4])
    P, K, T = 40_000, 128, 1.0
    s = euler_maruyama(OU, None, x0, K, T / K, paths=P, rng=11, summary=True)
    exact = continuous_moments(OU, x0, [T])
    mean, cov = exact.mean[0], exact.cov[0]
    se_mean = np.sqrt(np.diag(cov) / P)
    var = np.diag(cov)
    se_cov = np.sqrt((np.outer(var, var) + cov**2) / P)  # SE of a Gaussian sample covariance
    assert np.all(np.abs(s.mean[-1] - mean) < 4 * se_mean)
    assert np.all(np.abs(s.cov[-1] - cov) < 4 * se_cov)


def test_weak_error_shrinks_with_order_one():
    """Bias of EM against the exact discretisation driven by the same increments."""
    rng = np.random.default_rng(5)
    x0 = X_STAR + np.array([2.0, -1.5])
    P, T = 20_000, 1.0
    hs, mean_err, cov_err = [], [], []
    for K in (4, 8, 16, 32):
        h = T / K
        dW = rng.standard_normal((P, K, 2)) * np.sqrt(h)
        X = euler_maruyama(OU, None, x0, K, h, dW=dW)[:, -1]
        Y = _exact_discretisation(OU, x0, dW, h)
        hs.append(h)
        mean_err.append(np.abs((X - Y).mean(axis=0)).max())
        cov_err.append(np.abs(np.cov(X.T) - np.cov(Y.T)).max())
        # the measured bias is the scheme's exact bias (recursion vs closed form)
        bias = discrete_moments(OU, x0, K, h=h).mean[-1] - continuous_moments(OU, x0, [T]).mean[0]
        np.testing.assert_allclose((X - Y).mean(axis=0), bias, atol=0.1 * np.abs(bias).max() + 1e-3)
    assert _slope(hs, mean_err) == pytest.approx(1.0, abs=0.15)
    assert _slope(hs, cov_err) == pytest.approx(1.0, abs=0.15)


def test_scheme_moments_converge_to_continuous_with_order_one():
    """Variance-free: the exact moments of the EM scheme against the closed form."""
    x0 = X_STAR + np.array([2.0, -1.5])
    exact = continuous_moments(OU, x0, [1.0])
    hs = [1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128]
    m_err = [np.abs(discrete_moments(OU, x0, round(1 / h), h=h).mean[-1] - exact.mean[0]).max() for h in hs]
    c_err = [np.abs(discrete_moments(OU, x0, round(1 / h), h=h).cov[-1] - exact.cov[0]).max() for h in hs]
    assert _slope(hs, m_err) == pytest.approx(1.0, abs=0.05)
    assert _slope(hs, c_err) == pytest.approx(1.0, abs=0.05)


# -- strong convergence ----------------------------------------------------------
def test_strong_order_one_half_on_multiplicative_noise():
    """Geometric Brownian motion: exact solution from the same Brownian path; order 0.5."""
    rng = np.random.default_rng(3)
    mu, sig, T, x0 = 0.5, 0.8, 1.0, 1.0
    P, Kf = 4000, 2**8
    dWf = rng.standard_normal((P, Kf, 1)) * np.sqrt(T / Kf)
    exact = x0 * np.exp((mu - sig**2 / 2) * T + sig * dWf.sum(axis=(1, 2)))
    hs, errs = [], []
    for r in (2, 3, 4, 5, 6):
        K = Kf // 2**r
        dW = dWf.reshape(P, K, 2**r, 1).sum(axis=2)
        X = euler_maruyama(lambda x: mu * x, lambda x: sig * x, [x0], K, T / K, dW=dW)[:, -1, 0]
        hs.append(T / K)
        errs.append(np.abs(X - exact).mean())
    assert _slope(hs, errs) == pytest.approx(0.5, abs=0.1)


def test_strong_convergence_on_ou_against_exact_solution():
    """OU driven by the same increments. Additive noise makes EM coincide with
    Milstein, so the strong order here is 1 (at least the generic 0.5)."""
    rng = np.random.default_rng(4)
    T, Kf, P = 1.0, 2**10, 2000
    hf = T / Kf
    x0 = X_STAR + np.array([2.0, -1.5])
    dWf = rng.standard_normal((P, Kf, 2)) * np.sqrt(hf)
    # exact X_T = E[X_T] + ∫ e^{A(T−s)} Σ dW(s), the integral on the finest grid (midpoints)
    S = OU.diffusion
    weights = np.empty((Kf, 2, 2))  # e^{A(T − s_k)} Σ at the midpoints s_k, by powers of e^{A hf}
    weights[-1] = scipy.linalg.expm(A2 * hf / 2) @ S
    step = scipy.linalg.expm(A2 * hf)
    for k in range(Kf - 2, -1, -1):
        weights[k] = step @ weights[k + 1]
    XT = continuous_moments(OU, x0, [T]).mean[0] + dWf.reshape(P, -1) @ weights.transpose(0, 2, 1).reshape(-1, 2)
    hs, errs = [], []
    for r in (2, 3, 4, 5, 6):
        K = Kf // 2**r
        X = euler_maruyama(OU, None, x0, K, T / K, dW=dWf.reshape(P, K, 2**r, 2).sum(axis=2))[:, -1]
        hs.append(T / K)
        errs.append(np.linalg.norm(X - XT, axis=1).mean())
    slope = _slope(hs, errs)
    assert slope >= 0.5
    assert slope == pytest.approx(1.0, abs=0.15)


# -- engine behaviour ------------------------------------------------------------
def test_h1_map_moments_match_recursion():
    x0 = np.array([5.0, 5.0, 5.0])
    P = 50_000
    s = simulate_model(M3, x0, 8, paths=P, rng=2, summary=True)
    exact = discrete_moments(M3, x0, 8)
    se = np.sqrt(np.diagonal(exact.cov, axis1=1, axis2=2) / P)
    assert np.all(np.abs(s.mean - exact.mean) <= 4 * se + 1e-12)
    var = np.diagonal(exact.cov, axis1=1, axis2=2)
    se_cov = np.sqrt((var[:, :, None] * var[:, None, :] + exact.cov**2) / P)
    assert np.all(np.abs(s.cov - exact.cov) <= 4 * se_cov + 1e-12)


def test_paths_shape_x0_per_path_and_reproducibility():
    x0 = np.tile([5.0, 4.0, 3.0], (7, 1))
    p1 = euler_maruyama(M3, None, x0, 5, rng=1)
    p2 = M3.simulate(x0, 5, rng=1)
    assert p1.shape == (7, 6, 3)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(p1[:, 0], x0)
    assert not np.array_equal(p1, euler_maruyama(M3, None, x0, 5, rng=2))


def test_summary_streams_the_same_statistics_as_the_paths():
    x0 = np.array([5.0, 5.0, 5.0])
    paths = euler_maruyama(M3, None, x0, 12, paths=3000, rng=7, chunk=700)
    s = euler_maruyama(M3, None, x0, 12, paths=3000, rng=7, chunk=700, summary=True)
    assert isinstance(s, PathSummary) and s.paths == 3000
    np.testing.assert_allclose(s.mean, paths.mean(axis=0), atol=1e-12)
    cov = np.stack([np.cov(paths[:, t].T) for t in range(13)])
    np.testing.assert_allclose(s.cov, cov, atol=1e-12)
    # quantiles need every path at a step: the engine then takes one chunk
    q = euler_maruyama(M3, None, x0, 12, paths=3000, rng=7, chunk=3000, summary=(0.1, 0.5, 0.9))
    full = euler_maruyama(M3, None, x0, 12, paths=3000, rng=7, chunk=3000)
    np.testing.assert_allclose(q.quantile(0.9), np.quantile(full, 0.9, axis=0), atol=1e-12)
    np.testing.assert_allclose(q.quantiles, np.quantile(full, [0.1, 0.5, 0.9], axis=0), atol=1e-12)


def test_callable_drift_and_diffusion_match_the_linear_model():
    x0 = np.array([5.0, 5.0, 5.0])
    S = M3.diffusion
    lin = euler_maruyama(M3, None, x0, 10, 0.5, paths=500, rng=3)
    fn = euler_maruyama(lambda x: x @ A3.T + B3, S, x0, 10, 0.5, paths=500, rng=3)
    np.testing.assert_allclose(fn, lin, atol=1e-10)
    # state-dependent diffusion returning full matrices, constant here
    full = euler_maruyama(M3, lambda x: np.broadcast_to(S, (x.shape[0], 3, 3)), x0, 10, 0.5, paths=500, rng=3)
    np.testing.assert_allclose(full, lin, atol=1e-10)
    # a diagonal given as a vector equals the diagonal matrix
    d1 = euler_maruyama(M3, np.array([0.1, 0.2, 0.3]), x0, 4, paths=50, rng=4)
    d2 = euler_maruyama(M3, np.diag([0.1, 0.2, 0.3]), x0, 4, paths=50, rng=4)
    np.testing.assert_allclose(d1, d2, atol=1e-12)


@pytest.mark.parametrize("boundary", ["clip", "reflect"])
def test_walls_keep_every_path_in_the_box(boundary):
    loud = DriftModel(A3, B3, 9.0 * np.eye(3), bounds=([0, 1, 2], [10, 8, 9]))
    x = loud.simulate(np.array([0.5, 7.5, 8.5]), 30, paths=4000, rng=5, boundary=boundary)
    assert np.all(x >= np.array([0, 1, 2])) and np.all(x <= np.array([10, 8, 9]))
    assert np.any(x == 0.0) if boundary == "clip" else np.all(np.isfinite(x))


def test_reflection_folds_overshoots_exactly():
    # drift that jumps by a fixed amount, no noise: reflect must mirror at the walls
    jumps = np.array([[10.5, -0.3, 21.0]])
    x = euler_maruyama(lambda x: np.broadcast_to(jumps, x.shape) - x, 0.0, np.zeros(3), 1,
                       paths=1, bounds=(0, 10), boundary="reflect", rng=0)
    np.testing.assert_allclose(x[0, 1], [9.5, 0.3, 1.0], atol=1e-12)
    c = euler_maruyama(lambda x: np.broadcast_to(jumps, x.shape) - x, 0.0, np.zeros(3), 1,
                       paths=1, bounds=(0, 10), boundary="clip", rng=0)
    np.testing.assert_allclose(c[0, 1], [10.0, 0.0, 10.0])


def test_reflect_preserves_the_stationary_mean_of_a_symmetric_problem():
    sym = DriftModel(-0.3 * np.eye(2), np.array([1.5, 1.5]), 4.0 * np.eye(2))  # X* = 5, box centre
    P = 20_000
    s = sym.simulate(np.array([5.0, 5.0]), 60, paths=P, rng=6, boundary="reflect", summary=True)
    se = np.sqrt(np.diag(s.cov[-1]) / P)
    assert np.all(np.abs(s.mean[-1] - 5.0) < 4 * se)
    # the walls bind: the reflected spread is visibly below the unbounded one
    free = sym.simulate(np.array([5.0, 5.0]), 60, paths=P, rng=6, summary=True)
    assert np.all(np.diag(s.cov[-1]) < 0.9 * np.diag(free.cov[-1]))


# -- forecasts -------------------------------------------------------------------
def _simulated_sessions(model: DriftModel, x0: np.ndarray, sessions: int, steps: int, rng: np.random.Generator,
                        boundary: str = "none") -> np.ndarray:
    """Independent h = 1 simulation (plain numpy) of observed sessions."""
    L = model.diffusion
    x = np.broadcast_to(x0, (sessions, model.n)).copy()
    out = [x]
    for _ in range(steps):
        x = x + x @ model.A.T + model.b + rng.standard_normal(x.shape) @ L.T
        if boundary == "reflect":
            w = model.upper - model.lower
            v = np.mod(x - model.lower, 2 * w)
            x = model.lower + w - np.abs(v - w)
        elif boundary == "clip":
            x = np.clip(x, model.lower, model.upper)
        out.append(x)
    return np.stack(out, axis=1)


def test_exact_forecast_bands_reach_nominal_coverage():
    rng = np.random.default_rng(8)
    x0 = np.array([3.0, 4.0, 5.0])
    obs = _simulated_sessions(M3, x0, 4000, 10, rng)
    fc = M3.forecast(x0, 10, level=0.9)
    assert fc.method == "exact" and fc.mean.shape == (11, 3)
    inside = (obs >= fc.lower) & (obs <= fc.upper)
    cell = inside[:, 1:].mean(axis=0)  # (t, objective)
    se = np.sqrt(0.9 * 0.1 / 4000)
    assert abs(cell.mean() - 0.9) < 3 * se
    assert np.all(np.abs(cell - 0.9) < 4.5 * se)
    # the bands are mean ± z·sd of the recursion
    sd = discrete_moments(M3, x0, 10).sd
    np.testing.assert_allclose(fc.upper - fc.mean, norm.ppf(0.95) * sd)


def test_monte_carlo_bands_with_walls_reach_nominal_coverage():
    rng = np.random.default_rng(9)
    loud = DriftModel(A3, B3, 2.0 * Q3)
    x0 = np.array([8.5, 9.0, 9.5])
    for boundary in ("reflect", "clip"):
        obs = _simulated_sessions(loud, x0, 4000, 8, rng, boundary)
        fc = loud.forecast(x0, 8, level=0.8, boundary=boundary, paths=40_000, rng=10)
        assert fc.method == "monte-carlo" and fc.boundary == boundary
        assert np.all(fc.upper <= 10.0)
        inside = ((obs >= fc.lower) & (obs <= fc.upper))[:, 1:]
        if boundary == "reflect":  # a continuous law: coverage is nominal
            assert abs(inside.mean() - 0.8) < 0.015
        else:  # clipping puts an atom at the wall, so a closed band covers at least the nominal share
            assert inside.mean() > 0.8 - 0.015


def test_forecast_table_and_dict():
    fc = forecast_model(M3, [5, 5, 5], 3, level=0.5)
    assert isinstance(fc, Forecast)
    frame = fc.to_frame()
    assert list(frame.columns) == ["t", "objective", "mean", "lower", "upper"]
    assert len(frame) == 4 * 3 and set(frame["objective"]) == set(M3.objectives)
    d = fc.to_dict()
    assert d["level"] == 0.5 and d["method"] == "exact" and len(d["mean"]) == 4
    np.testing.assert_array_equal(fc.lower[0], fc.upper[0])  # t = 0 is the known state


# -- validation ------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(boundary="bounce"), "boundary must be one of"),
        (dict(bounds=(0, 10)), "boundary='none'"),
        (dict(paths=0), "paths must be a positive"),
        (dict(h=-1.0), "step size"),
        (dict(summary=(0.5, 1.5)), "quantile levels"),
    ],
)
def test_bad_options_are_named(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        euler_maruyama(M3, None, [5, 5, 5], 3, **kwargs)


def test_bad_inputs_are_named():
    with pytest.raises(ConfigError, match="3 objectives"):
        euler_maruyama(M3, None, [5, 5], 3)
    with pytest.raises(ConfigError, match="outside the box"):
        M3.simulate([5, 11, 5], 3, boundary="clip")
    with pytest.raises(ConfigError, match="needs bounds"):
        euler_maruyama(lambda x: -x, 1.0, [0.0], 3, boundary="clip")
    with pytest.raises(ConfigError, match="drift returned shape"):
        euler_maruyama(lambda x: x[:, :1], 1.0, [0.0, 1.0], 3, paths=4)
    with pytest.raises(ConfigError, match="diffusion must be"):
        euler_maruyama(M3, np.ones((2, 2)), [5, 5, 5], 3)
    with pytest.raises(ConfigError, match="paths=5 but 3 initial states"):
        euler_maruyama(M3, None, np.full((3, 3), 5.0), 3, paths=5)
    with pytest.raises(ConfigError, match="level"):
        M3.forecast([5, 5, 5], 3, level=1.0)
    with pytest.raises(ConfigError, match="exact bands need"):
        forecast_model(M3, [5, 5, 5], 3, boundary="clip", method="exact")
