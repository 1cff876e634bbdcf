"""The drift fit: recovery of known systems, statsmodels parity, pooling, R², design errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import Trajectories, fit_drift
from llmdyn.errors import FitError

from ._linear_sde import (EXPONENTIAL, NAMES, NEAR_ZERO, NOISE, OSCILLATORY, intercept, simulate_states,
                          to_frame)

A_TOL = 0.03  # ≈ 6 standard errors of an entry of A with 400 sessions × 10 steps and Q = 0.1 I


@pytest.mark.parametrize(
    ("A", "kind"),
    [(EXPONENTIAL, "exponential"), (OSCILLATORY, "oscillatory"), (NEAR_ZERO, "boundary")],
    ids=["exponential", "complex-pair", "near-zero"],
)
def test_parameter_recovery_and_regime(A, kind, rng):
    b = intercept(A)
    states = simulate_states(A, b, NOISE, sessions=400, steps=10, rng=rng)
    fit = fit_drift(Trajectories.from_frame(to_frame(states)), "EF")
    assert fit.n_sessions == 400 and fit.n_transitions == 4000
    assert np.abs(fit.model.A - A).max() < A_TOL
    assert np.abs(fit.model.Q - NOISE).max() < 0.015
    # The standard errors are honest: errors are a few SEs, not many.
    z = np.abs(fit.model.A - A) / fit.se_A
    assert z.max() < 5.0
    assert fit.regime.kind == kind
    true_rate = -np.linalg.eigvals(A).real.max()
    assert abs(fit.spectrum.convergence_rate - true_rate) < 0.03
    if kind == "oscillatory":
        assert fit.regime.frequency == pytest.approx(0.4, abs=0.03)
    if kind == "boundary":
        assert "within 0.05 of zero" in fit.regime.reason


def test_parity_with_statsmodels_var1(rng):
    from statsmodels.tsa.api import VAR

    A = OSCILLATORY
    states = simulate_states(A, intercept(A), NOISE, sessions=1, steps=300, rng=rng)
    fit = fit_drift(Trajectories.from_frame(to_frame(states)))
    res = VAR(states[0]).fit(1, trend="c")
    np.testing.assert_allclose(np.eye(3) + fit.model.A, res.coefs[0], rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.model.b, res.intercept, rtol=0, atol=1e-8)
    # statsmodels divides EᵀE by nobs − (n·lags + 1) = m − n − 1: the same as Q.
    np.testing.assert_allclose(fit.model.Q, res.sigma_u, rtol=0, atol=1e-8)
    # Standard errors: statsmodels' rows are [const, lag-1 coefficients], columns equations.
    np.testing.assert_allclose(fit.se_b, res.stderr[0], rtol=1e-8)
    np.testing.assert_allclose(fit.se_A, res.stderr[1:].T, rtol=1e-8)


def test_pooling_is_unbiased_where_concatenation_is_not(rng):
    from statsmodels.tsa.api import VAR

    A = EXPONENTIAL
    states = simulate_states(A, intercept(A), NOISE, sessions=500, steps=4, rng=rng)
    pooled = fit_drift(Trajectories.from_frame(to_frame(states)))
    concatenated = VAR(states.reshape(-1, 3)).fit(1, trend="c")
    err_pooled = np.abs(pooled.model.A - A).max()
    err_concat = np.abs(concatenated.coefs[0] - np.eye(3) - A).max()
    assert err_pooled < 0.03
    # A jump from one session's end to the next one's (independent) start regresses on the
    # end state with slope −1: the concatenated series overstates the pull to equilibrium.
    assert err_concat > 0.08
    rate_concat = -np.linalg.eigvals(concatenated.coefs[0] - np.eye(3)).real.max()
    true_rate = -np.linalg.eigvals(A).real.max()
    assert abs(pooled.spectrum.convergence_rate - true_rate) < 0.02
    assert rate_concat > 1.3 * true_rate


def test_r2_in_sample_and_cross_validated(rng):
    A = EXPONENTIAL
    states = simulate_states(A, intercept(A), NOISE, sessions=60, steps=6, rng=rng)
    tr = Trajectories.from_frame(to_frame(states))
    fit = fit_drift(tr, cv_folds=4, seed=3)
    X, dX, session = tr.transitions()
    Z = np.hstack([X, np.ones((len(X), 1))])
    beta = np.linalg.lstsq(Z, dX, rcond=None)[0]
    sse = ((dX - Z @ beta) ** 2).sum(axis=0)
    sst = ((dX - dX.mean(axis=0)) ** 2).sum(axis=0)
    assert fit.r2.in_sample == pytest.approx(1 - sse.sum() / sst.sum(), rel=1e-10)
    for j, name in enumerate(NAMES):
        assert fit.r2.in_sample_by_objective[name] == pytest.approx(1 - sse[j] / sst[j], rel=1e-10)
    # Cross-validation by hand: the same session folds, refit on the others, predict held out.
    S = 60
    fold_of = np.empty(S, dtype=int)
    fold_of[np.random.default_rng(3).permutation(S)] = np.arange(S) % 4
    sse_cv = np.zeros(3)
    for k in range(4):
        held = fold_of[session] == k
        bk = np.linalg.lstsq(Z[~held], dX[~held], rcond=None)[0]
        sse_cv += ((dX[held] - Z[held] @ bk) ** 2).sum(axis=0)
    assert fit.r2.cv == pytest.approx(1 - sse_cv.sum() / sst.sum(), rel=1e-9)
    assert fit.r2.cv < fit.r2.in_sample
    assert fit.r2.cv_folds == 4


def test_constant_objective_is_named(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=4, steps=10, rng=rng)
    states[:, :, 0] = 10.0
    tr = Trajectories.from_frame(to_frame(states, strategy="FF"))
    with pytest.raises(FitError) as exc:
        fit_drift(tr, "FF")
    assert str(exc.value) == (
        "strategy FF: security is constant (10.0) in all 40 transitions; drop it with --objectives "
        "or collect more varied sessions"
    )
    # Dropping it, as the message says, works.
    assert fit_drift(tr.select(objectives=["efficiency", "functionality"]), "FF").model.n == 2


def test_too_few_transitions_is_named():
    df = pd.DataFrame({"session": ["s"] * 4, "strategy": "EF", "t": range(4),
                       "a": [1.0, 2.0, 4.0, 3.0], "b": [2.0, 1.0, 5.0, 3.0]})
    with pytest.raises(FitError) as exc:
        fit_drift(Trajectories.from_frame(df), "EF")
    assert str(exc.value) == (
        "strategy EF: 3 transitions from 1 session, but fitting 2 objectives needs at least 4 "
        "(3 coefficients per objective plus one degree of freedom for Q); collect more sessions or drop "
        "objectives with --objectives"
    )


def test_collinear_objectives_are_named(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=5, steps=5, rng=rng)
    states[:, :, 2] = 10.0 - states[:, :, 0]
    with pytest.raises(FitError, match=r"strategy EF: objectives security, functionality are collinear "
                                       r"in all 25 transitions"):
        fit_drift(Trajectories.from_frame(to_frame(states)), "EF")


def test_unknown_strategy_is_named(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=5, steps=5, rng=rng)
    with pytest.raises(FitError, match=r"strategy XX has no transitions; strategies in data: EF"):
        fit_drift(Trajectories.from_frame(to_frame(states)), "XX")


def test_fit_dict_is_plain_json(rng):
    import json

    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=20, steps=5, rng=rng)
    d = fit_drift(Trajectories.from_frame(to_frame(states)), "EF").to_dict()
    text = json.dumps(d, allow_nan=False)
    assert d["regime"] in ("exponential", "oscillatory", "boundary") and '"regime_reason"' in text
    assert len(d["eigenvalues"]) == 3 and set(d["eigenvalues"][0]) == {"re", "im"}


def test_fit_ignores_row_order_and_session_names(rng):
    states = simulate_states(OSCILLATORY, intercept(OSCILLATORY), NOISE, sessions=30, steps=6, rng=rng)
    df = to_frame(states)
    fit = fit_drift(Trajectories.from_frame(df), cv_folds=2)
    shuffled = df.sample(frac=1.0, random_state=1)
    shuffled["session"] = "run/" + shuffled["session"].str[::-1]
    again = fit_drift(Trajectories.from_frame(shuffled), cv_folds=2)
    np.testing.assert_allclose(again.model.A, fit.model.A, atol=1e-12)
    np.testing.assert_allclose(again.model.Q, fit.model.Q, atol=1e-12)
    assert again.r2.in_sample == pytest.approx(fit.r2.in_sample, abs=1e-12)


def test_shifting_the_scores_moves_only_b_and_the_equilibrium(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=30, steps=6, rng=rng)
    shift = np.array([1.0, -2.0, 0.5])
    fit = fit_drift(Trajectories.from_frame(to_frame(states)), bounds=(-20, 20))
    moved = fit_drift(Trajectories.from_frame(to_frame(states + shift)), bounds=(-20, 20))
    np.testing.assert_allclose(moved.model.A, fit.model.A, atol=1e-9)
    np.testing.assert_allclose(moved.model.b, fit.model.b - fit.model.A @ shift, atol=1e-8)
    np.testing.assert_allclose(moved.equilibrium.point, np.add(fit.equilibrium.point, shift), atol=1e-8)
