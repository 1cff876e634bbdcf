"""Benchmark: offline policy evaluation, llmdyn (paths vectorised) vs a per-path loop.

Models: four synthetic strategies (FF raises functionality while security decays,
SF the reverse, AI a mediocre balance, EF efficiency). Work: 10 steps of the
policies fixed:AI, bandit:ucb1 and mpc (worst-objective utility, security >= 2,
the paper's three triggers counted).

- llmdyn: ``evaluate_policies`` — every policy decides for all paths at once
  (``decide_batch``) and the paths step with stacked per-strategy A/b/L picked by
  fancy indexing.
- per-path loop (the naive baseline): the live-runner interface, one
  ``policy.decide(History)`` per path and step, one matrix-vector step per path
  and the triggers' ``check`` per path. Timed on a subset of paths and scaled.

Run: ``python bench/bench_steer.py [--paths 10000] [--subset 200]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from llmdyn.dynamics import History, Utility, default_triggers, evaluate_policies, make_policy
from llmdyn.dynamics import DriftModel

OBJ = ("security", "efficiency", "functionality")
SPECS = ("fixed:AI", "bandit:ucb1", "mpc")


def relaxing(rates: list[float], target: list[float]) -> DriftModel:
    A = -np.diag(rates)
    return DriftModel(A=A, b=-A @ np.asarray(target), Q=0.3 * np.eye(3), objectives=OBJ)


MODELS = {
    "EF": relaxing([0.1, 0.5, 0.1], [3.0, 9.0, 3.0]),
    "SF": relaxing([0.6, 0.5, 0.1], [9.5, 7.0, 0.0]),
    "FF": relaxing([0.1, 0.5, 0.6], [0.0, 7.0, 9.5]),
    "AI": relaxing([0.3, 0.3, 0.3], [4.0, 6.0, 4.0]),
}


def loop(paths: int, steps: int, utility: Utility) -> float:
    """Mean final utility over all policies, one path at a time."""
    rng = np.random.default_rng(0)
    trig = default_triggers(OBJ)
    total = 0.0
    for spec in SPECS:
        pol = make_policy(spec, MODELS, tuple(MODELS), utility=utility)
        for _ in range(paths):
            states, used = [np.array([5.0, 5.0, 5.0])], []
            for _ in range(steps):
                s = pol.decide(History(np.array(states), tuple(used), OBJ)).strategy
                m = MODELS[s]
                x = states[-1]
                states.append(np.clip(x + m.A @ x + m.b + m.diffusion @ rng.standard_normal(3), 0, 10))
                used.append(s)
                for t in trig:
                    t.check(History(np.array(states), tuple(used), OBJ))
            total += float(utility.value(states[-1]))
    return total / (paths * len(SPECS))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=10000)
    ap.add_argument("--subset", type=int, default=200)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    utility = Utility(OBJ, "worst", constraints=(("security", 2.0),))

    t0 = time.perf_counter()
    ev = evaluate_policies(MODELS, list(SPECS), x0=[5.0, 5.0, 5.0], steps=args.steps, paths=args.paths,
                           utility=utility)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_u = loop(args.subset, args.steps, utility)
    t_loop = (time.perf_counter() - t0) * args.paths / args.subset
    vec_u = float(np.mean([r.utility_mean for r in ev.results]))
    print(f"{len(SPECS)} policies x {args.paths} paths x {args.steps} steps")
    print(f"llmdyn evaluate_policies (vectorised): {t_vec:8.2f} s   mean utility {vec_u:.2f}")
    print(f"per-path loop (scaled from {args.subset}):  {t_loop:8.2f} s   mean utility {naive_u:.2f}")
    print(f"ratio loop / llmdyn: {t_loop / t_vec:.1f}x")


if __name__ == "__main__":
    main()
