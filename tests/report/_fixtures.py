"""A hand-made analysis dict in the shape of ``llmdyn fit --format json``."""

from __future__ import annotations

import copy
from typing import Any

OBJECTIVES = ["security", "efficiency", "functionality"]

_BASE: dict[str, Any] = {
    "objectives": OBJECTIVES,
    "strategies": {
        "SF": {
            "A": [[-0.3, 0.4, 0.0], [-0.4, -0.3, 0.0], [0.0, 0.0, -0.5]],
            "b": [2.1, 3.0, 4.0],
            "Q": [[0.25, 0.05, 0.0], [0.05, 0.36, -0.06], [0.0, -0.06, 0.49]],
            "eigenvalues": [{"re": -0.3, "im": 0.4}, {"re": -0.3, "im": -0.4}, {"re": -0.5, "im": 0.0}],
            "convergence_rate": 0.3,
            "discrete_stability": 0.806225774829855,
            "regime": "oscillatory",
            "overshoot": False,
            "equilibrium": [7.2, 4.4, 8.0],
            "r2": {"in_sample": 0.61, "cv": 0.55},
            "n_sessions": 40,
            "n_transitions": 360,
            "pareto_efficiency": 0.42,
        },
        "EF": {
            "A": [[-1.2, 0.0, 0.0], [0.1, -0.6, 0.0], [0.0, 0.0, -0.2]],
            "b": [6.0, 4.2, 1.2],
            "Q": [[0.16, 0.0, 0.0], [0.0, 0.25, 0.0], [0.0, 0.0, 0.09]],
            "eigenvalues": [{"re": -1.2, "im": 0.0}, {"re": -0.6, "im": 0.0}, {"re": -0.2, "im": 0.0}],
            "convergence_rate": 0.2,
            "discrete_stability": 0.8,
            "regime": "exponential",
            "overshoot": True,
            "equilibrium": [5.0, 7.833333, 6.0],
            "r2": {"in_sample": 0.72, "cv": None},
            "n_sessions": 38,
            "n_transitions": 342,
            "pareto_efficiency": 0.37,
        },
    },
    "interference": {
        "pooled": [[0.0, -0.31, 0.12], [-0.31, 0.0, -0.05], [0.12, -0.05, 0.0]],
        "by_strategy": {
            "SF": [[0.0, -0.42, 0.2], [-0.42, 0.0, 0.01], [0.2, 0.01, 0.0]],
            "EF": [[0.0, -0.1, 0.05], [-0.1, 0.0, -0.22], [0.05, -0.22, 0.0]],
        },
    },
}


def analysis_dict(*, intervals: bool = False) -> dict[str, Any]:
    """A fresh copy of the fixture; ``intervals=True`` adds bootstrap extras."""
    d = copy.deepcopy(_BASE)
    if intervals:
        d["level"] = 0.9
        for s in d["strategies"].values():
            r = s["convergence_rate"]
            s["intervals"] = {"convergence_rate": {"lower": r - 0.05, "upper": r + 0.07}}
        d["interference"]["p_values"] = {
            "pooled": [[1.0, 0.0001, 0.02], [0.0001, 1.0, 0.4], [0.02, 0.4, 1.0]],
        }
    return d


def synthetic_frame(rng, n_sessions: int = 24, steps: int = 8, strategies=("SF", "EF")):
    """Sessions simulated with numpy from the fixture's drift models (h = 1).

    Returns a long trajectory table (session, strategy, t, objectives) whose
    dynamics match :func:`analysis_dict`, clipped to the box [0, 10].
    """
    import numpy as np
    import pandas as pd

    frames = []
    for k, name in enumerate(strategies):
        s = _BASE["strategies"][name]
        A, b = np.asarray(s["A"]), np.asarray(s["b"])
        L = np.linalg.cholesky(np.asarray(s["Q"]))
        x = rng.uniform(2.0, 6.0, size=(n_sessions, 3))
        states = [x]
        for _ in range(steps):
            x = np.clip(x + x @ A.T + b + rng.standard_normal(x.shape) @ L.T, 0.0, 10.0)
            states.append(x)
        arr = np.stack(states, axis=1)  # (sessions, T+1, n)
        sess = np.repeat([f"{name}-{i:03d}" for i in range(n_sessions)], steps + 1)
        df = pd.DataFrame(arr.reshape(-1, 3), columns=OBJECTIVES)
        df.insert(0, "t", np.tile(np.arange(steps + 1), n_sessions))
        df.insert(0, "strategy", name)
        df.insert(0, "session", sess)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
