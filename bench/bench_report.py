"""Benchmark: `llmdyn report` on a large store (default 10,000 sessions).

Writes a synthetic llmdyn SQLite store — sessions of 4 strategies, each 11
states of 3 objectives simulated from known linear drifts (the score JSON is
what the runner stores) — then runs ``llmdyn report STORE`` in a fresh
process and prints its wall time and peak resident memory
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``), next to the same
process running only ``llmdyn fit --format json`` (the peer: the report
should cost a bounded amount on top of the analysis, whatever the size).

Run: ``python bench/bench_report.py [--sessions N] [--steps T] [--bootstrap B] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STRATEGIES = {
    "EF": ([[-1.2, 0.0, 0.0], [0.1, -0.6, 0.0], [0.0, 0.0, -0.2]], [6.0, 4.2, 1.2]),
    "SF": ([[-0.3, 0.4, 0.0], [-0.4, -0.3, 0.0], [0.0, 0.0, -0.5]], [0.6, 3.0, 4.0]),
    "FF": ([[-0.2, 0.0, 0.05], [0.0, -0.3, 0.0], [0.0, -0.1, -0.4]], [1.0, 2.0, 3.5]),
    "AI": ([[-0.5, 0.1, 0.0], [0.0, -0.5, 0.1], [0.1, 0.0, -0.5]], [3.0, 3.0, 3.0]),
}
OBJECTIVES = ("security", "efficiency", "functionality")


def write_store(path: Path, n_sessions: int, steps: int, seed: int) -> None:
    """A store with ``n_sessions`` complete sessions, written in one transaction."""
    from llmdyn.store import Store

    with Store(path) as store:
        exp = store.ensure_experiment("bench", {"backend": "synthetic"})
    rng = np.random.default_rng(seed)
    names = list(STRATEGIES)
    per = -(-n_sessions // len(names))
    db = sqlite3.connect(path)
    now = "2026-01-01T00:00:00.000+00:00"
    with db:
        for k, name in enumerate(names):
            A, b = np.asarray(STRATEGIES[name][0]), np.asarray(STRATEGIES[name][1])
            x = rng.uniform(2.0, 6.0, size=(per, 3))
            states = [x]
            for _ in range(steps):
                x = np.clip(x + x @ A.T + b + 0.5 * rng.standard_normal(x.shape), 0.0, 10.0)
                states.append(x)
            arr = np.round(np.stack(states, axis=1), 4)  # (per, T+1, 3)
            ids = [f"{name}-{i:05d}" for i in range(per)]
            db.executemany(
                "INSERT INTO sessions (id, experiment_id, task, label, replicate, model, status, updated_at) "
                "VALUES (?, ?, ?, ?, 0, 'synthetic', 'complete', ?)",
                [(sid, exp, f"task{i % 20}", name, now) for i, sid in enumerate(ids)])
            db.executemany(
                "INSERT INTO steps (session_id, t, status, strategy, scores, created_at) VALUES (?, ?, 'ok', ?, ?, ?)",
                [(sid, t, name, json.dumps(dict(zip(OBJECTIVES, arr[i, t].tolist()))), now)
                 for i, sid in enumerate(ids) for t in range(steps + 1)])
    db.close()


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu0 = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu0
    if peak <= before:
        print("  (peak RSS not above an earlier child's; figure is a lower bound)")
    return wall, cpu, peak / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--bootstrap", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the store and report in")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="llmdyn-bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / "bench.sqlite"
    store.unlink(missing_ok=True)
    t = time.perf_counter()
    write_store(store, args.sessions, args.steps, args.seed)
    print(f"store: {args.sessions} sessions x {args.steps + 1} states, {store.stat().st_size / 2**20:.1f} MiB, "
          f"written in {time.perf_counter() - t:.1f} s")
    exe = [sys.executable, "-m", "llmdyn.cli"]
    boot = ["--bootstrap", str(args.bootstrap), "--seed", str(args.seed)]
    # Peak RSS of RUSAGE_CHILDREN is a maximum over children: run the smaller job first.
    fit_s, fit_cpu, fit_mb = run([*exe, "fit", str(store), "--format", "json", *boot])
    rep_s, rep_cpu, rep_mb = run([*exe, "report", str(store), "-o", str(folder / "report.html"), *boot])
    size = (folder / "report.html").stat().st_size / 2**20
    print(f"llmdyn fit    : {fit_s:6.1f} s wall, {fit_cpu:6.1f} s CPU, peak RSS {fit_mb:7.1f} MiB")
    print(f"llmdyn report : {rep_s:6.1f} s wall, {rep_cpu:6.1f} s CPU, peak RSS {rep_mb:7.1f} MiB, page {size:.1f} MiB")
    print(f"report / fit  : {rep_cpu / fit_cpu:.2f}x CPU time, {rep_mb / fit_mb:.2f}x memory")


if __name__ == "__main__":
    main()
