"""Interference, residual correlation and the pooled Ljung–Box test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from llmdyn.dynamics import DriftModel, Trajectories, fit_drift, interference_matrix, ljung_box, residual_correlation

from ._linear_sde import NAMES, intercept, simulate_states, to_frame

DIAGONAL = np.diag([-0.1, -0.1, -0.1])


def test_matches_scipy_pearsonr(rng):
    dX = rng.standard_normal((50, 3)) @ np.array([[1.0, 0.4, 0.0], [0.0, 1.0, -0.3], [0.0, 0.0, 1.0]])
    im = interference_matrix(dX, NAMES)
    for i in range(3):
        assert im.matrix[i, i] == 0.0 and np.isnan(im.p_values[i, i])
        for j in range(3):
            if i != j:
                ref = stats.pearsonr(dX[:, i], dX[:, j])
                assert im.matrix[i, j] == pytest.approx(ref.statistic, abs=1e-12)
                assert im.p_values[i, j] == pytest.approx(ref.pvalue, rel=1e-8)


def test_independent_noise_gives_null_entries(rng):
    states = simulate_states(DIAGONAL, intercept(DIAGONAL), 0.2 * np.eye(3), sessions=300, steps=8, rng=rng,
                             x0=np.array([6.0, 5.0, 7.0]))
    fit = fit_drift(Trajectories.from_frame(to_frame(states)))
    im = interference_matrix(np.diff(states, axis=1).reshape(-1, 3), NAMES)
    off = ~np.eye(3, dtype=bool)
    assert np.abs(im.matrix[off]).max() < 0.05
    assert im.p_values[off].min() > 0.01  # nothing significant
    rc = residual_correlation(fit.model.Q, NAMES, fit.n_transitions)
    assert np.abs(rc.matrix[off]).max() < 0.05 and rc.p_values[off].min() > 0.01


def test_designed_noise_correlation_is_recovered(rng):
    corr = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, -0.4], [0.0, -0.4, 1.0]])
    Q = 0.2 * corr
    # Start at the equilibrium with a weak drift: the step changes are mostly the noise.
    states = simulate_states(DIAGONAL, intercept(DIAGONAL), Q, sessions=300, steps=8, rng=rng,
                             x0=np.array([6.0, 5.0, 7.0]))
    fit = fit_drift(Trajectories.from_frame(to_frame(states)))
    designed = corr - np.eye(3)
    im = interference_matrix(np.diff(states, axis=1).reshape(-1, 3), NAMES)
    assert np.abs(im.matrix - designed).max() < 0.06
    assert im.p_values[0, 1] < 1e-10 and im.p_values[1, 2] < 1e-10 and im.p_values[0, 2] > 1e-3
    rc = residual_correlation(fit.model.Q, NAMES, fit.n_transitions)
    assert np.abs(rc.matrix - designed).max() < 0.04
    assert rc.kind == "residual" and "residual" in rc.description
    assert im.kind == "step_change" and "trade-off" in im.description


def test_constant_column_gives_zero_entries_and_no_p_value(rng):
    dX = rng.standard_normal((20, 2))
    dX[:, 1] = 0.0
    im = interference_matrix(dX)
    assert im.matrix[0, 1] == 0.0 and np.isnan(im.p_values[0, 1])
    assert im.to_dict()["p_values"][0][1] is None


def test_ljung_box_one_series_matches_statsmodels(rng):
    from statsmodels.stats.diagnostic import acorr_ljungbox

    e = np.empty((120, 2))
    e[:, 0] = rng.standard_normal(120)
    e[0, 1] = 0.0
    z = rng.standard_normal(120)
    for t in range(1, 120):  # AR(1): not white
        e[t, 1] = 0.5 * e[t - 1, 1] + z[t]
    for lags in (1, 4, 7):
        lb = ljung_box(e, objectives=("white", "ar1"), lags=lags)
        for j, name in enumerate(("white", "ar1")):
            ref = acorr_ljungbox(e[:, j], lags=[lags])
            assert lb.statistic[name] == pytest.approx(float(ref["lb_stat"].iloc[0]), rel=1e-10)
            assert lb.p_value[name] == pytest.approx(float(ref["lb_pvalue"].iloc[0]), rel=1e-8)
    assert lb.rejected() == ("ar1",)


def test_ljung_box_pools_within_sessions_only(rng):
    sessions, T = 200, 9
    e = rng.standard_normal((sessions * T, 1))
    session = np.repeat(np.arange(sessions), T)
    lb = ljung_box(e, session, lags=3)
    # By hand: lag-k products only inside a session, pooled variance, n_k pairs.
    x = e[:, 0] - e.mean()
    N = len(x)
    q = 0.0
    for k in range(1, 4):
        num = sum((x[s * T + k:(s + 1) * T] * x[s * T:(s + 1) * T - k]).sum() for s in range(sessions))
        r_k = num / (x ** 2).sum()
        q += r_k ** 2 / (sessions * (T - k))
    q *= N * (N + 2)
    assert lb.statistic["x0"] == pytest.approx(q, rel=1e-10)
    assert lb.p_value["x0"] == pytest.approx(stats.chi2.sf(q, 3), rel=1e-8)
    assert lb.n_sessions == sessions and lb.lags == 3
    # A session boundary is not a lag: shifting whole sessions leaves the statistic unchanged.
    perm = np.repeat(rng.permutation(sessions), T) * T + np.tile(np.arange(T), sessions)
    lb2 = ljung_box(e[perm], session, lags=3)
    assert lb2.statistic["x0"] == pytest.approx(lb.statistic["x0"], rel=1e-10)


def test_ljung_box_flags_a_misspecified_model(rng):
    """Data with memory (a second lag) leaves autocorrelated residuals in the one-step fit."""
    sessions, T = 300, 10
    x = np.zeros((sessions, T + 1))
    x[:, 0] = rng.uniform(2, 8, sessions)
    x[:, 1] = x[:, 0] + rng.normal(0, 0.3, sessions)
    for t in range(1, T):
        x[:, t + 1] = 5 + 0.9 * (x[:, t] - 5) + 0.6 * (x[:, t] - x[:, t - 1]) + rng.normal(0, 0.3, sessions)
    white = simulate_states(np.array([[-0.3]]), np.array([1.5]), np.array([[0.09]]), sessions, T, rng)
    for states, should_reject in ((x[:, :, None], True), (white, False)):
        fit = fit_drift(Trajectories.from_frame(to_frame(states, names=("s",))))
        lb = ljung_box(fit.residuals, fit.session, ("s",))
        assert (lb.p_value["s"] < 0.01) is should_reject, lb.p_value


def test_ljung_box_needs_two_states_per_session():
    assert ljung_box(np.ones((5, 1)), np.arange(5)) is None


def test_model_only_residual_correlation():
    m = DriftModel(A=-np.eye(2), b=np.zeros(2), Q=np.array([[1.0, -0.5], [-0.5, 1.0]]))
    rc = residual_correlation(m.Q, ("a", "b"), 100)
    assert rc.matrix[0, 1] == pytest.approx(-0.5) and rc.matrix[0, 0] == 0.0
