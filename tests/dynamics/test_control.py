"""Steering policies: spec parsing, fixed, schedule, phase, bandit, MPC."""

from __future__ import annotations

import numpy as np
import pytest

from llmdyn.dynamics import (
    Decision,
    FixedPolicy,
    History,
    Policy,
    SchedulePolicy,
    make_policy,
)
from llmdyn.errors import ConfigError

OBJ = ("security", "efficiency", "functionality")


def _history(t: int, strategies: tuple[str, ...] = (), n: int = 3) -> History:
    states = np.full((t + 1, n), 5.0)
    strat = strategies or ("AI",) * t
    return History(states=states, strategies=tuple(strat), objectives=OBJ[:n])


def _run_live(policy: Policy, turns: int) -> list[str]:
    """Ask ``policy`` turn after turn, feeding its own choices back."""
    used: list[str] = []
    for t in range(turns):
        d = policy.decide(_history(t, tuple(used)))
        assert isinstance(d, Decision) and d.reason
        used.append(d.strategy)
    return used


def test_fixed_spec_gives_the_runner_default() -> None:
    p = make_policy("fixed:EF")
    assert isinstance(p, FixedPolicy) and isinstance(p, Policy)
    assert p.name == "fixed:EF"
    assert _run_live(p, 4) == ["EF"] * 4
    assert make_policy("fixed:ef").strategy == "EF"


def test_schedule_follows_the_paper_sequence() -> None:
    p = make_policy("schedule:FF3-SF4-EF3-AI")
    assert isinstance(p, SchedulePolicy) and isinstance(p, Policy)
    assert p.name == "schedule:FF3-SF4-EF3-AI"
    seq = _run_live(p, 13)
    assert seq == ["FF"] * 3 + ["SF"] * 4 + ["EF"] * 3 + ["AI"] * 3
    # The bare spec is the paper's schedule.
    assert make_policy("schedule").name == p.name
    # The reason says where in the schedule the turn is.
    assert "entry 2/4" in p.decide(_history(3)).reason


def test_schedule_with_a_finite_last_entry_keeps_its_strategy() -> None:
    p = make_policy("schedule:FF2-SF1")
    assert _run_live(p, 5) == ["FF", "FF", "SF", "SF", "SF"]


@pytest.mark.parametrize(
    "spec, words",
    [
        ("nonsense", ["nonsense", "fixed:STRATEGY", "schedule", "mpc"]),
        ("fixed:XX", ["XX", "EF, SF, FF, AI"]),
        ("fixed", ["fixed:EF"]),
        ("schedule:FF-SF3", ["only the last entry"]),
        ("schedule:FF0-AI", ["at least 1"]),
        ("schedule:FF3-Q!", ["Q!"]),
        ("mpc", ["--policy-data"]),
        ("phase", ["--policy-data"]),
        ("", ["fixed:STRATEGY"]),
    ],
)
def test_bad_specs_raise_config_errors_that_say_why(spec: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        make_policy(spec)
    for w in words:
        assert w in str(err.value)


def test_custom_strategies_are_respected() -> None:
    p = make_policy("schedule:A2-B", strategies=("A", "B"))
    assert _run_live(p, 4) == ["A", "A", "B", "B"]
    with pytest.raises(ConfigError, match="EF"):
        make_policy("fixed:EF", strategies=("A", "B"))


# -- model-based and adaptive policies -------------------------------------------------
from llmdyn.dynamics import BanditPolicy, MPCPolicy, PhasePolicy, Utility  # noqa: E402

from ._steering import phase_models, switching_models  # noqa: E402


def _run_model(policy: Policy, models: dict, x0: list[float], turns: int) -> tuple[list[str], np.ndarray]:
    """Noise-free closed loop: the policy picks, the picked model moves the state."""
    states = [np.asarray(x0, dtype=float)]
    used: list[str] = []
    for _ in range(turns):
        d = policy.decide(History(np.array(states), tuple(used), OBJ))
        used.append(d.strategy)
        m = models[d.strategy]
        states.append(np.clip(states[-1] + m.A @ states[-1] + m.b, 0, 10))
    return used, np.array(states)


def test_phase_explores_with_oscillatory_then_exploits_with_exponential() -> None:
    models = phase_models()
    p = make_policy("phase", models, strategies=tuple(models))
    assert isinstance(p, PhasePolicy)
    assert p.kinds == {"OSC": "oscillatory", "EXP": "exponential", "BND": "boundary"}
    used, _ = _run_model(p, models, [6.0, 6.0, 6.0], 6)
    assert used == ["OSC", "OSC", "EXP", "EXP", "EXP", "EXP"]
    assert "explore" in p.decide(_history(0)).reason
    used3, _ = _run_model(make_policy("phase:explore=3", models, tuple(models)), models, [6.0] * 3, 5)
    assert used3 == ["OSC"] * 3 + ["EXP"] * 2


def test_phase_leaves_a_boundary_attracting_strategy_near_the_boundary() -> None:
    models = {k: v for k, v in phase_models().items() if k != "EXP"}
    # Without the security floor, BND's clipped equilibrium (0, 9, 9) scores best.
    p = make_policy("phase:explore=0", models, tuple(models), constraints=None)
    used, states = _run_model(p, models, [8.0, 6.0, 6.0], 8)
    first_leave = used.index("OSC")
    assert used[:first_leave] == ["BND"] * first_leave and first_leave >= 2
    # It leaves exactly when security came within the margin (2) of the floor 0.
    assert states[first_leave, 0] < 2.0 <= states[first_leave - 1, 0]
    assert "avoiding boundary-attracting BND" in p.decide(History(states[: first_leave + 1], tuple(used[:first_leave]), OBJ)).reason
    # Security never collapses to the bound while the policy steers.
    assert states[:, 0].min() > 0.5


def test_bandit_tries_each_strategy_then_follows_the_best_mean_gain() -> None:
    p = make_policy("bandit", strategies=("A", "B", "C"), utility="weighted")
    assert isinstance(p, BanditPolicy) and p.name == "bandit:ucb1"
    # Gains: A -0.5, B +1.0, C +0.1 (mean utility per step).
    states = np.array([[5, 5, 5], [4.5, 4.5, 4.5], [5.5, 5.5, 5.5], [5.6, 5.6, 5.6]], float)
    h = History(states, ("A", "B", "C"), OBJ, session="s1")
    assert p.decide(History(states[:1], (), OBJ)).strategy == "A"
    assert p.decide(History(states[:2], ("A",), OBJ)).strategy == "B"
    d = p.decide(h)
    assert d.strategy == "B" and "B +1.00×1" in d.reason
    # Thompson is reproducible per (session, turn): a resumed session decides the same.
    th = make_policy("bandit:thompson,seed=4", strategies=("A", "B", "C"))
    assert th.decide(h).strategy == th.decide(h).strategy
    with pytest.raises(ConfigError, match="unknown"):
        make_policy("bandit:greedy")


def test_mpc_picks_the_strategy_that_lifts_the_weakest_objective() -> None:
    models = switching_models()
    p = make_policy("mpc:utility=worst", models)
    assert isinstance(p, MPCPolicy) and p.name == "mpc:1"
    low_sec = History(np.array([[2.5, 7.0, 8.0]]), (), OBJ)
    low_fun = History(np.array([[8.0, 7.0, 2.5]]), (), OBJ)
    assert p.decide(low_sec).strategy == "SF"
    assert p.decide(low_fun).strategy == "FF"
    assert "best expected utility" in p.decide(low_sec).reason
    # A chance constraint rules out strategies likely to push security under 2.
    strict = make_policy("mpc:chance=0.05", models, utility="weighted", weights=[0, 0, 1])
    risky = History(np.array([[2.2, 7.0, 5.0]]), (), OBJ)
    assert make_policy("mpc", models, utility="weighted", weights=[0, 0, 1], constraints=None).decide(risky).strategy == "FF"
    assert strict.decide(risky).strategy != "FF"
    with pytest.raises(ConfigError, match="horizon"):
        make_policy("mpc:horizon=0", models)
    with pytest.raises(ConfigError, match="unknown option"):
        make_policy("mpc:hrizon=2", models)
    assert isinstance(Utility(OBJ), Utility)


def test_mpc_plans_compose_the_moment_recursion_across_switches() -> None:
    from llmdyn.dynamics._adaptive import k_step_maps, plan_maps

    models = list(switching_models().values())
    M, c, P = plan_maps(models, np.array([[2, 2, 2], [0, 1, 3]]))
    Mh, ch, Ph = k_step_maps(models, 3)  # constant plans: the moments module's recursion
    np.testing.assert_allclose(M[0], Mh[2], atol=1e-12)
    np.testing.assert_allclose(c[0], ch[2], atol=1e-12)
    np.testing.assert_allclose(P[0], Ph[2], atol=1e-12)
    # A switching plan: apply the three maps in turn to a point and to a covariance.
    x, cov = np.array([1.0, 2.0, 3.0]), np.zeros((3, 3))
    for i in (0, 1, 3):
        F = models[i].step_matrix
        x, cov = F @ x + models[i].b, F @ cov @ F.T + models[i].Q
    np.testing.assert_allclose(M[1] @ np.array([1.0, 2.0, 3.0]) + c[1], x, atol=1e-12)
    np.testing.assert_allclose(P[1], cov, atol=1e-12)
    p = make_policy("mpc:2", switching_models(), utility="worst")
    assert "plan " in p.decide(History(np.array([[2.5, 7.0, 8.0]]), (), OBJ)).reason
    assert make_policy("mpc:2,search=hold", switching_models()).name == "mpc:2,search=hold"
    with pytest.raises(ConfigError, match="plans"):
        make_policy("mpc:7", switching_models())


def test_bandit_without_models_follows_the_history_objectives() -> None:
    p = make_policy("bandit", strategies=("A", "B"))
    h = History(np.array([[1.0, 1.0], [3.0, 3.0], [2.0, 2.0]]), ("A", "B"), ("clarity", "tone"))
    d = p.decide(h)
    assert d.strategy == "A" and "A +2.00×1" in d.reason
