"""Benchmark: session bootstrap of the drift fit, llmdyn (batched) vs a loop of statsmodels VAR fits.

Data: 4 strategies × 400 sessions × 10 steps × 3 objectives, simulated from a
known linear SDE. Work: 1000 session-bootstrap replicates per strategy, each
giving A, b, Q and the eigenvalues of A.

- llmdyn: ``bootstrap_fits`` — per-session sufficient statistics, a count
  matrix (replicates × sessions), one batched solve for all replicates.
- statsmodels (the anchor library): for every replicate, draw the same
  sessions, stack them into one series and fit ``VAR(1)`` (VAR cannot pool
  separate sessions; stacking is the closest it gets, with the same data and
  work), then take eigenvalues. This loop is timed on a subset of replicates
  and scaled per replicate to 1000; the output says so.
- numpy loop (the naive baseline): the same pooled least squares as llmdyn,
  one ``np.linalg.lstsq`` per replicate, also timed on a subset and scaled.

Run: ``python bench/bench_fit.py [--subset 50]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from llmdyn.dynamics import Trajectories, analyze, bootstrap_fits
from llmdyn.dynamics._bootstrap import resample_counts

STRATEGIES = ("EF", "SF", "FF", "AI")
SESSIONS, STEPS, N, REPLICATES = 400, 10, 3, 1000


def simulate(seed: int = 0) -> Trajectories:
    rng = np.random.default_rng(seed)
    frames = []
    for k, s in enumerate(STRATEGIES):
        A = -np.diag([0.6, 0.35, 0.2]) + 0.05 * (k + 1) * np.array([[0, 1, 0], [-1, 0, 0.5], [0, -0.5, 0]])
        b = -A @ np.array([6.0, 5.0, 7.0])
        x = rng.uniform(0, 10, (SESSIONS, N))
        states = [x]
        for _ in range(STEPS):
            x = x + x @ A.T + b + 0.3 * rng.standard_normal((SESSIONS, N))
            states.append(x)
        X = np.stack(states, axis=1)
        frame = {"session": np.repeat([f"{s}-{i}" for i in range(SESSIONS)], STEPS + 1), "strategy": s,
                 "t": np.tile(np.arange(STEPS + 1), SESSIONS)}
        frame.update({f"o{j}": X[:, :, j].ravel() for j in range(N)})
        frames.append(pd.DataFrame(frame))
    return Trajectories.from_frame(pd.concat(frames, ignore_index=True))


def time_llmdyn(traj: Trajectories, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for k, s in enumerate(STRATEGIES):
            bootstrap_fits(traj, s, REPLICATES, seed=k)
        best = min(best, time.perf_counter() - t0)
    return best


def _session_blocks(traj: Trajectories, s: str) -> list[np.ndarray]:
    return [p.states for p in traj.paths() if p.strategy == s]


def time_statsmodels(traj: Trajectories, subset: int) -> float:
    """Seconds per replicate (all 4 strategies) of the statsmodels VAR loop."""
    from statsmodels.tsa.api import VAR

    t0 = time.perf_counter()
    for k, s in enumerate(STRATEGIES):
        blocks = _session_blocks(traj, s)
        W = resample_counts(len(blocks), subset, np.random.default_rng(k))
        for w in W:  # one VAR fit per replicate: the loop being compared
            idx = np.repeat(np.arange(len(blocks)), w.astype(int))
            series = np.concatenate([blocks[i] for i in idx])
            res = VAR(series).fit(1, trend="c")
            np.linalg.eigvals(res.coefs[0] - np.eye(N))
    return (time.perf_counter() - t0) / subset


def time_numpy_loop(traj: Trajectories, subset: int) -> float:
    """Seconds per replicate (all 4 strategies) of one lstsq per replicate."""
    t0 = time.perf_counter()
    for k, s in enumerate(STRATEGIES):
        blocks = _session_blocks(traj, s)
        X = np.stack([b[:-1] for b in blocks])
        dX = np.stack([np.diff(b, axis=0) for b in blocks])
        W = resample_counts(len(blocks), subset, np.random.default_rng(k))
        for w in W:
            idx = np.repeat(np.arange(len(blocks)), w.astype(int))
            Xk, dXk = X[idx].reshape(-1, N), dX[idx].reshape(-1, N)
            Z = np.hstack([Xk, np.ones((len(Xk), 1))])
            beta = np.linalg.lstsq(Z, dXk, rcond=None)[0]
            E = dXk - Z @ beta
            E.T @ E / (len(Xk) - N - 1)
            np.linalg.eigvals(beta[:N].T)
    return (time.perf_counter() - t0) / subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=50,
                        help="replicates per strategy timed for the loops (scaled to 1000)")
    args = parser.parse_args()
    traj = simulate()
    print(f"data: {len(STRATEGIES)} strategies x {SESSIONS} sessions x {STEPS} steps x {N} objectives; "
          f"{REPLICATES} bootstrap replicates per strategy")
    t_ll = time_llmdyn(traj)
    print(f"llmdyn bootstrap_fits (batched), 4 x {REPLICATES} replicates: {t_ll:.3f} s (best of 3)")
    t0 = time.perf_counter()
    analyze(traj, bootstrap=REPLICATES)
    print(f"llmdyn analyze(bootstrap={REPLICATES}) incl. fits, CV, interference, Pareto: "
          f"{time.perf_counter() - t0:.3f} s")
    per_sm = time_statsmodels(traj, args.subset)
    t_sm = per_sm * REPLICATES
    print(f"statsmodels VAR(1) loop: {per_sm * 1e3:.1f} ms per replicate (4 strategies), timed on "
          f"{args.subset} replicates per strategy and scaled to {REPLICATES}: {t_sm:.2f} s")
    per_np = time_numpy_loop(traj, args.subset)
    t_np = per_np * REPLICATES
    print(f"numpy lstsq loop: {per_np * 1e3:.2f} ms per replicate (4 strategies), timed on "
          f"{args.subset} replicates per strategy and scaled to {REPLICATES}: {t_np:.2f} s")
    print(f"ratio statsmodels / llmdyn: {t_sm / t_ll:.0f}x")
    print(f"ratio numpy loop / llmdyn: {t_np / t_ll:.0f}x")


if __name__ == "__main__":
    main()
