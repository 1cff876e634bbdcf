"""Pareto masks, hypervolume and per-strategy efficiency against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import Trajectories, hypervolume, nondominated_mask, pareto_summary


def test_nondominated_mask_maximises():
    pts = [[1, 2], [2, 1], [1, 1], [0, 0]]
    assert nondominated_mask(pts).tolist() == [True, True, False, False]


def test_equal_points_do_not_dominate_each_other():
    pts = [[2, 2], [2, 2], [1, 2], [2, 1.5]]
    assert nondominated_mask(pts).tolist() == [True, True, False, False]


def test_nondominated_mask_three_objectives():
    pts = [[5, 5, 5], [6, 5, 5], [1, 9, 1], [6, 5, 4], [0, 0, 10]]
    assert nondominated_mask(pts).tolist() == [False, True, True, False, True]
    assert nondominated_mask(np.zeros((0, 3))).shape == (0,)


def test_hypervolume_hand_computed():
    # Two rectangles 2×1 and 1×2 overlapping in a unit square: 2 + 2 − 1.
    assert hypervolume([[2, 1], [1, 2]], [0, 0]) == pytest.approx(3.0)
    # A dominated point adds nothing.
    assert hypervolume([[2, 1], [1, 2], [1, 1]], [0, 0]) == pytest.approx(3.0)
    # Shifted reference point.
    assert hypervolume([[3, 3]], [1, 2]) == pytest.approx(2.0)
    # 3-D: boxes 2·1·1 and 1·2·1, overlapping 1.
    assert hypervolume([[2, 1, 1], [1, 2, 1]], [0, 0, 0]) == pytest.approx(3.0)
    assert hypervolume([[10, 10, 10]], [0, 0, 0]) == pytest.approx(1000.0)


def test_points_not_better_than_reference_add_nothing():
    assert hypervolume([[0, 5], [-1, 3]], [0, 0]) == 0.0
    assert hypervolume(np.zeros((0, 2)), [0, 0]) == 0.0


def test_pareto_summary_hand_computed():
    df = pd.DataFrame({
        "session": ["a", "a", "a", "b", "b", "b"],
        "strategy": ["EF", "EF", "EF", "SF", "SF", "SF"],
        "t": [0, 1, 2, 0, 1, 2],
        "x": [1.0, 2.0, 2.0, 0.0, 3.0, 1.0],
        "y": [1.0, 2.0, 1.0, 0.0, 0.0, 3.0],
    })
    ps = pareto_summary(Trajectories.from_frame(df), bounds=(0.0, 10.0))
    ef, sf = ps.by_strategy["EF"], ps.by_strategy["SF"]
    # a: (1,1) < (2,2) > (2,1): only (2,2) is not dominated within its trajectory.
    assert ef.trajectory_efficiency == pytest.approx(1 / 3)
    # b: (0,0) is dominated; (3,0) and (1,3) are not.
    assert sf.trajectory_efficiency == pytest.approx(2 / 3)
    # Finals (2,1) and (1,3) do not dominate each other.
    assert ef.final_efficiency == 1.0 and sf.final_efficiency == 1.0
    assert ef.hypervolume == pytest.approx(2.0) and sf.hypervolume == pytest.approx(3.0)
    assert ps.hypervolume == pytest.approx(2.0 + 3.0 - 1.0)
    assert ps.hypervolume_share == pytest.approx(4.0 / 100.0)
    assert ps.reference == (0.0, 0.0)
    d = ps.to_dict()
    assert d["by_strategy"]["SF"]["n_states"] == 3


def test_final_state_dominated_by_another_strategy():
    df = pd.DataFrame({
        "session": ["a", "a", "b", "b", "c", "c"],
        "strategy": ["EF", "EF", "SF", "SF", "SF", "SF"],
        "t": [0, 1, 0, 1, 0, 1],
        "x": [1.0, 2.0, 1.0, 5.0, 1.0, 1.5],
        "y": [1.0, 2.0, 1.0, 5.0, 1.0, 1.5],
    })
    ps = pareto_summary(Trajectories.from_frame(df))
    assert ps.by_strategy["EF"].final_efficiency == 0.0
    assert ps.by_strategy["SF"].final_efficiency == 0.5
