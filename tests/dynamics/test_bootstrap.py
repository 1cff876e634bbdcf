"""Session bootstrap: batched solve equals explicit refits; interval coverage."""

from __future__ import annotations

import numpy as np
import pytest

from llmdyn.dynamics import Trajectories, bootstrap_fits
from llmdyn.dynamics._bootstrap import bootstrap_arrays, resample_counts, solve_replicates
from llmdyn.dynamics._lsq import SessionStats, session_stats
from llmdyn.errors import FitError

from ._linear_sde import EXPONENTIAL, NOISE, intercept, simulate_states, to_frame, transitions_of


def test_batched_replicates_equal_explicit_refits(rng):
    A = EXPONENTIAL
    states = simulate_states(A, intercept(A), NOISE, sessions=30, steps=5, rng=rng)
    tr = Trajectories.from_frame(to_frame(states))
    B, seed = 25, 11
    res = bootstrap_fits(tr, "EF", B, seed=seed)
    assert res.n_replicates == B and res.n_failed == 0
    W = resample_counts(30, B, np.random.default_rng(seed))
    assert W.sum(axis=1).tolist() == [30.0] * B
    for k in range(B):
        idx = np.repeat(np.arange(30), W[k].astype(int))
        Xk = states[idx, :-1].reshape(-1, 3)
        dXk = np.diff(states[idx], axis=1).reshape(-1, 3)
        Z = np.hstack([Xk, np.ones((len(Xk), 1))])
        beta = np.linalg.lstsq(Z, dXk, rcond=None)[0]
        E = dXk - Z @ beta
        np.testing.assert_allclose(res.A[k], beta[:3].T, atol=1e-9)
        np.testing.assert_allclose(res.b[k], beta[3], atol=1e-8)
        np.testing.assert_allclose(res.Q[k], E.T @ E / (len(Xk) - 4), atol=1e-9)
        lam = np.linalg.eigvals(beta[:3].T)
        np.testing.assert_allclose(res.eig_real[k], np.sort(lam.real), atol=1e-9)
        assert res.convergence_rate[k] == pytest.approx(-lam.real.max(), abs=1e-9)
        sst = ((dXk - dXk.mean(axis=0)) ** 2).sum()
        assert res.r2[k] == pytest.approx(1 - (E ** 2).sum() / sst, abs=1e-9)
        C = np.corrcoef(dXk.T)
        np.fill_diagonal(C, 0.0)
        np.testing.assert_allclose(res.interference[k], C, atol=1e-9)


def test_intervals_are_ordered_and_serialisable(rng):
    import json

    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=40, steps=6, rng=rng)
    res = bootstrap_fits(Trajectories.from_frame(to_frame(states)), "EF", 200, seed=1, level=0.8)
    assert np.all(np.diff(res.eig_real, axis=1) >= 0)  # sorted within each replicate
    iv = res.intervals()
    assert np.all(iv["A"].lower <= iv["A"].upper)
    assert iv["convergence_rate"].lower < iv["convergence_rate"].upper
    assert np.all(np.diag(iv["interference"].lower) == 0)
    d = res.to_dict()
    assert d["level"] == 0.8 and set(d["eigenvalue_real_parts"]) == {"lower", "upper"}
    json.dumps(d, allow_nan=False)
    wider = res.interval("convergence_rate", level=0.95)
    assert wider.lower <= iv["convergence_rate"].lower and wider.upper >= iv["convergence_rate"].upper


def test_interval_coverage_of_true_convergence_rate():
    """90% percentile intervals cover the true rate in about 90% of 200 seeded repetitions."""
    A = EXPONENTIAL
    true_rate = -np.linalg.eigvals(A).real.max()
    reps, sessions = 200, 400
    states = simulate_states(A, intercept(A), NOISE, sessions=reps * sessions, steps=10,
                             rng=np.random.default_rng(2026))
    # Sufficient statistics of all 80 000 sessions at once; every repetition draws 200 replicates
    # of its own 400 sessions (a count tensor), and all 40 000 replicates are solved in one batch.
    packed = session_stats(*transitions_of(states)).packed().reshape(reps, sessions, -1)
    B = 200
    draws = np.random.default_rng(7).integers(0, sessions, size=(reps * B, sessions))
    W = np.bincount((draws + sessions * np.arange(reps * B)[:, None]).ravel(),
                    minlength=reps * B * sessions).reshape(reps, B, sessions).astype(float)
    rep_stats = SessionStats.unpack(np.matmul(W, packed).reshape(reps * B, -1), 3)
    res = solve_replicates(rep_stats, 3, objectives=("a", "b", "c"), strategy=None, seed=7, level=0.9)
    assert res.n_failed == 0
    rates = res.convergence_rate.reshape(reps, B)
    lower, upper = np.quantile(rates, [0.05, 0.95], axis=1)
    covered = int(np.sum((lower <= true_rate) & (true_rate <= upper)))
    coverage = covered / reps
    # Binomial sd at p = 0.9, 200 draws: 0.021; this band is about ±3.3 sd.
    assert 0.83 <= coverage <= 0.97, coverage


def test_failed_replicates_are_dropped_and_counted(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=12, steps=4, rng=rng)
    states[1:, :, 0] = 5.0  # security varies in session 0 only
    X, dX, session = transitions_of(states)
    res = bootstrap_arrays(X, dX, session, 100, seed=0)
    assert 0 < res.n_failed < 100
    assert res.A.shape[0] == 100 - res.n_failed
    assert np.all(np.isfinite(res.A))


def test_bootstrap_needs_two_sessions(rng):
    states = simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, sessions=1, steps=20, rng=rng)
    with pytest.raises(FitError, match="strategy EF: a session bootstrap needs at least 2 sessions, found 1"):
        bootstrap_fits(Trajectories.from_frame(to_frame(states)), "EF", 10)


@pytest.mark.parametrize("lengths", [[3, 5, 4, 2], [40, 1, 1, 1, 2]], ids=["padded", "very-unequal"])
def test_session_stats_equal_direct_sums(rng, lengths):
    m = sum(lengths)
    X, dX = rng.standard_normal((m, 2)), rng.standard_normal((m, 2))
    session = np.repeat(np.arange(len(lengths)), lengths)
    st = session_stats(X, dX, session)
    for s in range(len(lengths)):
        rows = session == s
        Z = np.hstack([X[rows], np.ones((rows.sum(), 1))])
        np.testing.assert_allclose(st.ZZ[s], Z.T @ Z, atol=1e-12)
        np.testing.assert_allclose(st.ZY[s], Z.T @ dX[rows], atol=1e-12)
        np.testing.assert_allclose(st.YY[s], dX[rows].T @ dX[rows], atol=1e-12)
        np.testing.assert_allclose(st.Ysum[s], dX[rows].sum(axis=0), atol=1e-12)
        assert st.count[s] == lengths[s]
    back = SessionStats.unpack(st.packed(), 2)
    np.testing.assert_array_equal(back.ZY, st.ZY)
