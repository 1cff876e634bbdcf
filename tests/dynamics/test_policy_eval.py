"""Offline evaluation: MPC beats every fixed policy and the bandit where only switching works."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import (
    BatchHistory,
    DriftModel,
    History,
    Trajectories,
    Utility,
    bootstrap_fits,
    evaluate_policies,
    fit_drift,
    make_policy,
)
from llmdyn.dynamics._policy_eval import _world, simulate_policy
from llmdyn.errors import ConfigError

from ._steering import OBJ, switching_models

WORST = Utility(OBJ, "worst", constraints=(("security", 2.0),))
FIXED = ["fixed:EF", "fixed:SF", "fixed:FF", "fixed:AI"]


@pytest.fixture(scope="module")
def evaluation():
    return evaluate_policies(
        switching_models(), FIXED + ["bandit:ucb1", "bandit:thompson", "mpc"],
        x0=[5.0, 5.0, 5.0], steps=10, paths=1200, utility=WORST, seed=3,
    )


def test_mpc_beats_every_fixed_policy_and_the_bandit_by_a_margin(evaluation) -> None:
    mpc = evaluation.result("mpc:1")
    others = [r for r in evaluation.results if r.policy != "mpc:1"]
    best_other = max(others, key=lambda r: r.utility_mean)
    assert evaluation.best == "mpc:1"
    assert mpc.utility_mean >= best_other.utility_mean + 0.75
    assert all(mpc.utility_interval[0] > r.utility_interval[1] for r in others)
    # No single strategy keeps every objective high; steering does.
    for r in others[:4]:
        assert min(r.mean_final.values()) < 4.5
    assert min(mpc.mean_final.values()) > 7.0
    # MPC switches: it uses both focused strategies a good share of the time.
    assert mpc.strategy_share["SF"] > 0.2 and mpc.strategy_share["FF"] > 0.2
    cmp = evaluation.comparison
    assert cmp["best"] == "mpc:1" and cmp["runner_up"]["interval"][0] > 0.5
    assert cmp["best_fixed"]["difference"] > 3.0


def test_evaluation_reports_constraints_interventions_and_json(evaluation) -> None:
    ff = evaluation.result("fixed:FF")
    sf = evaluation.result("fixed:SF")
    assert ff.violation_share > 0.5 and sf.violation_share < 0.05  # FF erodes security
    assert ff.interventions_per_session > 0.5 and ff.events_by_trigger["security_below"] > 0.5
    assert ff.intervention_share >= ff.final_violation_share
    d = json.loads(json.dumps(evaluation.to_dict()))
    assert d["best"] == "mpc:1" and len(d["policies"]) == 7
    assert set(d["policies"][0]) >= {"mean_final", "utility", "violation_share", "interventions_per_session"}
    frame = evaluation.to_frame()
    assert list(frame["policy"]) == [r.policy for r in evaluation.results]


def test_paths_switch_models_exactly_as_the_policy_chooses() -> None:
    """Noise-free: the batched simulation equals a hand loop over paths and steps."""
    models = {s: DriftModel(m.A, m.b, np.zeros((3, 3)), OBJ) for s, m in switching_models().items()}
    strategies = tuple(models)
    pol = make_policy("mpc", models, strategies, utility=WORST)
    start = np.array([[5.0, 5.0, 5.0], [1.0, 9.0, 8.0], [9.0, 2.0, 1.0]])
    states, choices, _ = simulate_policy(pol, _world(models, None, 0), strategies, OBJ, start, 6, 0)
    for p in range(3):
        x = start[p]
        for t in range(6):
            hist = History(states[: t + 1, p], tuple(strategies[c] for c in choices[:t, p]), OBJ)
            s = pol.decide(hist).strategy
            assert s == strategies[choices[t, p]]
            m = models[s]
            x = np.clip(x + m.A @ x + m.b, 0, 10)
            np.testing.assert_allclose(states[t + 1, p], x, atol=1e-12)
    assert len({tuple(c) for c in choices.T}) > 1  # paths chose differently


@pytest.mark.parametrize("spec", ["schedule", "phase", "bandit:ucb1", "mpc:2", "fixed:SF"])
def test_batched_and_live_decisions_agree(spec: str, rng: np.random.Generator) -> None:
    models = switching_models()
    strategies = tuple(models)
    pol = make_policy(spec, models, strategies, utility=WORST)
    t, P = 5, 40
    states = rng.uniform(0, 10, size=(t + 1, P, 3))
    choices = rng.integers(0, 4, size=(t, P))
    from llmdyn.dynamics._control import decide_batch

    batch = decide_batch(pol, BatchHistory(states, choices, strategies, OBJ))
    live = [pol.decide(History(states[:, p], tuple(strategies[c] for c in choices[:, p]), OBJ)).strategy
            for p in range(P)]
    assert [strategies[i] for i in batch] == live


def test_live_decisions_reorder_history_columns() -> None:
    pol = make_policy("mpc", switching_models(), utility=WORST)
    x = np.array([[2.0, 7.0, 9.0]])
    a = pol.decide(History(x, (), OBJ)).strategy
    b = pol.decide(History(x[:, ::-1], (), OBJ[::-1])).strategy
    assert a == b == "SF"


def _sessions(models: dict[str, DriftModel], per: int, steps: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s, m in models.items():
        x = rng.uniform(3, 7, size=(per, 3))
        L = m.diffusion
        for t in range(steps + 1):
            for i in range(per):
                rows.append({"session": f"{s}{i}", "strategy": s, "t": t, **dict(zip(OBJ, x[i]))})
            x = np.clip(x + x @ m.A.T + m.b + rng.standard_normal(x.shape) @ L.T, 0, 10)
    return pd.DataFrame(rows)


def test_uncertainty_draws_each_path_from_bootstrap_fits(rng: np.random.Generator) -> None:
    traj = Trajectories.from_frame(_sessions(switching_models(), 12, 6, rng))
    models = {s: fit_drift(traj, s).model for s in traj.strategies}
    boots = {s: bootstrap_fits(traj, s, 25, seed=1) for s in traj.strategies}
    common = dict(x0=[5.0, 5.0, 5.0], steps=8, paths=1000, utility=WORST, seed=2)
    specs = ["fixed:AI", "fixed:SF", "mpc"]
    plain = evaluate_policies(models, specs, **common)
    unc = evaluate_policies(models, specs, bootstrap=boots, uncertainty=25, **common)
    assert unc.uncertainty == 25 and plain.uncertainty == 0
    wins = [r.win_share for r in unc.results]
    assert all(w is not None for w in wins) and sum(wins) == pytest.approx(1.0)
    assert plain.results[0].win_share is None
    # Model uncertainty widens the interval of the mean utility.
    for a, b in zip(plain.results, unc.results):
        assert (b.utility_interval[1] - b.utility_interval[0]) > (a.utility_interval[1] - a.utility_interval[0])
    assert unc.best == "mpc:1"
    assert unc.comparison["runner_up"]["replicate_win_share"] > 0.8
    with pytest.raises(ConfigError, match="bootstrap"):
        evaluate_policies(models, specs, bootstrap={"AI": boots["AI"]}, uncertainty=5, **common)


def test_starting_states_are_resampled_and_validated() -> None:
    models = switching_models()
    starts = np.array([[1.0, 1.0, 1.0], [9.0, 9.0, 9.0]])
    ev = evaluate_policies(models, ["fixed:AI"], x0=starts, steps=1, paths=400, utility=WORST, triggers=())
    assert 3.0 < ev.results[0].mean_final["security"] < 7.0
    with pytest.raises(ConfigError, match="starting"):
        evaluate_policies(models, ["fixed:AI"], x0=[1.0, 2.0], steps=1, paths=10)


def test_box_walls_clip_reflect_or_let_through() -> None:
    from llmdyn.dynamics._policy_eval import _to_box

    lo, hi = np.zeros(3), np.full(3, 10.0)
    x = np.array([[-1.0, 10.5, 5.0], [23.0, -12.0, 0.0]])
    np.testing.assert_allclose(_to_box(x, lo, hi, "clip"), [[0, 10, 5], [10, 0, 0]])
    np.testing.assert_allclose(_to_box(x, lo, hi, "reflect"), [[1, 9.5, 5], [3, 8, 0]])
    np.testing.assert_allclose(_to_box(x, lo, hi, "none"), x)
    with pytest.raises(ConfigError, match="boundary"):
        evaluate_policies(switching_models(), ["fixed:AI"], x0=[5.0] * 3, steps=1, paths=10, boundary="bounce")
