"""analyze(): the whole `llmdyn fit` result, its JSON shape and its errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import Trajectories, analyze, fit_drift, infer_bounds
from llmdyn.errors import FitError

from ._linear_sde import EXPONENTIAL, NOISE, OSCILLATORY, intercept, simulate_states, to_frame

SYSTEMS = {"EF": EXPONENTIAL, "SF": OSCILLATORY, "FF": 0.8 * EXPONENTIAL}


def _data(rng, sessions=60, steps=8) -> Trajectories:
    frames = [to_frame(np.clip(simulate_states(A, intercept(A), NOISE, sessions, steps, rng), 0, 10), strategy=s)
              for s, A in SYSTEMS.items()]
    return Trajectories.from_frame(pd.concat(frames, ignore_index=True))


@pytest.fixture(scope="module")
def traj() -> Trajectories:
    return _data(np.random.default_rng(7))


@pytest.fixture(scope="module")
def result(traj):
    return analyze(traj, bootstrap=100, seed=5)


def test_json_shape_of_the_issue(result, traj):
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["objectives"] == list(traj.objectives)
    assert set(d["strategies"]) == {"EF", "SF", "FF"}
    for s, body in d["strategies"].items():
        for key in ("A", "b", "Q", "eigenvalues", "convergence_rate", "discrete_stability", "regime", "overshoot",
                    "equilibrium", "r2", "n_sessions", "n_transitions", "pareto_efficiency"):
            assert key in body, (s, key)
        assert np.asarray(body["A"]).shape == (3, 3) and np.asarray(body["Q"]).shape == (3, 3)
        assert set(body["eigenvalues"][0]) == {"re", "im"}
        assert body["regime"] in ("exponential", "oscillatory", "boundary")
        assert isinstance(body["overshoot"], bool)
        assert {"in_sample", "cv"} <= set(body["r2"])
        assert body["n_sessions"] == 60 and body["n_transitions"] == 480
        assert 0.0 <= body["pareto_efficiency"] <= 1.0
        # Extra keys: standard errors, intervals, residual correlation, whiteness.
        assert np.asarray(body["se_A"]).shape == (3, 3)
        assert body["intervals"]["level"] == 0.9
        assert set(body["intervals"]["convergence_rate"]) == {"lower", "upper"}
        assert np.asarray(body["residual_correlation"]).shape == (3, 3)
        assert len(body["ljung_box"]["p_value"]) == 3
    inter = d["interference"]
    assert np.asarray(inter["pooled"]).shape == (3, 3)
    assert set(inter["by_strategy"]) == {"EF", "SF", "FF"}
    assert np.all(np.diag(np.asarray(inter["pooled"])) == 0)
    assert set(inter["intervals"]["by_strategy"]) == {"EF", "SF", "FF"}
    assert inter["intervals"]["pooled"]["lower"][0][0] == 0.0
    assert "residual" in d["residual_correlation"]["description"]
    assert d["bounds"] == [[0.0] * 3, [10.0] * 3]
    assert d["hypervolume"]["final_states"] > 0


def test_numbers_equal_the_single_fits(result, traj):
    d = result.to_dict()
    for s in ("EF", "SF"):
        fit = fit_drift(traj, s, seed=5)
        np.testing.assert_allclose(d["strategies"][s]["A"], fit.model.A)
        assert d["strategies"][s]["r2"]["cv"] == pytest.approx(fit.r2.cv)
        assert d["strategies"][s]["regime"] == fit.regime.kind
    assert d["strategies"]["SF"]["regime"] == "oscillatory"
    assert d["strategies"]["EF"]["regime"] == "exponential"
    dX = traj.transitions().dX
    np.testing.assert_allclose(np.asarray(d["interference"]["pooled"])[0, 1], np.corrcoef(dX.T)[0, 1])


def test_bootstrap_is_seeded(traj, result):
    again = analyze(traj, strategies=["EF", "SF", "FF"], bootstrap=100, seed=5).to_dict()
    assert again["strategies"]["EF"]["intervals"] == result.to_dict()["strategies"]["EF"]["intervals"]
    other = analyze(traj, strategies=["EF"], bootstrap=100, seed=6).to_dict()
    assert other["strategies"]["EF"]["intervals"] != again["strategies"]["EF"]["intervals"]


def test_without_bootstrap_no_intervals_and_strategy_filter(traj):
    d = analyze(traj, strategies=["SF"]).to_dict()
    assert list(d["strategies"]) == ["SF"]
    assert "intervals" not in d["strategies"]["SF"] and "intervals" not in d["interference"]
    assert list(d["interference"]["by_strategy"]) == ["SF"]
    with pytest.raises(FitError, match=r"no transitions for strategy XX; strategies in the data: EF, FF, SF"):
        analyze(traj, strategies=["XX"])


def test_every_unfittable_strategy_is_named(rng):
    df = pd.concat([
        to_frame(simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, 5, 8, rng), strategy="EF"),
        to_frame(simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, 5, 8, rng), strategy="FF"),
        to_frame(simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, 1, 3, rng), strategy="AI"),
    ], ignore_index=True)
    df.loc[df["strategy"] == "FF", "security"] = 10.0
    with pytest.raises(FitError) as exc:
        analyze(Trajectories.from_frame(df))
    msg = str(exc.value)
    assert "strategy AI: 3 transitions from 1 session" in msg
    assert "strategy FF: security is constant (10.0) in all 40 transitions" in msg
    assert "\n" not in msg
    # Or leave them out, named.
    res = analyze(Trajectories.from_frame(df), skip_unfittable=True)
    assert res.strategies == ("EF",)
    assert set(res.to_dict()["skipped"]) == {"AI", "FF"}
    assert any(w.startswith("skipped: strategy FF: security is constant") for w in res.warnings)


def test_bounds_inferred_or_given(rng):
    tr = _data(rng, sessions=10, steps=4)
    assert infer_bounds(tr) == ((0.0,) * 3, (10.0,) * 3)
    df = tr.frame
    df["security"] *= 10  # a 0–100 scale
    wide = Trajectories.from_frame(df)
    lo, hi = infer_bounds(wide)
    assert hi[0] == pytest.approx(df["security"].max()) and hi[1] <= 10.0
    d = analyze(wide, bounds=(0, 100)).to_dict()
    assert d["bounds"] == [[0.0] * 3, [100.0] * 3]


def test_misspecification_is_warned(rng):
    sessions, T = 200, 10
    x = np.zeros((sessions, T + 1, 1))
    x[:, 0, 0] = rng.uniform(2, 8, sessions)
    x[:, 1, 0] = x[:, 0, 0] + rng.normal(0, 0.3, sessions)
    for t in range(1, T):
        x[:, t + 1, 0] = 5 + 0.9 * (x[:, t, 0] - 5) + 0.6 * (x[:, t, 0] - x[:, t - 1, 0]) + rng.normal(0, 0.3,
                                                                                                         sessions)
    res = analyze(Trajectories.from_frame(to_frame(x, names=("s",))))
    assert any("Ljung–Box rejects white residuals for s" in w for w in res.warnings)
