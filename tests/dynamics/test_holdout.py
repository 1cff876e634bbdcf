"""Held-out coverage of forecast bands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import HoldoutCoverage, Trajectories, holdout_coverage
from llmdyn.errors import ConfigError, DataError

from ._linear_sde import EXPONENTIAL, NOISE, OSCILLATORY, intercept, simulate_states, to_frame


@pytest.fixture(scope="module")
def traj() -> Trajectories:
    rng = np.random.default_rng(31)
    frames = [
        to_frame(simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, 200, 10, rng), "EF"),
        to_frame(simulate_states(OSCILLATORY, intercept(OSCILLATORY), NOISE, 200, 10, rng), "SF"),
    ]
    return Trajectories.from_frame(pd.concat(frames, ignore_index=True))


def test_bands_of_a_correct_model_cover_the_nominal_share(traj):
    res = holdout_coverage(traj, fraction=0.25, level=0.9, seed=1)
    assert isinstance(res, HoldoutCoverage) and res.method == "exact"
    assert abs(res.overall - 0.9) < 0.03
    assert all(abs(v - 0.9) < 0.05 for v in res.coverage.values())
    for s in res.strategies:
        assert s.test_sessions == 50 and s.train_sessions == 150 and s.states == 500
        assert abs(s.overall - 0.9) < 0.05
    assert len(res.by_horizon) == 10 and len(res.test_sessions) == 100


def test_coverage_follows_the_level(traj):
    res = holdout_coverage(traj, "EF", fraction=0.3, level=0.5, seed=2)
    assert [s.strategy for s in res.strategies] == ["EF"]
    assert abs(res.overall - 0.5) < 0.05


def test_monte_carlo_bands_with_walls(traj):
    res = holdout_coverage(traj, "SF", fraction=0.2, level=0.8, seed=3, boundary="reflect", paths=1000)
    assert res.method == "monte-carlo (reflect)"
    assert abs(res.overall - 0.8) < 0.06


def test_split_is_seeded_and_keeps_mixed_sessions_in_training(traj):
    frame = traj.frame.copy()
    mixed = frame["session"] == frame["session"].iloc[0]
    frame.loc[mixed & (frame["t"] >= 5), "strategy"] = "SF"  # one session switches strategy
    t2 = Trajectories.from_frame(frame)
    a = holdout_coverage(t2, fraction=0.5, seed=4)
    b = holdout_coverage(t2, fraction=0.5, seed=4)
    assert a.test_sessions == b.test_sessions
    assert frame["session"].iloc[0] not in a.test_sessions
    assert a.test_sessions != holdout_coverage(t2, fraction=0.5, seed=5).test_sessions
    d = a.to_dict()
    json.dumps(d)
    assert set(d["by_strategy"]) == {"EF", "SF"} and d["level"] == 0.9
    table = a.to_frame()
    assert list(table["strategy"]) == ["EF", "SF", "all"] and "overall" in table.columns
    assert "all strategies" in a.summary()


def test_too_few_sessions_and_bad_options(traj):
    small = Trajectories.from_frame(traj.frame[traj.frame["session"].isin(["EF-0000", "SF-0000", "SF-0001"])])
    with pytest.raises(DataError, match="at least 2 sessions"):
        holdout_coverage(small, "EF")
    with pytest.raises(ConfigError, match="fraction"):
        holdout_coverage(traj, fraction=1.0)
    with pytest.raises(ConfigError, match="level"):
        holdout_coverage(traj, level=0.0)
    with pytest.raises(DataError, match="no sessions for strategy XX"):
        holdout_coverage(traj, "XX")
