"""Intervention triggers fire on constructed trajectories and stay silent on near misses."""

from __future__ import annotations

import numpy as np
import pytest

from llmdyn.dynamics import (
    BatchHistory,
    ConvergenceRateAbove,
    FixedPolicy,
    History,
    ObjectiveBelow,
    ObjectiveDrop,
    Triggered,
    default_triggers,
    local_convergence_rate,
    make_policy,
    make_triggers,
)
from llmdyn.errors import ConfigError

OBJ = ("security", "efficiency", "functionality")


def _hist(states: list[list[float]]) -> History:
    s = np.asarray(states, dtype=float)
    return History(states=s, strategies=("AI",) * (len(s) - 1), objectives=OBJ, session="s")


def _linear_path(F: np.ndarray, x0: np.ndarray, target: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic path of x <- target + F (x - target)."""
    out = [x0]
    for _ in range(steps):
        out.append(target + F @ (out[-1] - target))
    return np.array(out)


def test_security_below_fires_under_two_and_not_at_two_point_oh_five() -> None:
    trig = ObjectiveBelow()
    ev = trig.check(_hist([[5, 5, 5], [3, 5, 6], [1.9, 5, 7]]))
    assert ev is not None and ev.name == "security_below" and ev.t == 2
    assert ev.value == pytest.approx(1.9) and ev.action == "record" and "1.90" in ev.message
    assert trig.check(_hist([[5, 5, 5], [3, 5, 6], [2.05, 5, 7]])) is None


def test_efficiency_drop_fires_on_a_big_drop_and_not_on_a_near_miss() -> None:
    trig = ObjectiveDrop(threshold=2.0, action="stop")
    ev = trig.check(_hist([[5, 8, 5], [5, 5.8, 5]]))
    assert ev is not None and ev.name == "efficiency_drop" and ev.action == "stop"
    assert ev.value == pytest.approx(2.2)
    assert trig.check(_hist([[5, 8, 5], [5, 6.1, 5]])) is None
    assert trig.check(_hist([[5, 8, 5]])) is None  # no step yet
    rel = ObjectiveDrop(threshold=0.25, relative=True)
    assert rel.check(_hist([[5, 8, 5], [5, 5.9, 5]])) is not None  # 26 %
    assert rel.check(_hist([[5, 8, 5], [5, 6.1, 5]])) is None  # 24 %


def test_convergence_rate_fires_on_fast_overshoot_and_not_on_a_near_miss() -> None:
    target = np.array([5.0, 5.0, 5.0])
    x0 = np.array([1.0, 9.0, 3.0])
    # Eigenvalues of A = F - I: rate = -max Re lambda.
    fast = np.diag([-0.6, -0.7, -0.8])  # lambda = -1.6, -1.7, -1.8 -> rate 1.6
    near = np.diag([-0.4, -0.7, -0.8])  # lambda = -1.4 ... -> rate 1.4
    trig = ConvergenceRateAbove(threshold=1.5, window=5)
    path = _linear_path(fast, x0, target, 6)
    assert local_convergence_rate(path[:, None, :], 5)[0] == pytest.approx(1.6, abs=1e-6)
    ev = trig.check(_hist(path.tolist()))
    assert ev is not None and ev.value == pytest.approx(1.6, abs=1e-6)
    assert trig.check(_hist(_linear_path(near, x0, target, 6).tolist())) is None
    # Too few transitions for the window: silent, not an error.
    assert trig.check(_hist(path[:4].tolist())) is None
    with pytest.raises(ConfigError, match="window"):
        ConvergenceRateAbove(window=3).check(_hist(path.tolist()))


def test_batched_checks_agree_with_single_checks(rng: np.random.Generator) -> None:
    states = rng.uniform(0, 10, size=(7, 50, 3))
    batch = BatchHistory(states, np.zeros((6, 50), int), ("AI",), OBJ)
    for trig in default_triggers(OBJ):
        fired, _ = trig.check_batch(batch)
        single = [trig.check(_hist(states[:, p].tolist())) is not None for p in range(50)]
        assert fired.tolist() == single
        assert 0 < fired.sum() < 50 or trig.name == "convergence_rate"


def test_triggered_policy_carries_events_runs_callbacks_and_stops() -> None:
    seen: list[tuple[str, int]] = []
    trig = make_triggers("security_below:2@handoff,efficiency_drop:1")
    assert [t.name for t in trig] == ["security_below", "efficiency_drop"]
    pol = Triggered(FixedPolicy("AI"), trig, on_event=lambda e, h: seen.append((e.name, h.t)))
    quiet = pol.decide(_hist([[5, 5, 5], [4, 4.5, 5]]))
    assert quiet.strategy == "AI" and quiet.events == () and not quiet.stop
    loud = pol.decide(_hist([[5, 5, 5], [1, 3, 5]]))
    assert {e.name for e in loud.events} == {"security_below", "efficiency_drop"}
    assert loud.stop and "triggers" in loud.reason
    assert seen == [("security_below", 1), ("efficiency_drop", 1)]
    # make_policy wraps with triggers=...
    p = make_policy("fixed:AI", triggers="default")
    assert isinstance(p, Triggered) and p.name == "fixed:AI"
    with pytest.raises(ConfigError, match="unknown trigger"):
        make_triggers("banana:3")
    with pytest.raises(ConfigError, match="action"):
        make_triggers("security_below@explode")


def test_spec_suffix_adds_triggers_that_suit_any_objective_set() -> None:
    p = make_policy("schedule:FF2-AI+triggers=security_below:2@stop")
    assert isinstance(p, Triggered) and p.name == "schedule:FF2-AI"
    d = p.decide(_hist([[5, 5, 5], [1.5, 5, 5]]))
    assert d.strategy == "FF" and d.stop and d.events[0].action == "stop"
    q = make_policy("fixed:AI+triggers")
    other = History(np.array([[1.0, 2.0], [0.5, 0.1]]), ("AI",), ("x", "y"))
    assert q.decide(other).events == ()  # no security/efficiency: the defaults stay silent
    assert [e.name for e in q.decide(_hist([[5, 5, 5], [1.5, 2, 5]])).events] == [
        "security_below", "efficiency_drop"]
    with pytest.raises(ConfigError, match="triggers"):
        make_policy("fixed:AI+triggersX")
