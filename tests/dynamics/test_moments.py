"""Linear-SDE moments: recursion, closed form, Lyapunov ODE, stationary laws."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import solve_ivp

from llmdyn.dynamics import (
    DriftModel,
    compare_stationary,
    continuous_moments,
    discrete_moments,
    euler_maruyama,
    stationary_covariance,
)
from llmdyn.errors import ConfigError, FitError

A = np.array([[-0.5, 0.1, 0.0], [0.05, -0.3, 0.1], [0.0, 0.2, -0.4]])
B = np.array([2.0, 1.5, 2.0])
Q = np.array([[0.3, 0.05, 0.0], [0.05, 0.2, 0.03], [0.0, 0.03, 0.25]])
MODEL = DriftModel(A, B, Q)
X0 = np.array([3.0, 4.0, 8.0])


def test_recursion_equals_monte_carlo_of_the_h1_map():
    P = 60_000
    paths = euler_maruyama(MODEL, None, X0, 6, 1.0, paths=P, rng=21)
    rec = discrete_moments(MODEL, X0, 6)
    for t in range(7):
        emp_mean, emp_cov = paths[:, t].mean(axis=0), np.cov(paths[:, t].T)
        var = np.diag(rec.cov[t])
        assert np.all(np.abs(emp_mean - rec.mean[t]) <= 4 * np.sqrt(var / P) + 1e-12)
        se_cov = np.sqrt((np.outer(var, var) + rec.cov[t] ** 2) / P)
        assert np.all(np.abs(emp_cov - rec.cov[t]) <= 4 * se_cov + 1e-12)


def test_recursion_by_hand_for_two_steps():
    M = np.eye(3) + A
    rec = discrete_moments(MODEL, X0, 2, cov0=0.1 * np.eye(3))
    np.testing.assert_allclose(rec.mean[2], M @ (M @ X0 + B) + B)
    np.testing.assert_allclose(rec.cov[2], M @ (M @ (0.1 * np.eye(3)) @ M.T + Q) @ M.T + Q)
    np.testing.assert_array_equal(rec.times, [0.0, 1.0, 2.0])


def test_continuous_moments_solve_the_mean_and_lyapunov_odes():
    P0 = 0.05 * np.eye(3)
    times = [0.0, 0.7, 2.5, 6.0]
    mom = continuous_moments(MODEL, X0, times, cov0=P0)

    def rhs(_t, y):
        m, P = y[:3], y[3:].reshape(3, 3)
        return np.concatenate([A @ m + B, (A @ P + P @ A.T + Q).ravel()])

    sol = solve_ivp(rhs, (0, 6.0), np.concatenate([X0, P0.ravel()]), t_eval=times, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(mom.mean, sol.y[:3].T, atol=1e-8)
    np.testing.assert_allclose(mom.cov, sol.y[3:].T.reshape(-1, 3, 3), atol=1e-8)
    # and the mean is X* + e^{At}(m0 − X*) (DESIGN §7)
    xs = np.linalg.solve(A, -B)
    np.testing.assert_allclose(mom.mean[2], xs + scipy.linalg.expm(A * 2.5) @ (X0 - xs), atol=1e-10)


def test_continuous_moments_of_a_singular_drift():
    free = DriftModel(np.zeros((2, 2)), np.array([0.5, -1.0]), np.array([[0.2, 0.1], [0.1, 0.4]]))
    mom = continuous_moments(free, [1.0, 2.0], [0.0, 3.0])
    np.testing.assert_allclose(mom.mean[1], [2.5, -1.0], atol=1e-12)
    np.testing.assert_allclose(mom.cov[1], 3.0 * free.Q, atol=1e-12)


def test_long_run_moments_reach_the_stationary_laws():
    cont = continuous_moments(MODEL, X0, [200.0])
    disc = discrete_moments(MODEL, X0, 400)
    np.testing.assert_allclose(cont.cov[0], stationary_covariance(MODEL, "continuous"), atol=1e-9)
    np.testing.assert_allclose(disc.cov[-1], stationary_covariance(MODEL, "discrete"), atol=1e-9)
    np.testing.assert_allclose(cont.mean[0], np.linalg.solve(A, -B), atol=1e-9)


def test_stationary_covariances_agree_with_scipy_and_solve_their_equations():
    Pc = stationary_covariance(MODEL, "continuous")
    Pd = stationary_covariance(MODEL, "discrete")
    M = np.eye(3) + A
    np.testing.assert_allclose(Pc, scipy.linalg.solve_continuous_lyapunov(A, -Q), atol=1e-10)
    np.testing.assert_allclose(Pd, scipy.linalg.solve_discrete_lyapunov(M, Q), atol=1e-10)
    assert np.abs(A @ Pc + Pc @ A.T + Q).max() < 1e-10
    assert np.abs(M @ Pd @ M.T + Q - Pd).max() < 1e-10
    assert np.abs(Pd - Pc).max() > 1e-2  # the finite-step effect is real


@pytest.mark.parametrize("a", [-0.1, -0.5, -1.0, -1.5])
def test_scalar_stationary_variances_follow_the_formulas(a):
    q = 0.7
    m = DriftModel([[a]], [0.0], [[q]], bounds=(-50, 50))
    cmp = compare_stationary(m)
    assert cmp.continuous[0, 0] == pytest.approx(q / (-2 * a), rel=1e-12)
    assert cmp.discrete[0, 0] == pytest.approx(q / (1 - (1 + a) ** 2), rel=1e-12)
    assert cmp.discrete[0, 0] / cmp.continuous[0, 0] == pytest.approx(2 / (2 + a), rel=1e-12)
    assert cmp.sd_ratio[0] == pytest.approx(np.sqrt(2 / (2 + a)), rel=1e-12)


def test_step_size_shrinks_the_gap():
    gaps = [compare_stationary(MODEL, h=h).relative_difference for h in (1.0, 0.5, 0.25, 0.125)]
    assert all(g1 > g2 for g1, g2 in zip(gaps, gaps[1:]))
    assert gaps[-1] < 0.05


def test_comparison_of_an_overshooting_or_unstable_model():
    over = DriftModel([[-2.5]], [25.0], [[1.0]])  # continuous stable, |1 + λ| = 1.5: the map diverges
    cmp = compare_stationary(over)
    assert cmp.continuous is not None and cmp.discrete is None
    assert cmp.max_abs_difference is None
    d = cmp.to_dict()
    assert d["discrete_stable"] is False and d["continuous_stable"] is True and d["mean"] == [10.0]
    with pytest.raises(FitError, match=r"max \|1 \+ hλ\| = 1.5"):
        stationary_covariance(over, "discrete")
    grow = DriftModel([[0.1]], [0.0], [[1.0]])
    with pytest.raises(FitError, match="real part >= 0"):
        stationary_covariance(grow, "continuous")


def test_bad_arguments_are_named():
    with pytest.raises(ConfigError, match="initial state must be 3"):
        discrete_moments(MODEL, [1.0, 2.0], 3)
    with pytest.raises(ConfigError, match="non-negative integer"):
        discrete_moments(MODEL, X0, -1)
    with pytest.raises(ConfigError, match="kind must be"):
        stationary_covariance(MODEL, "both")
    with pytest.raises(ConfigError, match="expected a DriftModel"):
        discrete_moments(object(), X0, 3)
