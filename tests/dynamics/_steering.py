"""Synthetic strategies with known dynamics for the steering tests.

FF pulls functionality up fast while security slowly decays; SF does the
opposite; AI settles at a mediocre balance and EF only polishes efficiency.
No strategy alone keeps every objective high, but alternating FF and SF does.
"""

from __future__ import annotations

import numpy as np

from llmdyn.dynamics import DriftModel

OBJ = ("security", "efficiency", "functionality")


def relaxing(rates: list[float], target: list[float], noise: float = 0.3,
             rotate: float = 0.0) -> DriftModel:
    """``X_{t+1} = X + diag(-rates)(X - target) + ε``, optionally with a rotation in (sec, func)."""
    A = -np.diag(rates).astype(float)
    A[0, 2] += rotate
    A[2, 0] -= rotate
    b = -A @ np.asarray(target, dtype=float)
    return DriftModel(A=A, b=b, Q=noise * np.eye(3), objectives=OBJ)


def switching_models() -> dict[str, DriftModel]:
    """Four strategies where only switching reaches a balanced high state."""
    return {
        "EF": relaxing([0.1, 0.5, 0.1], [3.0, 9.0, 3.0]),
        "SF": relaxing([0.6, 0.5, 0.1], [9.5, 7.0, 0.0]),
        "FF": relaxing([0.1, 0.5, 0.6], [0.0, 7.0, 9.5]),
        "AI": relaxing([0.3, 0.3, 0.3], [4.0, 6.0, 4.0]),
    }


def phase_models() -> dict[str, DriftModel]:
    """OSC: oscillatory; EXP: exponential; BND: attracted to security's lower bound."""
    return {
        "OSC": relaxing([0.3, 0.3, 0.3], [5.0, 5.0, 5.0], rotate=0.4),
        "EXP": relaxing([0.5, 0.5, 0.5], [6.0, 6.0, 6.0]),
        "BND": relaxing([0.3, 0.3, 0.3], [-2.0, 9.0, 9.0]),
    }


def switching_csv(path, sessions: int, steps: int, seed: int):
    """Sessions of the four :func:`switching_models` strategies as a trajectory CSV at ``path``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for s, m in switching_models().items():
        x = rng.uniform(3, 7, size=(sessions, 3))
        for t in range(steps):
            rows += [{"session": f"{s}-{i}", "strategy": s, "t": t, **dict(zip(OBJ, x[i]))}
                     for i in range(sessions)]
            x = np.clip(x + x @ m.A.T + m.b + rng.standard_normal(x.shape) @ m.diffusion.T, 0, 10)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
