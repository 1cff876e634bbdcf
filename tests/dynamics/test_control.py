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
