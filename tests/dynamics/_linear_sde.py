"""Simulated data from known linear SDEs, for recovery and parity tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Three known systems (DESIGN §4): real negative eigenvalues, a complex pair, one near zero.
_P = np.array([[1.0, 0.3, 0.0], [0.2, 1.0, 0.1], [0.0, 0.4, 1.0]])
EXPONENTIAL = _P @ np.diag([-0.6, -0.35, -0.2]) @ np.linalg.inv(_P)
OSCILLATORY = np.array([[-0.2, -0.4, 0.0], [0.4, -0.2, 0.0], [0.0, 0.1, -0.5]])
NEAR_ZERO = _P @ np.diag([-0.6, -0.4, -0.01]) @ np.linalg.inv(_P)
EQUILIBRIUM = np.array([6.0, 5.0, 7.0])
NOISE = 0.1 * np.eye(3)
NAMES = ("security", "efficiency", "functionality")


def intercept(A: np.ndarray, x_star: np.ndarray = EQUILIBRIUM) -> np.ndarray:
    """``b`` that puts the equilibrium ``−A⁻¹ b`` at ``x_star``."""
    return -A @ x_star


def simulate_states(A: np.ndarray, b: np.ndarray, Q: np.ndarray, sessions: int, steps: int,
                    rng: np.random.Generator, x0: np.ndarray | None = None) -> np.ndarray:
    """Euler–Maruyama with h = 1: states of shape (sessions, steps + 1, n)."""
    n = len(b)
    L = np.linalg.cholesky(Q)
    x = rng.uniform(0.0, 10.0, (sessions, n)) if x0 is None else np.broadcast_to(x0, (sessions, n)).copy()
    out = np.empty((sessions, steps + 1, n))
    out[:, 0] = x
    for t in range(steps):
        x = x + x @ A.T + b + rng.standard_normal((sessions, n)) @ L.T
        out[:, t + 1] = x
    return out


def to_frame(states: np.ndarray, strategy: str = "EF", names: tuple[str, ...] = NAMES,
             prefix: str | None = None) -> pd.DataFrame:
    """Long trajectory table from (sessions, T + 1, n) states."""
    S, T1, n = states.shape
    pre = prefix if prefix is not None else strategy
    data = {
        "session": np.repeat([f"{pre}-{i:04d}" for i in range(S)], T1),
        "strategy": strategy,
        "t": np.tile(np.arange(T1), S),
    }
    for j in range(n):
        data[names[j]] = states[:, :, j].ravel()
    return pd.DataFrame(data)


def transitions_of(states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled ``X``, ``ΔX`` and session index from (sessions, T + 1, n) states."""
    S, T1, n = states.shape
    X = states[:, :-1].reshape(-1, n)
    dX = np.diff(states, axis=1).reshape(-1, n)
    return X, dX, np.repeat(np.arange(S), T1 - 1)


def two_strategy_csv(path, seed: int) -> str:
    """A CSV of 30 sessions × 6 steps for EF (exponential) and SF (oscillatory), clipped to the box."""
    rng = np.random.default_rng(seed)
    frames = [to_frame(np.clip(simulate_states(A, intercept(A), NOISE, 30, 6, rng), 0, 10), strategy=s)
              for s, A in (("EF", EXPONENTIAL), ("SF", OSCILLATORY))]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return str(path)
