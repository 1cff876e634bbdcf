"""Benchmark: Euler–Maruyama on a 3-dimensional OU process, 100,000 paths × 100 steps.

Problem: ``dX = (A X + b) dt + Σ dW`` with a non-diagonal ``A`` and a correlated
``Q = Σ Σᵀ`` (3 objectives), ``x0 = (5, 5, 5)``, ``h = 0.125``, float64 throughout. (``h`` is a binary
fraction on purpose: with ``h = 0.1`` torchsde 0.2.6's fixed-step Euler did not
finish 100 paths × 100 steps in minutes — its step times drift off the
requested grid by rounding — while 0.125 runs normally.)

- llmdyn: ``euler_maruyama(model, None, x0, 100, 0.125, paths=100_000)`` returning
  every path (a (paths, 101, 3) array), and the same with ``summary=True``
  (per-step mean and covariance streamed, no paths kept).
- sdeint (``itoEuler``): one path per call (its API), run on as many paths as
  finish within ``--sdeint-seconds`` and scaled per path-step.
- torchsde (``sdeint``, ``method="euler"``, additive noise, float64) on the CPU,
  all paths as one batch. torch must be the CPU build:
  ``pip install torch==2.13.0 torchsde`` (a CUDA build is not needed and not used).
- floor: the time numpy takes just to draw the 100,000 × 100 × 3 standard
  normal increments (``Generator.standard_normal`` into a preallocated buffer),
  the least any Monte Carlo Euler–Maruyama with numpy's generator can cost.

Timings are the best of ``--repeats`` runs (the machine may be shared). Prints
path-steps per second and the ratios. Run: ``python bench/bench_simulate.py``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

from llmdyn.dynamics import DriftModel, euler_maruyama

A = np.array([[-0.5, 0.1, 0.0], [0.05, -0.3, 0.1], [0.0, 0.2, -0.4]])
B = np.array([2.0, 1.5, 2.0])
Q = np.array([[0.3, 0.05, 0.0], [0.05, 0.2, 0.03], [0.0, 0.03, 0.25]])
X0 = np.array([5.0, 5.0, 5.0])
H = 0.125


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def floor(paths: int, steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    total = paths * steps * 3
    buf = np.empty(1 << 18)
    for start in range(0, total, buf.size):
        rng.standard_normal(out=buf[: min(buf.size, total - start)])


def run_sdeint(seconds: float, steps: int, seed: int) -> tuple[int, float]:
    """Paths finished by sdeint.itoEuler within ``seconds``; (paths, elapsed)."""
    import sdeint

    S = np.linalg.cholesky(Q)
    tspan = np.linspace(0.0, steps * H, steps + 1)
    gen = np.random.default_rng(seed)
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sdeint.itoEuler(lambda y, t: A @ y + B, lambda y, t: S, X0, tspan, generator=gen)
        done += 1
    return done, time.perf_counter() - t0


def run_torchsde(paths: int, steps: int, seed: int) -> Callable[[], object]:
    import torch
    import torchsde

    torch.manual_seed(seed)
    At = torch.tensor(A, dtype=torch.float64)
    bt = torch.tensor(B, dtype=torch.float64)
    St = torch.tensor(np.linalg.cholesky(Q), dtype=torch.float64)

    class OU(torch.nn.Module):
        noise_type = "additive"
        sde_type = "ito"

        def f(self, t, y):  # noqa: ANN001, ANN202 - torchsde's protocol
            return y @ At.T + bt

        def g(self, t, y):  # noqa: ANN001, ANN202
            return St.expand(y.shape[0], 3, 3)

    sde = OU()
    y0 = torch.tensor(X0, dtype=torch.float64).expand(paths, 3).contiguous()
    ts = torch.linspace(0.0, steps * H, steps + 1, dtype=torch.float64)

    def go() -> object:
        with torch.no_grad():
            return torchsde.sdeint(sde, y0, ts, method="euler", dt=H)

    return go


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sdeint-seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-torch", action="store_true", help="skip torchsde")
    args = ap.parse_args()
    P, K = args.paths, args.steps
    work = P * K
    model = DriftModel(A, B, Q)

    t_floor = best_of(lambda: floor(P, K, args.seed), args.repeats)
    t_paths = best_of(lambda: euler_maruyama(model, None, X0, K, H, paths=P, rng=args.seed), args.repeats)
    t_summary = best_of(lambda: euler_maruyama(model, None, X0, K, H, paths=P, rng=args.seed, summary=True),
                        args.repeats)
    t_floor = min(t_floor, best_of(lambda: floor(P, K, args.seed), args.repeats))  # re-measured after warm-up

    rows = [("numpy floor (draw increments only)", t_floor), ("llmdyn euler_maruyama (all paths)", t_paths),
            ("llmdyn euler_maruyama (summary=True)", t_summary)]
    sde_paths, sde_time = run_sdeint(args.sdeint_seconds, K, args.seed)
    t_sdeint = sde_time / (sde_paths * K) * work  # scaled to the same path-steps
    rows.append((f"sdeint itoEuler ({sde_paths} paths, scaled)", t_sdeint))
    t_torch = None
    if not args.no_torch:
        try:
            import torch

            go = run_torchsde(P, K, args.seed)
            t_torch = best_of(go, max(1, args.repeats - 1))
            rows.append((f"torchsde euler, CPU, {torch.get_num_threads()} threads", t_torch))
        except ImportError:
            print("torchsde not installed: pip install torch==2.13.0 torchsde (CPU build)")

    print(f"3-D OU, {P:,} paths x {K} steps = {work:,} path-steps, float64, best of {args.repeats}; "
          f"{os.cpu_count()} CPUs")
    print(f"{'':42s} {'seconds':>9s} {'path-steps/s':>14s}")
    for name, t in rows:
        print(f"{name:42s} {t:9.3f} {work / t:14.3e}")
    print()
    print(f"llmdyn (all paths) vs sdeint:   {t_sdeint / t_paths:8.1f}x faster   (goal >= 100x)")
    if t_torch is not None:
        print(f"llmdyn (all paths) vs torchsde: {t_torch / t_paths:8.2f}x faster   (goal > 1x)")
    print(f"llmdyn (all paths) / floor:     {t_paths / t_floor:8.2f}x          (goal <= 2x)")
    print(f"llmdyn (summary)   / floor:     {t_summary / t_floor:8.2f}x")


if __name__ == "__main__":
    main()
